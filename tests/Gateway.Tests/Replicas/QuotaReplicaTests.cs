using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>
/// A daily quota on two replicas of one PostgreSQL store: each replica's allowed requests are added to
/// the shared counts in batches, and each reads the others' at its next flush: the quota holds across
/// the cluster (overshoot bounded by one flush interval), and usage reports sum both replicas.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class QuotaReplicaTests(PostgresFixture pg)
{
    private const string Upload = "/files/ml/team-p/r1/file_stream";

    [Fact]
    public async Task AKeysDailyQuota_IsCountedAcrossReplicas()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var database = await pg.Server.CreateDatabaseAsync();
        string[] args = [.. PostgresStoreTests.Postgres(database), "--Gateway:RateLimits:KeyRequestsPerDay=4", "--Gateway:Store:LastUsedFlushInterval=00:00:00.200"];
        await using var a = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), args);
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(a, keys);
        await using var b = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), args);
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

        // Both replicas now know the day's four: the fifth is refused on either.
        Assert.Equal((429, "quota_exceeded"), await AdminCliRunner.StatusAsync(a.ProxyAsync(HttpMethod.Post, Upload, key)));
        clock.Restart();
        while ((await b.ProxyAsync(HttpMethod.Post, Upload, key)).Status != 429)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "B never saw A's counts");
            await Task.Delay(50);
        }
    }
}
