using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// An org built by its admin through the admin API, as an operator would: teams ml and cv; users
/// erin (org admin), alice (ml admin), bob (ml member), vic (ml viewer), carol (cv admin), dave (no
/// team), olga (owner grant on ml/team-p); projects of each visibility; an org SA, a team SA, an
/// explicit SA with access to all current projects; a key for every principal.
/// </summary>
public sealed class OrgFixture : IAsyncLifetime
{
    public TestGateway Gw { get; private set; } = null!;

    public Dictionary<string, string> Keys { get; } = new();

    public string Root => Gw.RootKey;

    public async Task InitializeAsync()
    {
        Gw = await TestGateway.StartAsync();
        await Ok(Gw.PostAsync("/admin/v1/orgs/acme/teams", Root, new { name = "ml" }));
        await Ok(Gw.PostAsync("/admin/v1/orgs/acme/teams", Root, new { name = "cv" }));
        foreach (var (user, role) in new[] { ("erin", "admin"), ("alice", "member"), ("bob", "member"), ("vic", "member"), ("carol", "member"), ("dave", "member"), ("olga", "member") })
        {
            await Ok(Gw.PostAsync("/admin/v1/orgs/acme/users", Root, new { username = user, email = user + "@acme.example", orgRole = role }));
            Keys[user] = (await Ok(Gw.PostAsync($"/admin/v1/users/{user}/keys", Root, new { name = "laptop" }))).Str("key");
        }

        await Ok(Gw.PutAsync("/admin/v1/teams/ml/members/alice", Root, new { role = "admin" }));
        await Ok(Gw.PutAsync("/admin/v1/teams/ml/members/bob", Root, new { role = "member" }));
        await Ok(Gw.PutAsync("/admin/v1/teams/ml/members/vic", Root, new { role = "viewer" }));
        await Ok(Gw.PutAsync("/admin/v1/teams/cv/members/carol", Root, new { role = "admin" }));
        foreach (var (project, visibility) in new[] { ("team-p", "team"), ("secret", "restricted"), ("open-p", "open"), ("pub-p", "public") })
        {
            await Ok(Gw.PostAsync("/admin/v1/teams/ml/projects", Keys["alice"], new { name = project, visibility }));
        }

        await Ok(Gw.PostAsync("/admin/v1/teams/cv/projects", Keys["carol"], new { name = "cv-p" }));
        await Ok(Gw.PutAsync("/admin/v1/projects/ml/team-p/grants/olga", Keys["alice"], new { role = "owner" }));
        await Ok(Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", Root, new { name = "bot", defaultTeam = "cv" }));
        await Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Keys["alice"], new { name = "ci", authentication = "builtin" }));
        await Ok(Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", Root, new { name = "nep", defaultTeam = "ml", access = "explicit", grantAllCurrentProjects = true }));
        Keys["bot@acme"] = (await Ok(Gw.PostAsync("/admin/v1/service-accounts/bot@acme/keys", Root, new { name = "prod" }))).Str("key");
        Keys["ci@ml"] = (await Ok(Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", Keys["alice"], new { name = "gha", format = "legacy40" }))).Str("key");
    }

    public async Task DisposeAsync() => await Gw.DisposeAsync();

    public static async Task<ApiResponse> Ok(Task<ApiResponse> call)
    {
        var response = await call;
        Assert.True(response.Status is 200 or 201 or 204, $"setup call failed: {response}");
        return response;
    }
}
