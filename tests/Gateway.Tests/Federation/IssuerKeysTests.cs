using Gateway.Configuration;
using Gateway.Federation;
using Gateway.Policy.Model;
using Gateway.Tests.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Tests.Federation;

/// <summary>One issuer's key manager against a real issuer on loopback, with the clock in the test's hands.</summary>
public sealed class IssuerKeysTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly FederationOptions _options = new() { AllowPrivateIssuerAddresses = true };
    private TestIssuer _idp = null!;
    private IssuerDocumentClient _client = null!;
    private IssuerKeys _keys = null!;

    public async Task InitializeAsync()
    {
        _idp = await TestIssuer.StartAsync();
        _client = new IssuerDocumentClient(_options);
        var issuer = new TrustedIssuer { Url = _idp.Url, Org = "acme", Audiences = ["acme"], Algorithms = ["RS256", "ES256"] };
        _keys = new IssuerKeys(issuer, _client, _options, _time, NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task UnknownKids_CostOneFetchPerRefetchInterval()
    {
        Assert.Equal(KeyLookupStatus.Found, (await _keys.FindAsync(_idp.Current.KeyId, default)).Status);
        Assert.Equal(1, _idp.JwksFetches);

        for (var i = 0; i < 500; i++)
        {
            Assert.Equal(KeyLookupStatus.UnknownKey, (await _keys.FindAsync("random-" + i, default)).Status);
        }

        Assert.Equal(1, _idp.JwksFetches);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(KeyLookupStatus.UnknownKey, (await _keys.FindAsync("random", default)).Status);
        Assert.Equal(1, _idp.JwksFetches);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(KeyLookupStatus.UnknownKey, (await _keys.FindAsync("random", default)).Status);
        Assert.Equal(2, _idp.JwksFetches);
    }

    [Fact]
    public async Task ConcurrentMisses_ShareOneFetch()
    {
        var lookups = Enumerable.Range(0, 64).Select(_ => _keys.FindAsync(_idp.Current.KeyId, default).AsTask());
        var results = await Task.WhenAll(lookups);
        Assert.All(results, r => Assert.Equal(KeyLookupStatus.Found, r.Status));
        Assert.Equal(1, _idp.JwksFetches);
    }

    [Fact]
    public async Task Rotation_IsPickedUpByTheFirstTokenWithTheNewKid_AfterTheInterval()
    {
        await _keys.FindAsync(_idp.Current.KeyId, default);
        var next = _idp.Rotate();
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(KeyLookupStatus.Found, (await _keys.FindAsync(next.KeyId, default)).Status);
    }

    [Fact]
    public async Task IssuerDown_LastGoodKeysUntilTheStalenessLimit_ThenUnavailable()
    {
        var kid = _idp.Current.KeyId;
        await _keys.FindAsync(kid, default);
        _idp.Down = true;

        _time.Advance(TimeSpan.FromHours(2)); // past the scheduled refresh, which fails
        await _keys.RefreshIfDueAsync();
        Assert.True(_keys.LastAttemptFailed);
        Assert.Equal(KeyLookupStatus.Found, (await _keys.FindAsync(kid, default)).Status);

        _time.Advance(TimeSpan.FromHours(23)); // 25 h after the last good fetch
        Assert.Equal(KeyLookupStatus.Unavailable, (await _keys.FindAsync(kid, default)).Status);

        _idp.Down = false;
        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(KeyLookupStatus.Found, (await _keys.FindAsync(kid, default)).Status);
        Assert.False(_keys.LastAttemptFailed);
    }

    [Fact]
    public async Task NeverFetched_AndDown_IsUnavailable()
    {
        _idp.Down = true;
        Assert.Equal(KeyLookupStatus.Unavailable, (await _keys.FindAsync(_idp.Current.KeyId, default)).Status);
        Assert.Equal(KeyLookupStatus.Unavailable, (await _keys.FindAsync(null, default)).Status);
    }

    [Fact]
    public async Task AnOversizedKeySet_IsRefused_AndTheLastGoodKeysStay()
    {
        var kid = _idp.Current.KeyId;
        await _keys.FindAsync(kid, default);
        _idp.JwksBody = "{\"keys\":[],\"pad\":\"" + new string('x', _options.MaxJwksBytes) + "\"}";
        _time.Advance(_options.KeyRefreshInterval);
        await _keys.RefreshIfDueAsync();
        Assert.True(_keys.LastAttemptFailed);
        Assert.Equal(KeyLookupStatus.Found, (await _keys.FindAsync(kid, default)).Status);
    }

    [Fact]
    public async Task ADiscoveryDocumentNamingAnotherIssuer_IsRefused()
    {
        _idp.DiscoveryIssuer = "https://someone-else.example";
        Assert.Equal(KeyLookupStatus.Unavailable, (await _keys.FindAsync(_idp.Current.KeyId, default)).Status);
        Assert.Equal(0, _idp.JwksFetches);
    }

    [Fact]
    public async Task ASlowIssuer_IsAnOutage_LastGoodKeysThenUnavailable()
    {
        // The first fetch must succeed on a busy machine too (a 1 s timeout lost it under the full
        // suite now and then); the slow issuer then takes far longer than the timeout.
        var options = _options with { FetchTimeout = TimeSpan.FromSeconds(3) };
        using var client = new IssuerDocumentClient(options);
        var keys = new IssuerKeys(new TrustedIssuer { Url = _idp.Url, Org = "acme", Audiences = ["acme"], Algorithms = ["RS256"] }, client, options, _time, NullLogger.Instance);
        var kid = _idp.Current.KeyId;
        Assert.Equal(KeyLookupStatus.Found, (await keys.FindAsync(kid, default)).Status);

        _idp.Delay = TimeSpan.FromSeconds(20);
        _time.Advance(options.KeyRefreshInterval);
        var started = DateTime.UtcNow;
        await keys.RefreshIfDueAsync();
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the fetch was not cut off by its timeout");
        Assert.True(keys.LastAttemptFailed);
        Assert.Equal(KeyLookupStatus.Found, (await keys.FindAsync(kid, default)).Status);
        _time.Advance(options.MaxKeyStaleness);
        Assert.Equal(KeyLookupStatus.Unavailable, (await keys.FindAsync(kid, default)).Status);
    }

    [Fact]
    public async Task ScheduledRefresh_HappensOnlyWhenDue()
    {
        await _keys.RefreshIfDueAsync();
        await _keys.RefreshIfDueAsync();
        Assert.Equal(1, _idp.JwksFetches);
        _time.Advance(_options.KeyRefreshInterval);
        await _keys.RefreshIfDueAsync();
        Assert.Equal(2, _idp.JwksFetches);
    }
}
