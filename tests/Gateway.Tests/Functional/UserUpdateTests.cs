using Gateway.Cli;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// <c>PATCH /users/{username}</c> and the default entity: the seeds' rule (one team: that team), a chosen
/// default among the user's own name and teams, role and email changes by org admins only, conflicts
/// and field errors; the CLI's <c>users update</c>. On a gateway of its own (it changes roles).
/// </summary>
public sealed class UserUpdateTests : IAsyncLifetime
{
    private readonly Dictionary<string, string> _keys = new();
    private TestGateway _gw = null!;
    private EchoUpstream _echo = null!;

    public async Task InitializeAsync()
    {
        _echo = await EchoUpstream.StartAsync();
        _gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, _echo.Url));
        await OrgFixture.BuildAsync(_gw, _keys);
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private async Task<string?> DefaultEntityAsync(string who)
        => (await _gw.GetAsync("/admin/v1/whoami", _keys[who])).Json.GetProperty("defaultEntity").GetString();

    [Fact]
    public async Task TheDefaultEntity_FollowsTheSeedsRule_AndTheUsersChoice()
    {
        var erin = _keys["erin"];
        Assert.Equal("ml", await DefaultEntityAsync("bob"));    // one team: that team
        Assert.Equal("dave", await DefaultEntityAsync("dave")); // no team: the personal entity
        // A request naming no entity goes where the default says.
        await OrgFixture.Ok(_gw.PutAsync("/admin/v1/teams/cv/members/bob", _keys["carol"], new { role = "member" }));
        Assert.Equal("bob", await DefaultEntityAsync("bob"));   // two teams, none chosen: personal

        var chosen = await OrgFixture.Ok(_gw.PatchAsync("/admin/v1/users/bob", _keys["bob"], new { defaultEntity = "cv" }));
        Assert.Equal("cv", chosen.Str("defaultEntity"));
        Assert.Equal("cv", await DefaultEntityAsync("bob"));
        var wrong = await _gw.PatchAsync("/admin/v1/users/bob", _keys["bob"], new { defaultEntity = "research" });
        Assert.Equal((400, "invalid_fields"), (wrong.Status, wrong.Code));
        Assert.Contains("bob, cv, ml", wrong.Text);

        // Leaving the chosen team: the choice no longer counts, the rule does again.
        await OrgFixture.Ok(_gw.DeleteAsync("/admin/v1/teams/cv/members/bob", _keys["carol"]));
        Assert.Equal("ml", await DefaultEntityAsync("bob"));
        Assert.Equal("ml", (await _gw.GetAsync("/admin/v1/users/bob", erin)).Str("defaultEntity"));

        // A new user is in no team: a team as their default is refused, with what to do instead.
        var early = await _gw.PostAsync("/admin/v1/orgs/acme/users", erin, new { username = "nina", email = "nina@acme.example", defaultEntity = "ml" });
        Assert.Equal((400, "invalid_fields"), (early.Status, early.Code));
        Assert.Contains("members set TEAM nina", early.Text);
    }

    [Fact]
    public async Task RoleAndEmail_AreOrgAdminsToChange()
    {
        var erin = _keys["erin"];
        var promoted = await OrgFixture.Ok(_gw.PatchAsync("/admin/v1/users/alice", erin, new { orgRole = "admin" }));
        Assert.Equal("admin", promoted.Str("orgRole"));
        Assert.Equal(200, (await _gw.GetAsync("/admin/v1/audit?limit=1", _keys["alice"])).Status); // alice now reads the org's audit
        var audit = (await _gw.GetAsync("/admin/v1/audit?action=user.update", erin)).Json[0];
        Assert.Equal("alice", audit.GetProperty("target").GetString());
        Assert.Equal("orgRole=admin", audit.GetProperty("detail").GetString());
        Assert.Equal("cannot_change_own_role", (await _gw.PatchAsync("/admin/v1/users/erin", erin, new { orgRole = "member" })).Code);

        // A member may not change roles or emails, their own included; another user is not there for them.
        Assert.Equal((403, "org_admin_required"), await AdminCliRunner.StatusAsync(_gw.PatchAsync("/admin/v1/users/bob", _keys["bob"], new { email = "bob2@acme.example" })));
        Assert.Equal((403, "org_admin_required"), await AdminCliRunner.StatusAsync(_gw.PatchAsync("/admin/v1/users/bob", _keys["bob"], new { orgRole = "admin" })));
        Assert.Equal((404, "user_not_found"), await AdminCliRunner.StatusAsync(_gw.PatchAsync("/admin/v1/users/vic", _keys["bob"], new { defaultEntity = "ml" })));

        Assert.Equal((409, "email_taken"), await AdminCliRunner.StatusAsync(_gw.PatchAsync("/admin/v1/users/bob", erin, new { email = "ALICE@acme.example" })));
        Assert.Equal("bob@new.example", (await OrgFixture.Ok(_gw.PatchAsync("/admin/v1/users/bob", erin, new { email = "bob@new.example" }))).Str("email"));

        // The name as shown: the user's own to change (not an identifier; a label's rules).
        Assert.Equal("Bob Builder", (await OrgFixture.Ok(_gw.PatchAsync("/admin/v1/users/bob", _keys["bob"], new { name = "Bob Builder" }))).Str("name"));
        Assert.Equal("Bob Builder", (await _gw.GetAsync("/admin/v1/users/bob", erin)).Str("name"));
        Assert.Equal((400, "invalid_fields"), await AdminCliRunner.StatusAsync(_gw.PatchAsync("/admin/v1/users/bob", _keys["bob"], new { name = " padded " })));
        var invalid = await _gw.PatchAsync("/admin/v1/users/bob", erin, new { orgRole = "owner", email = "not-an-email" });
        Assert.Equal(400, invalid.Status);
        Assert.Contains("orgRole", invalid.Text);
        Assert.Contains("email", invalid.Text);

        // The CLI's users update is the same call.
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await AdminCli.RunAsync(["admin", "users", "update", "vic", "--default-entity", "ml", "--output", "json"],
            new Dictionary<string, string?> { ["GATEWAY_URL"] = _gw.AdminUrl.ToString(), ["GATEWAY_KEY"] = erin }, output, errors);
        Assert.True(exit == 0, errors.ToString());
        Assert.Contains("\"defaultEntity\": \"ml\"", output.ToString());
    }
}
