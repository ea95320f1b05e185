using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Every "who may" cell of the admin API: one allowed and at least one refused caller each.</summary>
public sealed class AdminAuthorizationTests(OrgFixture org) : IClassFixture<OrgFixture>
{
    private TestGateway Gw => org.Gw;

    private string K(string who) => org.Keys[who];

    private static async Task Expect(int status, Task<ApiResponse> call, string? code = null)
    {
        var response = await call;
        Assert.True(status == response.Status, $"expected {status}, got {response}");
        if (code is not null)
        {
            Assert.Equal(code, response.Code);
        }
    }

    private static string Unique(string stem) => stem + Guid.NewGuid().ToString("N")[..6];

    [Fact]
    public async Task WhoAmI_AnyKey()
    {
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", K("dave")));
        var sa = await Gw.GetAsync("/admin/v1/whoami", K("ci@ml"));
        Assert.Equal("ci@ml", sa.Str("principal"));
        Assert.Equal("service_account", sa.Str("principalType"));
        await Expect(401, Gw.GetAsync("/admin/v1/whoami", null));
    }

    [Fact]
    public async Task TeamListings_CountOnlyTheProjectsTheCallerMaySee()
    {
        // ml holds team-p, open-p, pub-p, late-p and the restricted secret (alice's grant-free members do not see it).
        static int MlProjects(ApiResponse teams) => teams.Json.EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ml").GetProperty("projects").GetInt32();
        var bob = await Gw.GetAsync("/admin/v1/orgs/acme/teams", K("bob"));
        var listed = (await Gw.GetAsync("/admin/v1/projects?entity=ml", K("bob"))).Json.GetArrayLength();
        Assert.Equal(listed, MlProjects(bob));
        Assert.DoesNotContain("secret", (await Gw.GetAsync("/admin/v1/projects?entity=ml", K("bob"))).Text, StringComparison.Ordinal);
        // An org admin sees (and counts) every one, the restricted one included.
        Assert.Equal(MlProjects(bob) + 1, MlProjects(await Gw.GetAsync("/admin/v1/orgs/acme/teams", K("erin"))));
    }

