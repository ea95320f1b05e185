using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Names and emails are unique across the gateway, so a 409 can tell an org admin that something of
/// another organization exists. Such conflicts stay 409 but are probes: counted per caller (429 beyond
/// the limit, with Retry-After) and audited in the caller's organization with the value hashed, never in
/// clear. Conflicts with the caller's own organization are ordinary mistakes: neither counted nor audited.
/// </summary>
public sealed class ConflictProbeTests
{
    [Fact]
    public async Task ConflictsWithAnotherOrganizationsNames_AreCountedAndAudited()
    {
        // The limits count per minute: a fake clock keeps every attempt in one window however slow the machine.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gw = await TestGateway.StartAsync(time, null, "--Gateway:Limits:FailedAuthenticationsPerKeyId=5");
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", gw.RootKey, new { username = "alice", email = "alice@acme.example" }));
        var beta = await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "beta", admin = new { username = "bea", email = "bea@beta.example" } }));
        var bea = beta.Json.GetProperty("adminKey").GetProperty("key").GetString()!;

        // Own organization: an ordinary 409, nothing counted.
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/beta/teams", bea, new { name = "research" }));
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(409, (await gw.PostAsync("/admin/v1/orgs/beta/teams", bea, new { name = "research" })).Status);
        }

        // Another organization's email, user name and team name: still 409, counted, audited hashed.
        var probes = new (string Path, object Body, string Code)[]
        {
            ("/admin/v1/orgs/beta/users", new { username = "probe1", email = "ALICE@acme.example" }, "email_taken"),
            ("/admin/v1/orgs/beta/users", new { username = "alice", email = "other@beta.example" }, "name_taken"),
            ("/admin/v1/orgs/beta/teams", new { name = "ml" }, "name_taken"),
            ("/admin/v1/orgs/beta/teams", new { name = "acme" }, "name_taken"),
            ("/admin/v1/orgs/beta/users", new { username = "probe2", email = "alice@acme.example" }, "email_taken"),
        };
        foreach (var (path, body, code) in probes)
        {
            var response = await gw.PostAsync(path, bea, body);
            Assert.True(response.Status == 409 && response.Code == code, response.ToString());
        }

        // Over the caller's limit: 429 with Retry-After, before the store is asked.
        var limited = await gw.PostAsync("/admin/v1/orgs/beta/teams", bea, new { name = "ml" });
        Assert.True(limited.Status == 429 && limited.Code == "too_many_failed_authentications", limited.ToString());
        Assert.NotNull(limited.Headers.RetryAfter);
        // Even a fresh name is refused while limited; after the window it works again.
        Assert.Equal(429, (await gw.PostAsync("/admin/v1/orgs/beta/teams", bea, new { name = "fresh" })).Status);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/beta/teams", bea, new { name = "fresh" })).Status);

        var audit = await gw.GetAsync("/admin/v1/audit?limit=1000", bea);
        var events = audit.Json.EnumerateArray().Where(e => e.GetProperty("action").GetString()!.EndsWith("_conflict", StringComparison.Ordinal)).ToList();
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Matches("^conflict=(name|email)_taken sha256=[0-9a-f]{16}$", e.GetProperty("detail").GetString()));
        Assert.DoesNotContain("alice@acme.example", audit.Text, StringComparison.OrdinalIgnoreCase);
        // acme's own audit records nothing of beta's probes.
        var acme = await gw.GetAsync("/admin/v1/audit?limit=1000", gw.RootKey);
        Assert.DoesNotContain(acme.Json.EnumerateArray(), e => e.GetProperty("action").GetString()!.EndsWith("_conflict", StringComparison.Ordinal));
    }
}
