using System.Net;
using Gateway.Abuse;
using Gateway.Authentication;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Abuse;

/// <summary>A flood of distinct, well-formed invalid keys never becomes one store query per request.</summary>
public sealed class InvalidKeyFloodTests
{
    private sealed class CountingStore : EmptyStore
    {
        public int Lookups;

        public override ApiKey? FindKeyByHash(in KeyHash hash)
        {
            Interlocked.Increment(ref Lookups);
            return null;
        }

        public override ApiKey? FindAccessTokenByHash(in KeyHash hash)
        {
            Interlocked.Increment(ref Lookups);
            return null;
        }
    }

    private static (ApiKeyAuthenticator Authenticator, CountingStore Store, ApiKeyCache Cache) Build(LimitsOptions limits, TimeProvider time)
    {
        var store = new CountingStore();
        var cache = new ApiKeyCache(1000, 1000);
        return (TestAuthenticators.Keys(store, cache, limits, time), store, cache);
    }

    [Fact]
    public void FromOneAddress_LookupsStopAtTheAddressLimit()
    {
        var (authenticator, store, cache) = Build(new LimitsOptions { FailedAuthenticationsPerAddress = 50 }, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var format = new ApiKeyFormat("gw");
        var client = IPAddress.Parse("203.0.113.50");
        var outcomes = Enumerable.Range(0, 10_000).Select(_ => authenticator.Authenticate(format.Mint(ApiKeyFormatKind.Standard).Key, client).Outcome).ToList();

        Assert.Equal(50, store.Lookups);
        Assert.Equal(50, outcomes.Count(o => o == AuthenticationOutcome.Failed));
        Assert.Equal(9_950, outcomes.Count(o => o == AuthenticationOutcome.Throttled));
        Assert.True(cache.MissingCount <= 1000, "the negative cache stays bounded");
    }

    [Fact]
    public void FromManyAddresses_LookupsStopAtTheGlobalLimit()
    {
        var (authenticator, store, _) = Build(new LimitsOptions { FailedAuthenticationsPerSecond = 100 }, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var format = new ApiKeyFormat("gw");
        for (var i = 0; i < 10_000; i++)
        {
            authenticator.Authenticate(format.Mint(ApiKeyFormatKind.Standard).Key, new IPAddress(0x0A000000 + i));
        }

        Assert.Equal(100, store.Lookups);
    }

    [Fact]
    public void MalformedKeys_NeverReachTheStore()
    {
        var (authenticator, store, _) = Build(new LimitsOptions(), new FakeTimeProvider(DateTimeOffset.UtcNow));
        for (var i = 0; i < 1000; i++)
        {
            authenticator.Authenticate("gw_" + Guid.NewGuid().ToString("N"), IPAddress.Loopback);
        }

        Assert.Equal(0, store.Lookups);
    }
}
