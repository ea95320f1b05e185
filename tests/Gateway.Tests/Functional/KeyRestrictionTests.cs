using System.Text.Json;
using Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Per-key restrictions on a real gateway: read-only keys, keys limited to projects, keys limited to
/// networks, alone and combined, on keys of users and service accounts; always within the owner's
/// rights (a project the owner may not see stays a 404); set at creation and by update through the API
/// and the CLI, listed, audited, kept by rotation; applied on the admin API too, so a restricted key
/// can never mint a key with more rights than its own.
/// </summary>
public sealed class KeyRestrictionTests
{
    private const string Upsert = "mutation { upsertBucket(input: {entityName: \"ml\", modelName: \"team-p\", name: \"r1\"}) { bucket { id } } }";
    private const string ReadProject = "{ project(name: \"team-p\", entityName: \"ml\") { id } }";


    private static async Task<(int, string?, string?)> RefusalAsync(Task<ApiResponse> call)
    {
        var response = await call;
        return (response.Status, response.Code, response.Code == "key_restricted" ? response.Str("restriction") : null);
    }

    [Fact]
    public async Task ReadOnlyKeys_ReadButNeverWrite_OnEveryKindOfRoute()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, echo, keys) = org;
        foreach (var (owner, manager) in new[] { ("ci@ml", "alice"), ("bob", "bob") })
        {
            var path = owner.Contains('@') ? $"/admin/v1/service-accounts/{owner}/keys" : $"/admin/v1/users/{owner}/keys";
            var created = await OrgFixture.Ok(gw.PostAsync(path, keys[manager], new { name = "ro", access = "read" }));
            Assert.Equal("read", created.Str("access"));
            var key = created.Str("key");

            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x", key)).Status);
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", key, new { query = ReadProject })).Status);
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/graphql", key)).Status);
            // The owner may write all of these; the key may not.
            Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", key)));
            Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/gql", key, new { query = Upsert })));
            // A mutation is a write even where it names no project, and so is a POST to an authenticated route.
            Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/gql", key, new { query = "mutation { __typename }" })));
            Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/graphql", key)));
            // The owner's own key still writes.
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys[owner])).Status);
        }

        // The refusal says which restriction and which key, in words.
        var ro = (await gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "ro2", access = "read" }));
        var refused = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", ro.Str("key"));
        Assert.Equal($"Key {ro.Str("keyId")} is read-only; this request would write to project ml/team-p.", refused.Str("detail"));
        Assert.NotNull(refused.Headers.GetValues("X-Request-Id").Single());
        Assert.DoesNotContain(echo.Received, r => r.Path.Contains("r1/file_stream", StringComparison.Ordinal) && r.Single("X-Gateway-Key-Id") == ro.Str("keyId"));
    }

    [Fact]
    public async Task ProjectLimitedKeys_TouchOnlyTheirProjects_AndNeverSeeMoreThanTheOwner()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, echo, keys) = org;
        var one = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "one", projects = new[] { "ml/team-p" } }))).Str("key");
        var team = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "team", projects = new[] { "ml/*" } }))).Str("key");

        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", one)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", one, new { query = Upsert })).Status);
        Assert.Equal((403, "key_restricted", "projects"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/ml/open-p/r1/file_stream", one)));
        // An entity-wide request is covered only by entity/*.
        Assert.Equal((403, "key_restricted", "projects"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Get, "/artifacts/ml/x", one)));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/artifacts/ml/x", team)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/open-p/r1/file_stream", team)).Status);
        // Names compare exactly: another case is another project (refused before, as an ambiguous name).
        Assert.NotEqual(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/TEAM-P/r1/file_stream", one)).Status);
        // Within the owner's rights only: a restricted project bob may not see is a 404 for the key too, never a 403 that tells it exists.
        Assert.Equal((404, "project_not_found", null), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/ml/secret/r1/file_stream", team)));
        Assert.Equal((403, "not_a_member", null), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", team)));
        // A request that names no project (viewer, an authenticated route) needs only the owner's authentication.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", one, new { query = "{ viewer { username } }" })).Status);

        var refused = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/open-p/r1/file_stream", one);
        Assert.EndsWith("may touch only ml/team-p; project ml/open-p is not among them.", refused.Str("detail"), StringComparison.Ordinal);

        // Combined with read-only, on a service account's key: both hold.
        var ci = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", keys["alice"], new { name = "both", access = "read", projects = new[] { "ml/team-p" } }))).Str("key");
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x", ci)).Status);
        Assert.Equal((403, "key_restricted", "projects"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Get, "/read/ml/open-p/x", ci)));
        Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", ci)));
    }

    [Fact]
    public async Task NetworkLimitedKeys_WorkOnlyFromTheirNetworks_AsTheTrustedProxySettingNamesTheClient()
    {
        await using var org = await OrgGateway.StartAsync("--Gateway:Proxy:TrustedProxies:0=127.0.0.1");
        var (gw, echo, keys) = org;
        var office = await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", keys["alice"], new { name = "office", allowedNetworks = new[] { "10.0.0.0/8", "fd00::/8" } }));
        var local = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", keys["alice"], new { name = "local", allowedNetworks = new[] { "127.0.0.1" } }))).Str("key");
        var key = office.Str("key");
        Assert.Equal(["10.0.0.0/8", "fd00::/8"], office.Json.GetProperty("allowedNetworks").EnumerateArray().Select(n => n.GetString()!).ToArray());

        Task<ApiResponse> From(string? client, string credential) => gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", credential,
            configure: r => { if (client is not null) { r.Headers.TryAddWithoutValidation("X-Forwarded-For", client); } });

        Assert.Equal((403, "key_restricted", "allowedNetworks"), await RefusalAsync(From(null, key)));
        Assert.Equal(200, (await From("10.1.2.3", key)).Status);
        Assert.Equal(200, (await From("fd00::5", key)).Status);
        Assert.Equal((403, "key_restricted", "allowedNetworks"), await RefusalAsync(From("192.0.2.7", key)));
        Assert.Equal(200, (await From(null, local)).Status);
        Assert.Equal((403, "key_restricted", "allowedNetworks"), await RefusalAsync(From("10.1.2.3", local)));
        // The refusal does not list where the key works (a leaked key learns nothing).
        var refused = await From("192.0.2.7", key);
        Assert.Equal($"Key {office.Str("keyId")} may not be used from 192.0.2.7.", refused.Str("detail"));
        // The admin listener trusts no proxy here: the key is used from 127.0.0.1, outside its networks.
        Assert.Equal((403, "key_restricted", "allowedNetworks"), await RefusalAsync(gw.GetAsync("/admin/v1/whoami", key)));
    }

    [Fact]
    public async Task Restrictions_AreValidated_Updated_Audited_KeptByRotation_AndBindTheAdminApi()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, echo, keys) = org;
        var alice = keys["alice"];

        // Every malformed entry at once; entries beyond the owner's rights are refused with one message
        // for a project that does not exist and one the owner may not see.
        var invalid = await gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", alice,
            new { name = "x", access = "admin", projects = new[] { "ml", "cv/cv-p", "ml/secret", "nosuch/p", "ml/team-p" }, allowedNetworks = new[] { "10.0.0.0/33", "lb.internal" } });
        Assert.Equal((400, "invalid_fields"), (invalid.Status, invalid.Code));
        var errors = invalid.Json.GetProperty("errors");
        Assert.True(errors.TryGetProperty("access", out var _a));
        Assert.True(errors.TryGetProperty("projects[0]", out var _p));
        Assert.True(errors.TryGetProperty("allowedNetworks[0]", out var _n0));
        Assert.True(errors.TryGetProperty("allowedNetworks[1]", out var _n1));
        var beyond = await gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", alice, new { name = "x", projects = new[] { "cv/cv-p", "ml/secret", "nosuch/p", "ml/team-p" } });
        var beyondErrors = beyond.Json.GetProperty("errors");
        Assert.Equal(["projects[0]", "projects[1]", "projects[2]"], beyondErrors.EnumerateObject().Select(e => e.Name).ToArray());
        Assert.Equal("ci@ml may not read project ml/secret: a key's projects are a subset of its owner's.", beyondErrors.GetProperty("projects[1]")[0].GetString());
        Assert.Equal("ci@ml may not read project nosuch/p: a key's projects are a subset of its owner's.", beyondErrors.GetProperty("projects[2]")[0].GetString());

        // Created unrestricted, restricted by update, listed and audited; fields not sent stay.
        var created = await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", alice, new { name = "job" }));
        var keyId = created.Str("keyId");
        var key = created.Str("key");
        Assert.Equal(("write", 0, 0), (created.Str("access"), created.Json.GetProperty("projects").GetArrayLength(), created.Json.GetProperty("allowedNetworks").GetArrayLength()));
        await OrgFixture.Ok(gw.PatchAsync($"/admin/v1/keys/{keyId}", alice, new { projects = new[] { "ml/team-p" } }));
        var updated = await OrgFixture.Ok(gw.PatchAsync($"/admin/v1/keys/{keyId}", alice, new { access = "read" }));
        Assert.Equal(("read", "ml/team-p"), (updated.Str("access"), updated.Json.GetProperty("projects")[0].GetString()));
        var audit = (await gw.GetAsync("/admin/v1/audit?action=key.update", keys["erin"])).Json.EnumerateArray().Select(e => e.GetProperty("detail").GetString()).ToList();
        Assert.Contains($"keyId={keyId} access=write projects=ml/team-p allowedNetworks=any", audit);
        Assert.Contains($"keyId={keyId} access=read projects=ml/team-p allowedNetworks=any", audit);
        Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", key)));

        // Rotation keeps them: a new key is never wider than the one it replaces.
        var rotated = await OrgFixture.Ok(gw.PostAsync($"/admin/v1/keys/{keyId}/rotate", alice, new { overlapSeconds = 0 }));
        Assert.Equal(("read", "ml/team-p"), (rotated.Str("access"), rotated.Json.GetProperty("projects")[0].GetString()));
        Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", rotated.Str("key"))));
        var listed = (await gw.GetAsync("/admin/v1/keys?owner=ci@ml", alice)).Json.EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == rotated.Str("keyId"));
        Assert.Equal("read", listed.GetProperty("access").GetString());

        // Lifted: empty lists and write access give the owner's rights back.
        await OrgFixture.Ok(gw.PatchAsync($"/admin/v1/keys/{rotated.Str("keyId")}", alice, new { access = "write", projects = Array.Empty<string>() }));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", rotated.Str("key"))).Status);

        // The admin API: a read-only key reads and changes nothing (so it cannot mint a wider key); a
        // project-limited key is refused outright.
        var readOnly = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/keys", alice, new { name = "ro", access = "read" }))).Str("key");
        var limited = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/keys", alice, new { name = "p", projects = new[] { "ml/*" } }))).Str("key");
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/keys?owner=ci@ml", readOnly)).Status);
        Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.PostAsync("/admin/v1/users/alice/keys", readOnly, new { name = "wider" })));
        Assert.Equal((403, "key_restricted", "access"), await RefusalAsync(gw.PatchAsync($"/admin/v1/keys/{keyId}", readOnly, new { access = "write" })));
        Assert.Equal((403, "key_restricted", "projects"), await RefusalAsync(gw.GetAsync("/admin/v1/whoami", limited)));
        Assert.Equal((403, "key_restricted", "projects"), await RefusalAsync(gw.PostAsync("/admin/v1/users/alice/keys", limited, new { name = "wider" })));
        Assert.DoesNotContain((await gw.GetAsync("/admin/v1/keys?owner=alice", alice)).Json.EnumerateArray(), k => k.GetProperty("name").GetString() == "wider");
    }

    [Fact]
    public async Task TheCli_SetsListsAndLiftsRestrictions()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, echo, keys) = org;
        var (exit, output, errors) = await AdminCliRunner.RunAsync(gw, keys["alice"], "keys", "create", "ci@ml", "--name", "nightly", "--access", "read",
            "--projects", "ml/team-p, ml/open-p", "--networks", "127.0.0.0/8", "--output", "json");
        Assert.True(exit == 0, errors);
        var created = JsonDocument.Parse(output).RootElement;
        Assert.Equal("read", created.GetProperty("access").GetString());
        Assert.Equal(["ml/team-p", "ml/open-p"], created.GetProperty("projects").EnumerateArray().Select(p => p.GetString()!).ToArray());
        var key = created.GetProperty("key").GetString()!;
        var keyId = created.GetProperty("keyId").GetString()!;
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/open-p/x", key)).Status);
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", key)).Status);

        (exit, output, errors) = await AdminCliRunner.RunAsync(gw, keys["alice"], "keys", "list", "--owner", "ci@ml");
        Assert.True(exit == 0, errors);
        var row = output.Split('\n').Single(l => l.Contains(keyId, StringComparison.Ordinal));
        Assert.Contains("read", row);
        Assert.Contains("ml/team-p", row);

        (exit, _, errors) = await AdminCliRunner.RunAsync(gw, keys["alice"], "keys", "update", keyId, "--access", "write", "--any-project", "--any-network");
        Assert.True(exit == 0, errors);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", key)).Status);

        (exit, _, errors) = await AdminCliRunner.RunAsync(gw, keys["alice"], "keys", "update", keyId, "--projects", "cv/cv-p");
        Assert.Equal(6, exit); // an invalid request
        Assert.Contains("projects[0]", errors);
    }
}

/// <summary>What the adversarial review of the restrictions found, each kept closed.</summary>
public sealed class KeyRestrictionReviewTests
{
    [Fact]
    public async Task ANetworkLimitedKey_MintsAndChangesKeysOnlyWithinItsNetworks()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        var local = await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/keys", keys["alice"], new { name = "office", allowedNetworks = new[] { "127.0.0.0/8" } }));
        var key = local.Str("key");
        // A key it makes gets its networks when it asks for none; a wider network is refused.
        var made = await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/keys", key, new { name = "made" }));
        Assert.Equal("127.0.0.0/8", made.Json.GetProperty("allowedNetworks")[0].GetString());
        var narrower = await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", key, new { name = "n", allowedNetworks = new[] { "127.0.0.1" } }));
        Assert.Equal("127.0.0.1/32", narrower.Json.GetProperty("allowedNetworks")[0].GetString());
        Assert.Equal((403, "key_restricted"), await AdminCliRunner.StatusAsync(gw.PostAsync("/admin/v1/users/alice/keys", key, new { name = "w", allowedNetworks = new[] { "0.0.0.0/0" } })));
        // It cannot lift its own limit, nor another key's beyond its networks.
        Assert.Equal((403, "key_restricted"), await AdminCliRunner.StatusAsync(gw.PatchAsync($"/admin/v1/keys/{local.Str("keyId")}", key, new { allowedNetworks = Array.Empty<string>() })));
        Assert.Equal((403, "key_restricted"), await AdminCliRunner.StatusAsync(gw.PatchAsync($"/admin/v1/keys/{made.Str("keyId")}", key, new { allowedNetworks = new[] { "10.0.0.0/8" } })));
        // Renaming changes no restriction and stays allowed.
        Assert.Equal(200, (await gw.PatchAsync($"/admin/v1/keys/{made.Str("keyId")}", key, new { name = "renamed" })).Status);
    }

    [Fact]
    public async Task ReadOnlyKeys_UseReadingMethods_AndProjectLimitedKeys_WriteOnlyWhereAProjectIsNamed()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, echo, keys) = org;
        var readOnly = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "ro", access = "read" }))).Str("key");
        var limited = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "p", projects = new[] { "ml/team-p" } }))).Str("key");
        var before = echo.Received.Count;
        // /artifacts declares its action read for every method: a DELETE is still no read for a read-only key.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/artifacts/ml/x", readOnly)).Status);
        Assert.Equal("key_restricted", (await gw.ProxyAsync(HttpMethod.Delete, "/artifacts/ml/x", readOnly)).Code);
        Assert.Equal("key_restricted", (await gw.ProxyAsync(HttpMethod.Post, "/artifacts/ml/x", readOnly)).Code);
        // An authenticated route names no project: a project-limited key reads there, and does not write.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/graphql", limited)).Status);
        var write = await gw.ProxyAsync(HttpMethod.Post, "/graphql", limited);
        Assert.Equal((403, "key_restricted", "projects"), (write.Status, write.Code, write.Str("restriction")));
        Assert.EndsWith("this request writes without naming a project.", write.Str("detail"), StringComparison.Ordinal);
        Assert.Equal(before + 2, echo.Received.Count);
    }
}
