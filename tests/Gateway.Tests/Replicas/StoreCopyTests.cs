using Gateway.Hosting;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>
/// <c>gateway store copy</c>: an embedded store moved into PostgreSQL keeps every key working (hashes
/// only, nothing re-keyed), its last-used times and its audit log; a non-empty target is refused.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class StoreCopyTests(PostgresFixture pg)
{
    [Fact]
    public async Task ALiteDbStore_CopiedIntoPostgres_ServesTheSameKeys()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var keys = new Dictionary<string, string>();
        await using var lite = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), "--Gateway:Store:LastUsedFlushInterval=00:00:01");
        await OrgFixture.BuildAsync(lite, keys);
        var imported = "Imp0rt" + Guid.NewGuid().ToString("N")[..24] + "Zz9Yy8Xx7W";
        Assert.Equal(201, (await lite.PostAsync("/admin/v1/users/bob/keys", lite.RootKey, new { name = "imp", format = "legacy40", key = imported })).Status);
        keys["imported"] = imported;
        // Restrictions travel with their key.
        var readOnly = await lite.PostAsync("/admin/v1/service-accounts/ci@ml/keys", keys["alice"], new { name = "ro", access = "read", allowedNetworks = new[] { "127.0.0.0/8" } });
        Assert.Equal(201, readOnly.Status);
        keys["read-only"] = readOnly.Str("key");
        Assert.Equal(200, (await lite.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", keys["ci@ml"])).Status);
        var auditBefore = (await lite.GetAsync("/admin/v1/audit?limit=1000", lite.RootKey)).Json.EnumerateArray()
            .Count(e => e.GetProperty("action").GetString() != "request.refused");
        await lite.StopAsync(); // flushes last-used times and releases the file
        using (var store = new Gateway.Store.LiteDbGatewayStore(lite.DatabasePath))
        {
            store.BindLearnedId(new Gateway.Store.LearnedId("Agent", "QWdlbnQ6MQ==", "ml", "team-p", DateTimeOffset.FromUnixTimeSeconds(1_790_000_000)));
        }

        var database = await pg.Server.CreateDatabaseAsync();
        var output = new StringWriter();
        var errors = new StringWriter();
        string[] command = ["store", "copy", "--from", lite.DatabasePath, "--Gateway:Store:ConnectionString=" + database];
        Assert.True(StoreCopyCommand.Run(command, output, errors) == 0, errors.ToString());
        Assert.Contains("keys", output.ToString());
        Assert.Contains("1 learned ids", output.ToString());
        using (var copied = new Gateway.Store.Postgres.PostgresGatewayStore(database, TimeProvider.System))
        {
            Assert.Equal(("ml", "team-p"), copied.FindLearnedId("Agent", "QWdlbnQ6MQ==") is { } found ? (found.Entity, found.Project) : default);
        }

        Assert.DoesNotContain(PostgresServer.Password, output.ToString() + errors);

        await using var gw = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), PostgresStoreTests.Postgres(database));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", keys["ci@ml"])).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", keys["bob"])).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", keys["imported"])).Status);
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", keys["vic"])).Status);
        Assert.Equal((403, "key_restricted"), await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", keys["read-only"]) is var ro ? (ro.Status, ro.Code) : default);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x", keys["read-only"])).Status);
        var copiedKey = (await gw.GetAsync("/admin/v1/keys?owner=ci@ml", keys["alice"])).Json.EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == readOnly.Str("keyId"));
        Assert.Equal(("read", "127.0.0.0/8"), (copiedKey.GetProperty("access").GetString(), copiedKey.GetProperty("allowedNetworks")[0].GetString()));
        foreach (var (_, key) in keys)
        {
            Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", key)).Status);
        }

        var ci = await gw.GetAsync("/admin/v1/keys?owner=ci@ml", keys["alice"]);
        Assert.Contains(ci.Json.EnumerateArray(), k => k.GetProperty("lastUsedAt").ValueKind == System.Text.Json.JsonValueKind.String);
        // Every event copied (the refusals made here since, request.refused, are the copy's own).
        var auditAfter = (await gw.GetAsync("/admin/v1/audit?limit=1000", keys["erin"])).Json.EnumerateArray()
            .Count(e => e.GetProperty("action").GetString() != "request.refused");
        Assert.Equal(auditBefore, auditAfter);

        // Into a database that holds a directory: refused, nothing changed.
        errors = new StringWriter();
        Assert.Equal(1, StoreCopyCommand.Run(command, new StringWriter(), errors));
        Assert.Contains("already holds a directory", errors.ToString());
        Assert.Equal(2, StoreCopyCommand.Run(["store", "copy"], new StringWriter(), new StringWriter()));
    }
}
