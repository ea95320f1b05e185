using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>The gateway on the PostgreSQL store, in process: the same admin API and data plane as on LiteDB.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresFixture pg)
{
    internal static string Config(TempDirectory dir, Uri echo)
    {
        File.WriteAllText(dir.File("upstream.secret"), ProxyFixture.UpstreamSecret + "\n");
        return ProxyFixture.Config(echo, dir.File("upstream.secret"));
    }

    internal static string[] Postgres(string connectionString) =>
        ["--Gateway:Store:Provider=postgres", "--Gateway:Store:ConnectionString=" + connectionString];

    [Fact]
    public async Task TheOrgFixture_BuiltOnPostgres_ServesTheDataPlane()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var database = await pg.Server.CreateDatabaseAsync();
        await using var gw = await TestGateway.StartAsync(dir => Config(dir, echo.Url), Postgres(database));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);

        var allowed = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["ci@ml"]);
        Assert.Equal(200, allowed.Status);
        Assert.Equal("ci@ml", echo.Received.Last().Single("X-Gateway-Principal"));
        Assert.Equal(404, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/secret/r1/file_stream", keys["bob"])).Status); // restricted: not even seen
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["vic"])).Status); // a viewer writing
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["bob"] + "x")).Status);

        // A restart on the same database finds everything (nothing bootstrapped twice).
        await gw.StopAsync();
        await using var again = await TestGateway.StartAsync(dir => Config(dir, echo.Url), Postgres(database));
        Assert.Equal(200, (await again.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["ci@ml"])).Status);
        var audit = await again.GetAsync("/admin/v1/audit?action=org.bootstrap", keys["erin"]);
        Assert.Single(audit.Json.EnumerateArray());
    }

    [Fact]
    public async Task AnotherReplicasChange_DropsOnlyTheKeysItTouched()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var database = await pg.Server.CreateDatabaseAsync();
        await using var a = await TestGateway.StartAsync(dir => Config(dir, echo.Url), Postgres(database));
        Assert.Equal(201, (await a.PostAsync("/admin/v1/orgs/acme/teams", a.RootKey, new { name = "ml" })).Status);
        Assert.Equal(201, (await a.PostAsync("/admin/v1/teams/ml/projects", a.RootKey, new { name = "p" })).Status);
        Assert.Equal(201, (await a.PostAsync("/admin/v1/teams/ml/service-accounts", a.RootKey, new { name = "ci" })).Status);
        Assert.Equal(201, (await a.PostAsync("/admin/v1/teams/ml/service-accounts", a.RootKey, new { name = "other" })).Status);
        var key = (await a.PostAsync("/admin/v1/service-accounts/ci@ml/keys", a.RootKey, new { name = "k" })).Str("key");
        var otherKey = (await a.PostAsync("/admin/v1/service-accounts/other@ml/keys", a.RootKey, new { name = "k" })).Str("key");
        await using var b = await TestGateway.StartAsync(dir => Config(dir, echo.Url), Postgres(database));
        // B listens before its sync has connected; that first (forced) reload empties B's key cache,
        // so the keys are cached only after it, or a key cached before it would count one more miss.
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!(await b.Http.GetStringAsync(new Uri(b.AdminUrl, "/metrics"))).Contains("gateway_directory_reloads_total{cause=\"start\"}", StringComparison.Ordinal))
        {
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), "B's directory sync did not start");
            await Task.Delay(20);
        }

        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Post, "/files/ml/p/r/file_stream", key)).Status);
        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Post, "/files/ml/p/r/file_stream", otherKey)).Status);

        async Task<double> MissesAsync() => double.Parse(System.Text.RegularExpressions.Regex.Match(
            await b.Http.GetStringAsync(new Uri(b.AdminUrl, "/metrics")), "gateway_key_cache_lookups_total\\{result=\"miss\"\\} ([0-9.e+]+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);

        // An unrelated change (a team) and a change to the other account reach B: ci@ml's key stays cached.
        Assert.Equal(201, (await a.PostAsync("/admin/v1/orgs/acme/teams", a.RootKey, new { name = "cv" })).Status);
        Assert.Equal(200, (await a.PostAsync("/admin/v1/service-accounts/other@ml/deactivate", a.RootKey, null)).Status);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await b.ProxyAsync(HttpMethod.Post, "/files/ml/p/r/file_stream", otherKey)).Status != 401)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the deactivation did not reach B");
        }

        var afterOther = await MissesAsync();
        Assert.Equal(200, (await b.ProxyAsync(HttpMethod.Post, "/files/ml/p/r/file_stream", key)).Status);
        Assert.Equal(afterOther, await MissesAsync());
    }
}
