using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

public sealed class GatewayOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreValid() => Assert.Empty(GatewayOptionsValidator.Validate(new GatewayOptions()));

    [Fact]
    public void ReportsEveryErrorAtOnce()
    {
        var options = new GatewayOptions
        {
            Proxy = new ListenerOptions { Urls = "ftp://0.0.0.0:5080" },
            Admin = new ListenerOptions { Urls = "http://127.0.0.1" },
            HeaderPrefix = "Gateway",
            Keys = new KeyOptions { Prefix = "g_w" },
            Bootstrap = new BootstrapOptions { Organization = "Acme" },
            Store = new StoreOptions { Path = "", LastUsedFlushInterval = TimeSpan.FromMinutes(5) },
        };

        var errors = GatewayOptionsValidator.Validate(options);

        Assert.Contains(errors, e => e.StartsWith("Gateway:Proxy:Urls:", StringComparison.Ordinal) && e.Contains("http://"));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Admin:Urls:", StringComparison.Ordinal) && e.Contains("port"));
        Assert.Contains(errors, e => e.StartsWith("Gateway:HeaderPrefix", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Keys:Prefix", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Bootstrap:Organization", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Bootstrap needs both", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Store:Path", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Store:LastUsedFlushInterval", StringComparison.Ordinal));
        Assert.Equal(8, errors.Count);
    }

    [Fact]
    public void ProxyAndAdmin_MayNotShareAPort()
    {
        var options = new GatewayOptions { Proxy = new() { Urls = "http://0.0.0.0:7000" }, Admin = new() { Urls = "http://127.0.0.1:7000" } };
        Assert.Contains(GatewayOptionsValidator.Validate(options), e => e.Contains("both use port 7000"));
    }
}