    [Fact]
    public async Task RefusalsSayWhatToDo_ServiceAccountNames_AndTimeFormats()
    {
        // "keys create ci" for the service account ci@ml: the 404 names the form that works.
        var missing = await Gw.PostAsync("/admin/v1/users/ci/keys", org.Root, new { name = "k" });
        Assert.True(missing.Status == 404 && missing.Code == "user_not_found", missing.ToString());
        Assert.Contains("name@team or name@org", missing.Text, StringComparison.Ordinal);
        // "--expires-at 'in 30 days'": the 400 names the format.
        var when = await Gw.PostAsync("/admin/v1/users/root/keys", org.Root, new { name = "k", expiresAt = "in 30 days" });
        Assert.True(when.Status == 400 && when.Code == "invalid_body", when.ToString());
        Assert.Contains("ISO 8601", when.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateTeam_OrgAdminOnly()
    {
        await Expect(201, Gw.PostAsync("/admin/v1/orgs/acme/teams", K("erin"), new { name = Unique("t") }));
        await Expect(403, Gw.PostAsync("/admin/v1/orgs/acme/teams", K("alice"), new { name = Unique("t") }), "org_admin_required");
        await Expect(403, Gw.PostAsync("/admin/v1/orgs/acme/teams", K("bot@acme"), new { name = Unique("t") }), "org_admin_required");
        await Expect(404, Gw.PostAsync("/admin/v1/orgs/globex/teams", K("erin"), new { name = Unique("t") }), "org_not_found");
    }

    [Fact]
    public async Task CreateUser_OrgAdminOnly_AndNoServiceAccountMintsAnAdmin()
    {
        var name = Unique("u");
        await Expect(201, Gw.PostAsync("/admin/v1/orgs/acme/users", K("erin"), new { username = name, email = name + "@x.io", orgRole = "admin" }));
        await Expect(403, Gw.PostAsync("/admin/v1/orgs/acme/users", K("bob"), new { username = Unique("u"), email = Unique("e") + "@x.io" }));
        await Expect(403, Gw.PostAsync("/admin/v1/orgs/acme/users", K("ci@ml"), new { username = Unique("u"), email = Unique("e") + "@x.io", orgRole = "admin" }));
    }

    [Fact]
    public async Task Membership_TeamAdminOrOrgAdmin_AndCrossTeamProbingIs404()
    {
        var user = Unique("m");
        await FixtureUser(user);
        await Expect(200, Gw.PutAsync($"/admin/v1/teams/ml/members/{user}", K("alice"), new { role = "member" }));
        await Expect(200, Gw.PutAsync($"/admin/v1/teams/cv/members/{user}", K("erin"), new { role = "viewer" }));
        await Expect(403, Gw.PutAsync($"/admin/v1/teams/ml/members/{user}", K("bob"), new { role = "admin" }), "team_admin_required");
        // A team admin of cv adding themselves to ml, or probing ml: nothing to learn.
        await Expect(404, Gw.PutAsync("/admin/v1/teams/ml/members/carol", K("carol"), new { role = "admin" }), "team_not_found");
        await Expect(404, Gw.PutAsync("/admin/v1/teams/nonexistent/members/carol", K("carol"), new { role = "admin" }), "team_not_found");
        await Expect(404, Gw.DeleteAsync($"/admin/v1/teams/ml/members/{user}", K("carol")), "team_not_found");
        await Expect(403, Gw.DeleteAsync($"/admin/v1/teams/ml/members/{user}", K("vic")));
        await Expect(204, Gw.DeleteAsync($"/admin/v1/teams/ml/members/{user}", K("alice")));
        await Expect(404, Gw.DeleteAsync($"/admin/v1/teams/ml/members/{user}", K("alice")), "membership_not_found");
    }

    [Fact]
    public async Task CreateProject_TeamAdminOrOrgAdmin()
    {
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name = Unique("p"), visibility = "open" }));
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/projects", K("erin"), new { name = Unique("p") }));
        await Expect(403, Gw.PostAsync("/admin/v1/teams/ml/projects", K("bob"), new { name = Unique("p") }), "team_admin_required");
        await Expect(404, Gw.PostAsync("/admin/v1/teams/ml/projects", K("carol"), new { name = Unique("p") }), "team_not_found");
        await Expect(403, Gw.PostAsync("/admin/v1/teams/ml/projects", K("ci@ml"), new { name = Unique("p") }));
        await Expect(201, Gw.PostAsync("/admin/v1/teams/dave/projects", K("dave"), new { name = Unique("p") }));
        await Expect(404, Gw.PostAsync("/admin/v1/teams/dave/projects", K("bob"), new { name = Unique("p") }));
    }

    [Fact]
    public async Task UpdateProject_OwnerTeamAdminOrOrgAdmin()
    {
        var p = Unique("p");
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name = p, visibility = "team" }));
        await Expect(200, Gw.PatchAsync($"/admin/v1/projects/ml/{p}", K("alice"), new { visibility = "public" }));
        await Expect(200, Gw.PatchAsync($"/admin/v1/projects/ml/{p}", K("erin"), new { visibility = "open" }));
        await Expect(200, Gw.PatchAsync("/admin/v1/projects/ml/team-p", K("olga"), new { visibility = "team" }));
        await Expect(403, Gw.PatchAsync($"/admin/v1/projects/ml/{p}", K("bob"), new { visibility = "team" }), "not_project_manager");
        await Expect(403, Gw.PatchAsync($"/admin/v1/projects/ml/{p}", K("ci@ml"), new { visibility = "team" }), "not_project_manager");
        // A restricted project is invisible to those without a grant: 404, exactly as a missing one.
        await Expect(404, Gw.PatchAsync("/admin/v1/projects/ml/secret", K("bob"), new { visibility = "open" }), "project_not_found");
        await Expect(404, Gw.PatchAsync("/admin/v1/projects/ml/no-such", K("bob"), new { visibility = "open" }), "project_not_found");
        await Expect(404, Gw.PatchAsync("/admin/v1/projects/ml/secret", K("carol"), new { visibility = "open" }), "project_not_found");
        await Expect(400, Gw.PatchAsync($"/admin/v1/projects/ml/{p}", K("alice"), new { visibility = "private" }), "invalid_fields");
    }

    [Fact]
    public async Task Grants_ProjectManagersOnly()
    {
        var p = Unique("p");
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name = p, visibility = "restricted" }));
        await Expect(200, Gw.PutAsync($"/admin/v1/projects/ml/{p}/grants/bob", K("alice"), new { role = "owner" }));
        // bob now owns it, so he may grant too; ci@ml gets contributor.
        await Expect(200, Gw.PutAsync($"/admin/v1/projects/ml/{p}/grants/ci@ml", K("bob"), new { role = "contributor" }));
        await Expect(200, Gw.PutAsync($"/admin/v1/projects/ml/{p}/grants/dave", K("erin"), new { role = "viewer" }));
        // dave (viewer grant) sees it but may not manage; vic (no grant) may not even see it.
        await Expect(403, Gw.PutAsync($"/admin/v1/projects/ml/{p}/grants/vic", K("dave"), new { role = "owner" }), "not_project_manager");
        await Expect(404, Gw.PutAsync($"/admin/v1/projects/ml/{p}/grants/vic", K("vic"), new { role = "owner" }), "project_not_found");
        await Expect(404, Gw.PutAsync($"/admin/v1/projects/ml/{p}/grants/nobody", K("alice"), new { role = "viewer" }), "principal_not_found");
        await Expect(404, Gw.DeleteAsync($"/admin/v1/projects/ml/{p}/grants/dave", K("vic")));
        await Expect(204, Gw.DeleteAsync($"/admin/v1/projects/ml/{p}/grants/dave", K("bob")));
        await Expect(404, Gw.DeleteAsync($"/admin/v1/projects/ml/{p}/grants/dave", K("bob")), "grant_not_found");
    }

    [Fact]
    public async Task OrgServiceAccounts_OrgAdminOnly()
    {
        await Expect(201, Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", K("erin"), new { name = Unique("sa"), defaultTeam = "ml" }));
        await Expect(403, Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", K("alice"), new { name = Unique("sa"), defaultTeam = "ml" }));
        await Expect(400, Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", K("erin"), new { name = Unique("sa") }), "invalid_fields");
        await Expect(400, Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", K("erin"), new { name = Unique("sa"), defaultTeam = "nope" }), "invalid_fields");
    }

    [Fact]
    public async Task TeamServiceAccounts_TeamAdminOrOrgAdmin_BuiltinOrFederated()
    {
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = Unique("sa") }));
        var issuer = "https://" + Unique("idp") + ".example";
        // An external account needs an issuer registered for its organization.
        await Expect(400, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("erin"),
            new { name = Unique("ext"), authentication = "federated", issuer, subject = Unique("repo:") }), "invalid_fields");
        await Expect(201, Gw.PostAsync("/admin/v1/orgs/acme/issuers", K("erin"), new { issuer }));
        var fed = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("erin"),
            new { name = Unique("ext"), authentication = "federated", issuer, subject = Unique("repo:") });
        Assert.Equal(201, fed.Status);
        Assert.Equal("federated", fed.Str("authentication"));
        await Expect(409, Gw.PostAsync($"/admin/v1/service-accounts/{fed.Str("displayName")}/keys", K("alice"), new { name = "k" }), "federated_account_has_no_keys");
        await Expect(403, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("bob"), new { name = Unique("sa") }));
        await Expect(404, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("carol"), new { name = Unique("sa") }));
        await Expect(400, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = Unique("sa"), authentication = "federated" }), "invalid_fields");
    }

    [Fact]
    public async Task ServiceAccountReadAndDelete_ItsManagersOnly()
    {
        var name = Unique("sa");
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name }));
        await Expect(200, Gw.GetAsync($"/admin/v1/service-accounts/{name}@ml", K("alice")));
        await Expect(200, Gw.GetAsync($"/admin/v1/service-accounts/{name}@ml", K("erin")));
        await Expect(404, Gw.GetAsync($"/admin/v1/service-accounts/{name}@ml", K("carol")), "service_account_not_found");
        await Expect(404, Gw.GetAsync($"/admin/v1/service-accounts/{name}@ml", K("bob")));
        await Expect(404, Gw.GetAsync("/admin/v1/service-accounts/bot@acme", K("alice")));
        await Expect(404, Gw.DeleteAsync($"/admin/v1/service-accounts/{name}@ml", K("ci@ml")));
        var key = (await Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/keys", K("alice"), new { name = "k" })).Str("key");
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", key));
        await Expect(204, Gw.DeleteAsync($"/admin/v1/service-accounts/{name}@ml", K("alice")));
        await Expect(401, Gw.GetAsync("/admin/v1/whoami", key));
        await Expect(404, Gw.GetAsync($"/admin/v1/service-accounts/{name}@ml", K("alice")));
    }

    [Fact]
    public async Task DeactivateAndReactivate_ItsManagers_AndEarlierKeysStayDead()
    {
        var name = Unique("sa");
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name }));
        var key = (await Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/keys", K("alice"), new { name = "k" })).Str("key");
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", key));
        await Expect(404, Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/deactivate", K("carol"), null));
        await Expect(200, Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/deactivate", K("alice"), null));
        await Expect(401, Gw.GetAsync("/admin/v1/whoami", key));
        await Expect(409, Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/keys", K("alice"), new { name = "k2" }), "service_account_deactivated");
        await Expect(404, Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/reactivate", K("bob"), null));
        var reactivated = await Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/reactivate", K("erin"), null);
        Assert.True(reactivated.Json.GetProperty("active").GetBoolean());
        await Expect(401, Gw.GetAsync("/admin/v1/whoami", key));
        var fresh = (await Gw.PostAsync($"/admin/v1/service-accounts/{name}@ml/keys", K("alice"), new { name = "k3" })).Str("key");
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", fresh));
    }

    [Fact]
    public async Task ServiceAccountKeys_ItsManagers_SeveralPerAccount()
    {
        var first = await Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("alice"), new { name = "a" });
        var second = await Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("erin"), new { name = "b" });
        Assert.Equal(201, first.Status);
        Assert.Equal(201, second.Status);
        Assert.NotEqual(first.Str("keyId"), second.Str("keyId"));
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", first.Str("key")));
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", second.Str("key")));
        await Expect(404, Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("bob"), new { name = "c" }));
        await Expect(404, Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("ci@ml"), new { name = "c" }));
    }

    [Fact]
    public async Task UserKeys_TheUserOrAnOrgAdmin_Audited()
    {
        await Expect(201, Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "own" }));
        await Expect(201, Gw.PostAsync("/admin/v1/users/dave/keys", K("erin"), new { name = "by-admin" }));
        // Another user's keys are invisible to a team admin and a service account: not found, as if no such user.
        await Expect(404, Gw.PostAsync("/admin/v1/users/dave/keys", K("alice"), new { name = "nope" }), "user_not_found");
        await Expect(404, Gw.PostAsync("/admin/v1/users/dave/keys", K("bot@acme"), new { name = "nope" }), "user_not_found");
        await Expect(404, Gw.PostAsync("/admin/v1/users/nobody/keys", K("erin"), new { name = "x" }));
        var audit = await Gw.GetAsync("/admin/v1/audit?actor=erin&action=key.create", K("erin"));
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("target").GetString() == "dave" && e.GetProperty("detail").GetString()!.Contains("on behalf"));
    }

    [Fact]
    public async Task ImportedLegacyKey_IsStoredHashed_AndWorks()
    {
        var legacy = System.Security.Cryptography.RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 40);
        var imported = await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "old", format = "legacy40", key = legacy });
        Assert.Equal(201, imported.Status);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, imported.Json.GetProperty("key").ValueKind);
        Assert.Equal("dave", (await Gw.GetAsync("/admin/v1/whoami", legacy)).Str("principal"));
        await Expect(400, Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "again", format = "legacy40", key = legacy }), "key_import_refused");
        await Expect(400, Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "bad", format = "legacy40", key = "short" }), "key_import_refused");
    }

    [Fact]
    public async Task ListKeys_ShowsOnlyKeysTheCallerManages_WithoutSecrets()
    {
        var mine = await Gw.GetAsync("/admin/v1/keys", K("bob"));
        Assert.All(mine.Json.EnumerateArray(), k => Assert.Equal("bob", k.GetProperty("owner").GetString()));
        Assert.DoesNotContain(K("bob"), mine.Text);
        var teamAdmin = await Gw.GetAsync("/admin/v1/keys", K("alice"));
        var owners = teamAdmin.Json.EnumerateArray().Select(k => k.GetProperty("owner").GetString()).ToHashSet();
        Assert.Contains("ci@ml", owners);
        Assert.Contains("alice", owners);
        Assert.DoesNotContain("bob", owners);
        Assert.DoesNotContain("bot@acme", owners);
        await Expect(404, Gw.GetAsync("/admin/v1/keys?owner=bot@acme", K("alice")), "principal_not_found");
        var filtered = await Gw.GetAsync("/admin/v1/keys?owner=ci@ml&q=gha", K("erin"));
        Assert.Single(filtered.Json.EnumerateArray());
        var all = await Gw.GetAsync("/admin/v1/keys", K("erin"));
        Assert.Contains(all.Json.EnumerateArray(), k => k.GetProperty("owner").GetString() == "bot@acme");
    }

    [Fact]
    public async Task DeleteKey_TheOwnersManagers_AndTheKeyFailsOnTheNextRequest()
    {
        var created = await Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("alice"), new { name = Unique("del") });
        var key = created.Str("key");
        var keyId = created.Str("keyId");
        await Expect(200, Gw.GetAsync("/admin/v1/whoami", key));
        await Expect(404, Gw.DeleteAsync($"/admin/v1/keys/{keyId}", K("carol")), "key_not_found");
        // Key ids are case-sensitive. A random id can have no lowercase letter (about 1 in 700): its
        // upper-case form would be itself, so the other case is used then (an id of digits only, about
        // 1 in 10^9, has no other case at all).
        var otherCase = keyId.ToUpperInvariant() != keyId ? keyId.ToUpperInvariant() : keyId.ToLowerInvariant();
        if (otherCase != keyId)
        {
            await Expect(404, Gw.DeleteAsync($"/admin/v1/keys/{otherCase}", K("alice")));
        }
        await Expect(204, Gw.DeleteAsync($"/admin/v1/keys/{keyId}", K("alice")));
        await Expect(401, Gw.GetAsync("/admin/v1/whoami", key));
        await Expect(404, Gw.DeleteAsync($"/admin/v1/keys/{keyId}", K("alice")));
    }

    [Fact]
    public async Task Audit_OrgAdminOnly_FilteredByActorAndAction()
    {
        var audit = await Gw.GetAsync("/admin/v1/audit?action=team.create", K("erin"));
        Assert.Equal(200, audit.Status);
        Assert.All(audit.Json.EnumerateArray(), e => Assert.Equal("team.create", e.GetProperty("action").GetString()));
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("target").GetString() == "ml" && e.GetProperty("address").GetString() == "127.0.0.1");
        await Expect(403, Gw.GetAsync("/admin/v1/audit", K("alice")), "org_admin_required");
        await Expect(400, Gw.GetAsync("/admin/v1/audit?since=yesterday", K("erin")), "invalid_fields");
        var none = await Gw.GetAsync("/admin/v1/audit?since=2999-01-01T00:00:00Z", K("erin"));
        Assert.Empty(none.Json.EnumerateArray());
    }

    [Fact]
    public async Task ExplicitAccount_GotGrantsOnlyOnProjectsThatExistedAtCreation()
    {
        var grants = await Gw.GetAsync("/admin/v1/projects/ml/team-p/grants", K("alice"));
        Assert.Contains(grants.Json.EnumerateArray(), g => g.GetProperty("principal").GetString() == "nep@acme" && g.GetProperty("role").GetString() == "contributor");
        var secret = await Gw.GetAsync("/admin/v1/projects/ml/secret/grants", K("alice"));
        Assert.DoesNotContain(secret.Json.EnumerateArray(), g => g.GetProperty("principal").GetString() == "nep@acme");
        var later = Unique("later");
        await Expect(201, Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name = later }));
        var laterGrants = await Gw.GetAsync($"/admin/v1/projects/ml/{later}/grants", K("alice"));
        Assert.Empty(laterGrants.Json.EnumerateArray());
    }

    private async Task FixtureUser(string name)
        => await Expect(201, Gw.PostAsync("/admin/v1/orgs/acme/users", org.Root, new { username = name, email = name + "@acme.example" }));
}
