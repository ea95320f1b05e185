using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>
/// Key restrictions and daily quotas on two replicas of one PostgreSQL store. A restriction changed on
/// one replica holds on the other at its next directory change. A daily quota: each replica's allowed requests are added to
/// the shared counts in batches, and each reads the others' at its next flush: the quota holds across
/// the cluster (overshoot bounded by one flush interval), and usage reports sum both replicas.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ReplicaLimitsTests(PostgresFixture pg)
{
    private const string Upload = "/files/ml/team-p/r1/file_stream";

    // Two replicas on one new database, the org built through the first.
    private async Task<(EchoUpstream Echo, TestGateway A, TestGateway B, Dictionary<string, string> Keys)> TwoReplicasAsync(params string[] extra)
    {
        var echo = await EchoUpstream.StartAsync();
        var database = await pg.Server.CreateDatabaseAsync();
        string[] args = [.. PostgresStoreTests.Postgres(database), .. extra];
        var a = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), args);
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(a, keys);
        var b = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), args);
        return (echo, a, b, keys);
    }

    [Fact]
    public async Task AKeysDailyQuota_IsCountedAcrossReplicas()
    {
        var (echo, a, b, keys) = await TwoReplicasAsync("--Gateway:RateLimits:KeyRequestsPerDay=4", "--Gateway:Store:LastUsedFlushInterval=00:00:00.200");
        await using var _ = echo;
        await using var __ = a;
        await using var ___ = b;
        var key = keys["bob"];

        Assert.Equal(200, (await a.ProxyAsync(HttpMethod.Post, Upload, key)).Status);
        Assert.Equal(200, (await a.ProxyAsync(HttpMethod.Post, Upload, key)).Status);
        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Post, Upload, key)).Status);
        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Post, Upload, key)).Status);

        // B's counts reach the store within its flush interval; A's report (which flushes A) then sums both.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await a.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(key)}", key)).Json.GetProperty("allowed").GetInt64() < 4)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "B's counts never reached the store");
            await Task.Delay(50);
        }

        // Each replica learns the other's four at its next flush (200 ms here): then the fifth is refused on
        // either, after at most what one replica allows in one flush interval.
        foreach (var replica in new[] { a, b })
        {
            clock.Restart();
            while ((await replica.ProxyAsync(HttpMethod.Post, Upload, key)).Status != 429)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "a replica never saw the other's counts");
                await Task.Delay(100);
            }
        }

        var allowed = (await a.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(key)}", key)).Json.GetProperty("allowed").GetInt64();
        Assert.InRange(allowed, 4, 6);
    }

    [Fact]
    public async Task AKeysRestrictions_ReachTheOtherReplica()
    {
        var (echo, a, b, keys) = await TwoReplicasAsync();
        await using var _ = echo;
        await using var __ = a;
        await using var ___ = b;
        var created = await OrgFixture.Ok(a.PostAsync("/admin/v1/service-accounts/ci@ml/keys", keys["alice"], new { name = "job" }));
        var key = created.Str("key");
        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Post, Upload, key)).Status); // cached on B, unrestricted

        // Made read-only on A: B refuses its writes once the change reaches it (its cached key dropped).
        await OrgFixture.Ok(a.PatchAsync($"/admin/v1/keys/{created.Str("keyId")}", keys["alice"], new { access = "read" }));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await b.ProxyAsync(HttpMethod.Post, Upload, key)).Code != "key_restricted")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the restriction never reached B");
            await Task.Delay(50);
        }

        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x", key)).Status);
        var listed = (await b.GetAsync("/admin/v1/keys?owner=ci@ml", keys["alice"])).Json.EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == created.Str("keyId"));
        Assert.Equal("read", listed.GetProperty("access").GetString());
    }

    [Fact]
    public async Task ARefusalOnOneReplica_IsExplainedOnTheOther_FromTheAudit()
    {
        var (echo, a, b, keys) = await TwoReplicasAsync();
        await using var _ = echo;
        await using var __ = a;
        await using var ___ = b;
        var refused = await b.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["bob"]);
        Assert.Equal(403, refused.Status);
        var requestId = refused.Headers.GetValues("X-Request-Id").Single();

        // A never saw it: the shared audit tells what was refused; the replica that refused replays it.
        var onA = await OrgFixture.Ok(a.PostAsync("/admin/v1/explain", keys["erin"], new { requestId }));
        Assert.False(onA.Json.GetProperty("replayed").GetBoolean());
        Assert.Equal((403, "not_a_member"), (onA.Json.GetProperty("outcome").GetProperty("status").GetInt32(), onA.Json.GetProperty("outcome").GetProperty("code").GetString()));
        Assert.Equal("bob", onA.Json.GetProperty("recorded").GetProperty("principal").GetString());
        var onB = await OrgFixture.Ok(b.PostAsync("/admin/v1/explain", keys["erin"], new { requestId }));
        Assert.True(onB.Json.GetProperty("replayed").GetBoolean());
        // Another organization's admin finds nothing, on either replica.
        var globex = await OrgFixture.Ok(a.PostAsync("/admin/v1/orgs", a.RootKey, new { name = "globex", admin = new { username = "gus", email = "gus@globex.example" } }));
        var gusKey = globex.Json.GetProperty("adminKey").GetProperty("key").GetString()!;
        Assert.Equal(404, (await a.PostAsync("/admin/v1/explain", gusKey, new { requestId })).Status);
    }
}
