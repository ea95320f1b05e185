using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Behind a load balancer every connection comes from its address. With the balancer listed in
/// Gateway:Proxy:TrustedProxies the client is the first untrusted address of X-Forwarded-For (from the
/// right), and the failed-authentication limits, the audit and the upstream's X-Forwarded-For use it;
/// without it, whatever X-Forwarded-For says is ignored. The test's own connections come from
/// 127.0.0.1, which plays the balancer.
/// </summary>
public sealed class TrustedProxyTests
{
    private static string Config(Uri echo) => $$"""
    { "ReverseProxy": { "Routes": {
        "who": { "ClusterId": "c", "Match": { "Path": "/who/{**rest}" }, "Metadata": { "Gateway.Scope": "authenticated" } } },
      "Clusters": { "c": { "Destinations": { "d": { "Address": "{{echo}}" } } } } } }
    """;

    private static async Task<int> SendAsync(TestGateway gw, string key, string? forwardedFor, string marker = "")
    {
        var response = await gw.ProxyAsync(HttpMethod.Get, "/who/x", key, configure: r =>
        {
            if (forwardedFor is not null)
            {
                r.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            }

            r.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
        });
        return response.Status;
    }

    [Fact]
    public async Task BehindATrustedProxy_EachClientHasItsOwnAddress()
    {
        // The limits count per minute: a fake clock keeps every attempt in one window.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(time, _ => Config(echo.Url),
            "--Gateway:Proxy:TrustedProxies:0=127.0.0.1", "--Gateway:Proxy:TrustedProxies:1=10.0.0.0/8", "--Gateway:Limits:FailedAuthenticationsPerAddress=3");
        // A malformed credential counts against its client's address only.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, await SendAsync(gw, "not-a-key", "203.0.113.7"));
        }

        Assert.Equal(429, await SendAsync(gw, "not-a-key", "203.0.113.7"));
        // Another client behind the same balancer is not throttled by the first one's failures.
        Assert.Equal(401, await SendAsync(gw, "not-a-key", "198.51.100.9"));
        // Trusted hops are walked past: the client is the first untrusted address from the right.
        Assert.Equal(429, await SendAsync(gw, "not-a-key", "203.0.113.7, 10.1.2.3"));
        // A client's own X-Forwarded-For entries to the left of its address do not help it.
        Assert.Equal(429, await SendAsync(gw, "not-a-key", "192.0.2.1, 203.0.113.7"));

        // The upstream receives the client's address alone, never the chain or the hops consumed.
        var marker = Guid.NewGuid().ToString("N");
        Assert.Equal(200, await SendAsync(gw, gw.RootKey, "192.0.2.44, 10.9.9.9", marker));
        var upstream = echo.Received.Single(r => r.Single("X-Test-Marker") == marker);
        Assert.Equal("192.0.2.44", upstream.Single("X-Forwarded-For"));
        Assert.False(upstream.Has("X-Original-For"));
    }

    [Fact]
    public async Task WithoutTrustedProxies_XForwardedForIsIgnored()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(time, _ => Config(echo.Url), "--Gateway:Limits:FailedAuthenticationsPerAddress=3");
        // A client spoofing a new address with every failure is still one address: the socket's.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, await SendAsync(gw, "not-a-key", $"203.0.113.{i}"));
        }

        Assert.Equal(429, await SendAsync(gw, "not-a-key", "198.51.100.9"));
        var marker = Guid.NewGuid().ToString("N");
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(200, await SendAsync(gw, gw.RootKey, "192.0.2.44", marker));
        Assert.Equal("127.0.0.1", echo.Received.Single(r => r.Single("X-Test-Marker") == marker).Single("X-Forwarded-For"));
    }

    [Fact]
    public async Task InvalidEntries_RefuseStartup_NamingEach()
    {
        var error = await Assert.ThrowsAsync<Gateway.Hosting.GatewayStartupException>(() => TestGateway.StartAsync(
            "--Gateway:Proxy:TrustedProxies:0=10.0.0.0/33", "--Gateway:Proxy:TrustedProxies:1=lb.internal", "--Gateway:Admin:TrustedProxies:0=127.0.0.1/8x"));
        Assert.Contains("Gateway:Proxy:TrustedProxies:0 '10.0.0.0/33'", error.Message);
        Assert.Contains("Gateway:Proxy:TrustedProxies:1 'lb.internal'", error.Message);
        Assert.Contains("Gateway:Admin:TrustedProxies:0 '127.0.0.1/8x'", error.Message);
    }
}
