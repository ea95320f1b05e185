using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// An org built by its admin through the admin API, as an operator would: teams ml and cv; users
/// erin (org admin), alice (ml admin), bob (ml member), vic (ml viewer), carol (cv admin), dave (no
/// team), olga (owner grant on ml/team-p); projects of each visibility; an org SA, a team SA, an
/// explicit SA with access to all current projects, a second team's SA (cvbot@cv), a project created
/// after the explicit SA (ml/late-p); a key for every principal.
/// </summary>
public sealed class OrgFixture : IAsyncLifetime
{
    public TestGateway Gw { get; private set; } = null!;

    public Dictionary<string, string> Keys { get; } = new();

    public string Root => Gw.RootKey;

    public async Task InitializeAsync()
    {
        Gw = await TestGateway.StartAsync();
        await BuildAsync(Gw, Keys);
    }

    /// <summary>Builds the org through the admin API; fills <paramref name="keys"/> with every principal's key.</summary>
    public static async Task BuildAsync(TestGateway gw, Dictionary<string, string> keys)
    {
        var root = gw.RootKey;
        await Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "cv" }));
        foreach (var (user, role) in new[] { ("erin", "admin"), ("alice", "member"), ("bob", "member"), ("vic", "member"), ("carol", "member"), ("dave", "member"), ("olga", "member") })
        {
            await Ok(gw.PostAsync("/admin/v1/orgs/acme/users", root, new { username = user, email = user + "@acme.example", orgRole = role }));
            keys[user] = (await Ok(gw.PostAsync($"/admin/v1/users/{user}/keys", root, new { name = "laptop" }))).Str("key");
        }

        await Ok(gw.PutAsync("/admin/v1/teams/ml/members/alice", root, new { role = "admin" }));
        await Ok(gw.PutAsync("/admin/v1/teams/ml/members/bob", root, new { role = "member" }));
        await Ok(gw.PutAsync("/admin/v1/teams/ml/members/vic", root, new { role = "viewer" }));
        await Ok(gw.PutAsync("/admin/v1/teams/cv/members/carol", root, new { role = "admin" }));
        foreach (var (project, visibility) in new[] { ("team-p", "team"), ("secret", "restricted"), ("open-p", "open"), ("pub-p", "public") })
        {
            await Ok(gw.PostAsync("/admin/v1/teams/ml/projects", keys["alice"], new { name = project, visibility }));
        }

        await Ok(gw.PostAsync("/admin/v1/teams/cv/projects", keys["carol"], new { name = "cv-p" }));
        await Ok(gw.PutAsync("/admin/v1/projects/ml/team-p/grants/olga", keys["alice"], new { role = "owner" }));
        await Ok(gw.PostAsync("/admin/v1/orgs/acme/service-accounts", root, new { name = "bot", defaultTeam = "cv" }));
        await Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", keys["alice"], new { name = "ci", authentication = "builtin" }));
        await Ok(gw.PostAsync("/admin/v1/orgs/acme/service-accounts", root, new { name = "nep", defaultTeam = "ml", access = "explicit", grantAllCurrentProjects = true }));
        keys["bot@acme"] = (await Ok(gw.PostAsync("/admin/v1/service-accounts/bot@acme/keys", root, new { name = "prod" }))).Str("key");
        keys["ci@ml"] = (await Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", keys["alice"], new { name = "gha", format = "legacy40" }))).Str("key");
        keys["nep@acme"] = (await Ok(gw.PostAsync("/admin/v1/service-accounts/nep@acme/keys", root, new { name = "neptune" }))).Str("key");
        await Ok(gw.PostAsync("/admin/v1/teams/cv/service-accounts", keys["carol"], new { name = "cvbot" }));
        keys["cvbot@cv"] = (await Ok(gw.PostAsync("/admin/v1/service-accounts/cvbot@cv/keys", keys["carol"], new { name = "k" }))).Str("key");
        // Created after nep@acme: its "all current projects" grant does not cover it.
        await Ok(gw.PostAsync("/admin/v1/teams/ml/projects", keys["alice"], new { name = "late-p" }));
    }

    public async Task DisposeAsync() => await Gw.DisposeAsync();

    public static async Task<ApiResponse> Ok(Task<ApiResponse> call)
    {
        var response = await call;
        Assert.True(response.Status is 200 or 201 or 204, $"setup call failed: {response}");
        return response;
    }
}
