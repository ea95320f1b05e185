using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Every refusal names its request (in the problem body, the X-Request-Id header and the log line), and a
/// 403 says in words whose rights and which rule refused what; a 404 stays the answer for a project that
/// does not exist.
/// </summary>
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
        Assert.Equal("Service account ci@ml is scoped to team ml; project cv/cv-p is outside it.", denied.Str("detail"));
        var viewer = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["vic"]);
        Assert.Equal((403, "insufficient_team_role"), (viewer.Status, viewer.Code));
        Assert.Equal("vic's role in team ml does not allow it to write to project ml/team-p.", viewer.Str("detail"));
        var member = await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["bob"]);
        Assert.Equal("bob is not a member of team cv, which owns project cv/cv-p.", member.Str("detail"));
        // A restricted project the caller may not see: the plain 404 (no words that would tell it exists).
        var hidden = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/secret/r1/file_stream", keys["bob"]);
        Assert.Equal((404, "project_not_found"), (hidden.Status, hidden.Code));
        Assert.False(hidden.Json.TryGetProperty("detail", out _));
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
