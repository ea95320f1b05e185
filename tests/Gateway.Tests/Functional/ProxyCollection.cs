using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>One gateway and echo upstream for every data-plane test class (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class ProxyCollection : ICollectionFixture<ProxyFixture>
{
    public const string Name = "proxy";
}
