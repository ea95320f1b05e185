using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// The gateway operator role over the admin API: the bootstrap admin creates an organization with its
/// first admin (key shown once), org admins see only their own organization, operators grant and revoke
/// the role, the last one stays.
/// </summary>
public sealed class OperatorTests
{
    [Fact]
    public async Task TheBootstrapAdmin_CreatesAnOrganization_WhoseAdminSeesOnlyIt()
    {
        await using var gw = await TestGateway.StartAsync();
        var root = gw.RootKey;
        Assert.True((await gw.GetAsync("/admin/v1/whoami", root)).Json.GetProperty("operator").GetBoolean());

        var created = await gw.PostAsync("/admin/v1/orgs", root, new { name = "globex", admin = new { username = "hank", email = "hank@globex.example" } });
        Assert.Equal(201, created.Status);
        var hankKey = created.Json.GetProperty("adminKey").GetProperty("key").GetString()!;
        Assert.Equal("admin", created.Json.GetProperty("admin").GetProperty("orgRole").GetString());

        // The new admin works in their organization and sees only it; creating one is refused.
        var hank = await gw.GetAsync("/admin/v1/whoami", hankKey);
        Assert.Equal("globex", hank.Json.GetProperty("org").GetString());
        Assert.False(hank.Json.GetProperty("operator").GetBoolean());
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/globex/teams", hankKey, new { name = "research" })).Status);
        Assert.Equal(["globex"], (await gw.GetAsync("/admin/v1/orgs", hankKey)).Json.EnumerateArray().Select(o => o.GetProperty("name").GetString()));
        var refused = await gw.PostAsync("/admin/v1/orgs", hankKey, new { name = "initech", admin = new { username = "bill", email = "bill@initech.example" } });
        Assert.Equal(403, refused.Status);
        Assert.Equal("operator_required", refused.Code);
        Assert.Equal(404, (await gw.PostAsync("/admin/v1/orgs/acme/teams", hankKey, new { name = "sneaky" })).Status);

        // The operator sees both, with counts; each organization's audit has the creation.
        var all = (await gw.GetAsync("/admin/v1/orgs", root)).Json.EnumerateArray().ToList();
        Assert.Equal(["acme", "globex"], all.Select(o => o.GetProperty("name").GetString()));
        Assert.Equal(1, all[1].GetProperty("teams").GetInt32());
        Assert.Contains((await gw.GetAsync("/admin/v1/audit?action=org.create", hankKey)).Json.EnumerateArray(), e => e.GetProperty("actor").GetString() == "root");

        // Bad input: every error at once; taken names.
        var bad = await gw.PostAsync("/admin/v1/orgs", root, new { name = "Bad Name!", admin = new { username = "", email = "nope" } });
        Assert.Equal(400, bad.Status);
        Assert.Contains("admin.email", bad.Text);
        Assert.Contains("admin.username", bad.Text);
        Assert.Equal(409, (await gw.PostAsync("/admin/v1/orgs", root, new { name = "globex", admin = new { username = "other", email = "o@x.example" } })).Status);
        Assert.Equal(409, (await gw.PostAsync("/admin/v1/orgs", root, new { name = "newco", admin = new { username = "hank", email = "h2@x.example" } })).Status);
    }

    [Fact]
    public async Task Operators_GrantAndRevokeTheRole_ButNeverTheLastOne()
    {
        await using var gw = await TestGateway.StartAsync();
        var root = gw.RootKey;
        var created = await gw.PostAsync("/admin/v1/orgs", root, new { name = "globex", admin = new { username = "hank", email = "hank@globex.example" } });
        var hankKey = created.Json.GetProperty("adminKey").GetProperty("key").GetString()!;

        Assert.Equal(403, (await gw.PutAsync("/admin/v1/operators/hank", hankKey, new { })).Status);
        var lastOne = await gw.DeleteAsync("/admin/v1/operators/root", root);
        Assert.Equal(409, lastOne.Status);
        Assert.Equal("last_operator", lastOne.Code);

        Assert.Equal(200, (await gw.PutAsync("/admin/v1/operators/hank", root, new { })).Status);
        Assert.Equal(["hank", "root"], (await gw.GetAsync("/admin/v1/operators", hankKey)).Json.EnumerateArray().Select(o => o.GetProperty("username").GetString()));
        Assert.Equal(2, (await gw.GetAsync("/admin/v1/orgs", hankKey)).Json.GetArrayLength());
        Assert.Equal(200, (await gw.DeleteAsync("/admin/v1/operators/root", hankKey)).Status);
        Assert.Equal(403, (await gw.PostAsync("/admin/v1/orgs", root, new { name = "initech", admin = new { username = "bill", email = "bill@initech.example" } })).Status);
        Assert.Equal(404, (await gw.PutAsync("/admin/v1/operators/nobody", hankKey, new { })).Status);
        Assert.Equal(409, (await gw.DeleteAsync("/admin/v1/operators/hank", hankKey)).Status);
    }

    [Fact]
    public async Task AStoreWithoutAnOperator_GivesTheRoleToItsBootstrapAdmin_Once()
    {
        await using var first = await TestGateway.StartAsync();
        var root = first.RootKey;
        // A store written before the role existed: the role taken away through the directory itself.
        var directory = (Gateway.Directory.DirectoryService)first.Services.GetService(typeof(Gateway.Directory.DirectoryService))!;
        directory.Write(d => (new Gateway.Store.ChangeSet().Put(d.UsersByName["root"] with { Operator = false }), 0));
        Assert.False((await first.GetAsync("/admin/v1/whoami", root)).Json.GetProperty("operator").GetBoolean());
        await first.StopAsync();

        await using var again = await TestGateway.StartAsync("--Gateway:Store:Path=" + first.DatabasePath);
        Assert.True((await again.GetAsync("/admin/v1/whoami", root)).Json.GetProperty("operator").GetBoolean());
        Assert.Contains(again.Logs.Lines, l => l.Contains("now holds the role", StringComparison.Ordinal));
    }
}
