using Gateway.Hosting;
using Gateway.Tests.Common;
using Npgsql;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>The postgres provider's settings and startup refusals: every error at once, never a password in one.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConfigurationTests(PostgresFixture pg)
{
    private static GatewayStartupException Refused(TempDirectory dir, string? json, params string[] args)
    {
        List<string> all = ["--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0", .. args];
        if (json is not null)
        {
            File.WriteAllText(dir.File("gateway.json"), json);
            all = ["--config", dir.File("gateway.json"), .. all];
        }

        return Assert.Throws<GatewayStartupException>(() => GatewayApp.Build([.. all]));
    }

    [Fact]
    public void BadSettings_AreStartupErrors_WithoutThePassword()
    {
        using var dir = new TempDirectory();
        var inline = Refused(dir, """{ "Gateway": { "Store": { "Provider": "postgres", "ConnectionString": "Host=127.0.0.1;Username=gw;Password=hunter2" } } }""");
        Assert.Contains(inline.Errors, e => e.Contains("never written inline"));
        Assert.DoesNotContain(inline.Errors, e => e.Contains("hunter2"));

        var missing = Refused(dir, null, "--Gateway:Store:Provider=postgres", "--Gateway:Store:MaxStaleness=00:00:01");
        Assert.Contains(missing.Errors, e => e.Contains("set exactly one of Gateway:Store:ConnectionString"));
        Assert.Contains(missing.Errors, e => e.Contains("Gateway:Store:PollInterval"));

        Assert.Contains(Refused(dir, null, "--Gateway:Store:Provider=mysql").Errors, e => e.Contains("expected litedb or postgres"));
        var unparsable = Refused(dir, null, "--Gateway:Store:Provider=postgres", "--Gateway:Store:ConnectionString=Host=x;Bogus Key=1;Password=hunter2");
        Assert.Contains(unparsable.Errors, e => e.Contains("cannot be parsed"));
        Assert.DoesNotContain(unparsable.Errors, e => e.Contains("hunter2"));

        // Nothing listens on port 9: the store cannot be opened, the start is refused with where, never the password.
        var unreachable = Refused(dir, null, "--Gateway:Store:Provider=postgres", $"--Gateway:Store:ConnectionString=Host=127.0.0.1;Port=9;Username=postgres;Password={PostgresServer.Password};Timeout=2");
        Assert.Contains(unreachable.Errors, e => e.Contains("127.0.0.1:9"));
        Assert.DoesNotContain(unreachable.Errors, e => e.Contains(PostgresServer.Password));
    }

    [Fact]
    public async Task AConnectionStringFile_IsRead_AndASchemaNewerThanKnown_IsRefused()
    {
        var database = await pg.Server.CreateDatabaseAsync();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("pg.conn"), database + "\n");
        await using (var gw = await TestGateway.StartAsync("--Gateway:Store:Provider=postgres", "--Gateway:Store:ConnectionStringFile=" + dir.File("pg.conn")))
        {
            Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Status);
            var metrics = await gw.Http.GetStringAsync(new Uri(gw.AdminUrl, "/metrics"));
            Assert.Contains("gateway_directory_version 1", metrics);
            Assert.Contains("gateway_directory_reloads_total{cause=\"start\"}", metrics);
        }

        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var newer = new NpgsqlCommand("UPDATE gateway_schema SET version = 99", connection);
            await newer.ExecuteNonQueryAsync();
        }

        var ex = Refused(dir, null, "--Gateway:Store:Provider=postgres", "--Gateway:Store:ConnectionStringFile=" + dir.File("pg.conn"));
        Assert.Contains(ex.Errors, e => e.Contains("schema is at version 99, newer than this gateway knows"));
    }
}
