using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// The unmodified @wandb/sdk (npm, pinned in tests/js/package-lock.json) runs <c>wandb.init</c> with a
/// bare project through the gateway, with a team service account's key, in front of an upstream that
/// acts as one shared user: the run must land in the service account's team, end to end.
/// </summary>
public sealed class JsSdkTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    [Fact]
    public async Task WandbInit_WithABareProject_LandsInTheServiceAccountsTeam()
    {
        await NodeClients.EnsureInstalledAsync();
        var (exit, output, errors) = await NodeClients.RunAsync("node", ["wandb-init.mjs", "team-p"], new Dictionary<string, string>
        {
            ["WANDB_BASE_URL"] = fixture.Gw.ProxyUrl.ToString().TrimEnd('/'),
            ["WANDB_API_KEY"] = fixture.Keys["ci@ml"],
            ["WANDB_MODE"] = "online",
        });
        Assert.True(exit == 0, $"node exited {exit}: {output}\n{errors}");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'));
        using var result = JsonDocument.Parse(line);
        Assert.Equal("ml", result.RootElement.GetProperty("entity").GetString());
        Assert.Equal("team-p", result.RootElement.GetProperty("project").GetString());
        var id = result.RootElement.GetProperty("id").GetString();

        // What reached the shared-user upstream: the run created in ml (never the shared user's entity),
        // and its history streamed to ml/team-p.
        var upsert = fixture.Upstream.Received.Last(r => r.Path == "/graphql" && r.Body.Contains("UpsertBucket", StringComparison.Ordinal) && r.Body.Contains(id!, StringComparison.Ordinal));
        using (var body = JsonDocument.Parse(upsert.Body))
        {
            Assert.Equal("ml", body.RootElement.GetProperty("variables").GetProperty("entity").GetString());
        }

        Assert.Contains(fixture.Upstream.Received, r => r.Path == $"/files/ml/team-p/{id}/file_stream" && r.Single("X-Gateway-Principal") == "ci@ml");
        Assert.DoesNotContain(fixture.Upstream.Received, r => r.Path.Contains("shared-user", StringComparison.Ordinal));
    }
}
