using System.Text.Json;
using Gateway.Cli;
using Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// A key's life after creation, on a real gateway with a fake clock: renamed and its expiry changed
/// (<c>PATCH /keys/{id}</c>), rotated with an overlap in which both keys work and after which only the
/// new one does (<c>POST /keys/{id}/rotate</c>), by the API and the CLI; refused to callers who may not
/// act on the owner exactly as a key that does not exist; every change audited.
/// </summary>
public sealed class KeyLifecycleTests
{
    private const string Upload = "/files/ml/team-p/r1/file_stream";

    [Fact]
    public async Task UpdateAndRotate_OverlapThenOnlyTheNewKey()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(time, dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        var alice = keys["alice"]; // ml team admin: manages ci@ml

        var created = await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", alice,
            new { name = "nightly", expiresAt = time.GetUtcNow().AddDays(90) }));
        var keyId = created.Str("keyId");
        var oldKey = created.Str("key");

        // Renamed and shortened; the list shows it, the audit says what changed (never the secret).
        var updated = await OrgFixture.Ok(gw.PatchAsync($"/admin/v1/keys/{keyId}", alice, new { name = "nightly-eu", expiresAt = time.GetUtcNow().AddDays(10) }));
        Assert.Equal("nightly-eu", updated.Str("name"));
        Assert.Equal(time.GetUtcNow().AddDays(10), updated.Json.GetProperty("expiresAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        var listed = (await gw.GetAsync("/admin/v1/keys?owner=ci@ml", alice)).Json.EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.Equal("nightly-eu", listed.GetProperty("name").GetString());
        var audit = (await gw.GetAsync("/admin/v1/audit?action=key.update", keys["erin"])).Json[0];
        Assert.Contains($"keyId={keyId} name changed expiresAt=", audit.GetProperty("detail").GetString());
        Assert.DoesNotContain(oldKey, audit.GetProperty("detail").GetString());

        // Field errors, all at once.
        var invalid = await gw.PatchAsync($"/admin/v1/keys/{keyId}", alice, new { name = " x", expiresAt = time.GetUtcNow().AddDays(-1), neverExpires = true });
        Assert.Equal((400, "invalid_fields"), (invalid.Status, invalid.Code));
        Assert.Contains("name", invalid.Text);
        Assert.Contains("expiresAt", invalid.Text);
        Assert.Contains("neverExpires", invalid.Text);
        Assert.Equal(400, (await gw.PatchAsync($"/admin/v1/keys/{keyId}", alice, new { })).Status);

        // Rotation: a new key of the same format and lifetime; the old one works for the overlap only.
        var rotated = await OrgFixture.Ok(gw.PostAsync($"/admin/v1/keys/{keyId}/rotate", alice, new { overlapSeconds = 3600 }));
        var newKey = rotated.Str("key");
        Assert.Equal(201, rotated.Status);
        Assert.Equal(keyId, rotated.Str("previousKeyId"));
        Assert.Equal("nightly-eu", rotated.Str("name"));
        Assert.Equal("ci@ml", rotated.Str("owner"));
        Assert.Equal(time.GetUtcNow().AddHours(1), rotated.Json.GetProperty("previousExpiresAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        Assert.Equal(time.GetUtcNow().AddDays(10), rotated.Json.GetProperty("expiresAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, oldKey)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, newKey)).Status);
        time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, Upload, oldKey)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, newKey)).Status);
        Assert.Equal("key_expired", (await gw.PostAsync($"/admin/v1/keys/{keyId}/rotate", alice, new { })).Code);
        var rotation = (await gw.GetAsync("/admin/v1/audit?action=key.rotate", keys["erin"])).Json[0];
        Assert.Contains($"keyId={keyId} replacedBy={rotated.Str("keyId")}", rotation.GetProperty("detail").GetString());

        // An overlap never lengthens a key: rotating a key that expires sooner keeps its expiry.
        var soon = await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", alice, new { name = "soon", expiresAt = time.GetUtcNow().AddMinutes(5) }));
        var again = await OrgFixture.Ok(gw.PostAsync($"/admin/v1/keys/{soon.Str("keyId")}/rotate", alice, new { overlapSeconds = 86400 }));
        Assert.Equal(time.GetUtcNow().AddMinutes(5), again.Json.GetProperty("previousExpiresAt").GetDateTimeOffset(), TimeSpan.FromSeconds(1));
        Assert.Equal(400, (await gw.PostAsync($"/admin/v1/keys/{again.Str("keyId")}/rotate", alice, new { overlapSeconds = 31 * 86400 })).Status);

        // Callers who may not act on the owner see no such key: a member of the team, another team's admin.
        var newKeyId = rotated.Str("keyId");
        foreach (var caller in new[] { keys["bob"], keys["carol"], keys["ci@ml"] })
        {
            Assert.Equal((404, "key_not_found"), ((await gw.PostAsync($"/admin/v1/keys/{newKeyId}/rotate", caller, new { })).Status, (await gw.PostAsync($"/admin/v1/keys/{newKeyId}/rotate", caller, new { })).Code));
            Assert.Equal(404, (await gw.PatchAsync($"/admin/v1/keys/{newKeyId}", caller, new { name = "mine" })).Status);
        }

        Assert.Equal(404, (await gw.PostAsync("/admin/v1/keys/nosuchkey/rotate", alice, new { })).Status);
    }

    [Fact]
    public async Task TheCli_UpdatesAndRotates()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        var alice = keys["alice"];
        var created = await Cli(gw, alice, "keys", "create", "ci@ml", "--name", "gha", "--output", "json");
        var keyId = created.Json.GetProperty("keyId").GetString()!;

        var renamed = await Cli(gw, alice, "keys", "update", keyId, "--name", "gha-main", "--never-expires", "--output", "json");
        Assert.Equal("gha-main", renamed.Json.GetProperty("name").GetString());

        // With no overlap the old key stops at once: the CLI's way of replacing a leaked key.
        var rotated = await Cli(gw, alice, "keys", "rotate", keyId, "--overlap", "0", "--output", "json");
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, Upload, created.Json.GetProperty("key").GetString())).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, rotated.Json.GetProperty("key").GetString())).Status);

        var (exit, _, errors) = await AdminCliRunner.RunAsync(gw, alice, "keys", "rotate", rotated.Json.GetProperty("keyId").GetString()!, "--overlap", "soon");
        Assert.Equal(AdminCli.ExitCodes.Usage, exit);
        Assert.Contains("1d, 12h, 30m", errors);
        var table = await AdminCliRunner.RunAsync(gw, alice, "keys", "rotate", rotated.Json.GetProperty("keyId").GetString()!, "--overlap", "2h");
        Assert.Equal(0, table.Exit);
    }

    private static async Task<(int Exit, JsonElement Json)> Cli(TestGateway gw, string key, params string[] args)
    {
        var (exit, output, errors) = await AdminCliRunner.RunAsync(gw, key, args);
        Assert.True(exit == 0, $"{string.Join(' ', args)}: {exit} {errors}");
        return (exit, JsonDocument.Parse(output).RootElement.Clone());
    }
}
