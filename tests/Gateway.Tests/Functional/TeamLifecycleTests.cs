using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Deleting a team (refused while it holds anything, or with an explicit cascade; never while it is an
/// org service account's default team) and moving an org service account's default team, through the
/// API and the CLI, on a gateway of its own.
/// </summary>
public sealed class TeamLifecycleTests
{
    [Fact]
    public async Task ATeam_IsDeletedEmpty_OrWithCascade_NeverUnderAnAccountsFeet()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        var erin = keys["erin"];
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["cvbot@cv"])).Status);

        // Only org admins delete teams; a team the caller cannot see is not there for them.
        Assert.Equal((403, "org_admin_required"), await AdminCliRunner.StatusAsync(gw.DeleteAsync("/admin/v1/teams/cv", keys["carol"])));
        Assert.Equal((404, "team_not_found"), await AdminCliRunner.StatusAsync(gw.DeleteAsync("/admin/v1/teams/cv", keys["bob"])));
        Assert.Equal((404, "team_not_found"), await AdminCliRunner.StatusAsync(gw.DeleteAsync("/admin/v1/teams/nope", erin)));
        Assert.Equal((400, "invalid_query"), await AdminCliRunner.StatusAsync(gw.DeleteAsync("/admin/v1/teams/cv?cascade=maybe", erin)));

        // bot@acme defaults to cv: moved first, never guessed.
        var isDefault = await gw.DeleteAsync("/admin/v1/teams/cv?cascade=true", erin);
        Assert.Equal((409, "team_is_default_team"), (isDefault.Status, isDefault.Code));
        Assert.Contains("bot@acme", isDefault.Text);
        Assert.Equal((400, "invalid_fields"), await AdminCliRunner.StatusAsync(gw.PatchAsync("/admin/v1/service-accounts/bot@acme", erin, new { defaultTeam = "nope" })));
        Assert.Equal((400, "invalid_fields"), await AdminCliRunner.StatusAsync(gw.PatchAsync("/admin/v1/service-accounts/ci@ml", keys["alice"], new { defaultTeam = "cv" })));
        Assert.Equal((404, "service_account_not_found"), await AdminCliRunner.StatusAsync(gw.PatchAsync("/admin/v1/service-accounts/bot@acme", keys["bob"], new { defaultTeam = "ml" })));
        var moved = await OrgFixture.Ok(gw.PatchAsync("/admin/v1/service-accounts/bot@acme", erin, new { defaultTeam = "ml" }));
        Assert.Equal("ml", moved.Str("team"));
        Assert.Equal("ml", (await gw.GetAsync("/admin/v1/whoami", keys["bot@acme"])).Str("defaultEntity"));

        // Not empty: what it holds, and how to delete it anyway.
        var full = await gw.DeleteAsync("/admin/v1/teams/cv", erin);
        Assert.Equal((409, "team_not_empty"), (full.Status, full.Code));
        Assert.Contains("1 projects, 1 members, 1 team service accounts", full.Text);
        Assert.Contains("--cascade", full.Text);

        Assert.Equal(204, (await gw.DeleteAsync("/admin/v1/teams/cv?cascade=true", erin)).Status);
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/projects/cv/cv-p", erin)).Status);
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/service-accounts/cvbot@cv", erin)).Status);
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["cvbot@cv"])).Status);
        Assert.Empty((await gw.GetAsync("/admin/v1/users/carol", erin)).Json.GetProperty("teams").EnumerateObject());
        Assert.Equal("carol", (await gw.GetAsync("/admin/v1/whoami", keys["carol"])).Str("defaultEntity"));
        var audit = (await gw.GetAsync("/admin/v1/audit?action=team.delete", erin)).Json[0];
        Assert.Equal("cascade: 1 projects, 1 members, 1 team service accounts", audit.GetProperty("detail").GetString());

        // The name stays acme's: the upstream still holds data under entity cv. Another organization cannot
        // take it (nor can a user), and the proxy does not know cv as an entity any more.
        var globex = await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "globex", admin = new { username = "gus", email = "gus@globex.example" } }));
        var gus = globex.Json.GetProperty("adminKey").GetProperty("key").GetString()!;
        Assert.Equal((409, "name_taken"), await AdminCliRunner.StatusAsync(gw.PostAsync("/admin/v1/orgs/globex/teams", gus, new { name = "cv" })));
        Assert.Equal((409, "name_taken"), await AdminCliRunner.StatusAsync(gw.PostAsync("/admin/v1/orgs/acme/users", erin, new { username = "cv", email = "cv@acme.example" })));
        Assert.Equal((403, "entity_not_found"), await AdminCliRunner.StatusAsync(gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["bot@acme"])));

        // The CLI: an empty team goes without --cascade; the name is free again to its organization.
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", erin, new { name = "tmp" }));
        Assert.Equal(0, (await AdminCliRunner.RunAsync(gw, erin, "teams", "delete", "tmp")).Exit);
        Assert.Equal(0, (await AdminCliRunner.RunAsync(gw, erin, "service-accounts", "update", "bot@acme", "--default-team", "ml")).Exit);
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/acme/teams", erin, new { name = "cv" })).Status);
    }
}
