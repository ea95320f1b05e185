using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Every refusal names its request: in the problem body, the X-Request-Id header and the log line.</summary>
public sealed class RequestIdTests
{
    [Fact]
    public async Task ARefusal_CarriesItsRequestId_InBodyHeaderAndLog()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);

        var denied = await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["ci@ml"]);
        var unauthenticated = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", "gw_" + new string('x', 40));
        var admin = await gw.GetAsync("/admin/v1/users/nobody", keys["erin"]);
        var ids = new List<string>();
        foreach (var response in new[] { denied, unauthenticated, admin })
        {
            _ = response.WithoutRequestId; // body and header agree
            var id = response.Str("requestId");
            Assert.False(string.IsNullOrWhiteSpace(id));
            ids.Add(id);
        }

        Assert.Equal(3, ids.Distinct().Count());
        Assert.Equal(403, denied.Status);
        await Eventually(() => gw.Logs.Lines.Any(l => l.Contains("Denied ci@ml", StringComparison.Ordinal) && l.Contains($"request {ids[0]}", StringComparison.Ordinal)));
        // An allowed request is forwarded as the upstream answered it: no id is added to its answer.
        var allowed = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["ci@ml"]);
        Assert.Equal(200, allowed.Status);
        Assert.False(allowed.Headers.Contains("X-Request-Id"));
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }
}
