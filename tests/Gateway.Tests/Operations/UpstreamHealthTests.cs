using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Operations;

/// <summary>Clients that give up must not make a healthy upstream look broken to passive health checks.</summary>
public sealed class UpstreamHealthTests
{
    [Fact]
    public async Task ClientAborts_DoNotMarkTheUpstreamUnhealthy()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => $$"""
        { "ReverseProxy": {
            "Routes": {
              "slow": { "ClusterId": "guarded", "Match": { "Path": "/slow/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } },
              "fast": { "ClusterId": "guarded", "Match": { "Path": "/fast/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } }
            },
            "Clusters": { "guarded": {
              "Destinations": { "d1": { "Address": "{{echo.Url}}" } },
              "HealthCheck": { "Passive": { "Enabled": true, "Policy": "TransportFailureRate", "ReactivationPeriod": "00:05:00" } },
              "Metadata": { "TransportFailureRateHealthPolicy.RateLimit": "0.1", "TransportFailureRateHealthPolicy.MinimalTotalCountThreshold": "5" } } } } }
        """);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/fast/x", null)).Status);

        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        var aborted = 0;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            try
            {
                await impatient.GetAsync(new Uri(gw.ProxyUrl, "/slow/x"));
            }
            catch (TaskCanceledException)
            {
                Interlocked.Increment(ref aborted);
            }
        }));
        Assert.Equal(20, aborted);
        await Task.Delay(500);

        // Still healthy: a destination marked unhealthy would answer 503 here.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/fast/x", null)).Status);
        }
    }
}
