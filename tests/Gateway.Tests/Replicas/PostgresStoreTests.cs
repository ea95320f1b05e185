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
}
