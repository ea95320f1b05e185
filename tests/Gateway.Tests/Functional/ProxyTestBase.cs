using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

public abstract class ProxyTestBase(ProxyFixture fixture)
{
    protected ProxyFixture Fixture => fixture;

    protected TestGateway Gw => fixture.Gw;

    protected EchoUpstream Echo => fixture.Echo;

    protected string K(string who) => fixture.Keys[who];

    protected static string Marker() => "m" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Sends with a marker header, and returns what the upstream received with that marker (if anything).</summary>
    protected async Task<(ApiResponse Response, EchoRequest? Upstream)> SendAsync(HttpMethod method, string path, string? key, Action<HttpRequestMessage>? configure = null, object? body = null)
    {
        var marker = Marker();
        var response = await Gw.ProxyAsync(method, path, key, body ?? (method == HttpMethod.Get ? null : new { }), r =>
        {
            r.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
            configure?.Invoke(r);
        });
        return (response, Upstream(marker));
    }

    protected EchoRequest? Upstream(string marker) => Echo.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker);

    /// <summary>The refusal, and that no key of the fixture has reached any log line so far.</summary>
    protected void AssertProblem(ApiResponse response, int status, string code)
    {
        Assert.True(response.Status == status, $"expected {status} {code}, got {response}");
        Assert.Equal("application/problem+json", response.MediaType);
        Assert.Equal(code, response.Code);
        var logs = Gw.Logs.All;
        foreach (var (who, key) in fixture.Keys)
        {
            Assert.False(logs.Contains(key, StringComparison.Ordinal), $"the key of {who} reached the logs");
        }
    }
}
