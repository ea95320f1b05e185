using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Gateway.Tests.Replicas;
using Xunit;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary>The same document applied to the shared PostgreSQL store: one transaction there too, and the same bytes back.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DirectoryAsCodePostgresTests(PostgresFixture pg)
{
    [Fact]
    public async Task ADocumentExportedFromLiteDb_AppliesToPostgres_AndExportsIdentically()
    {
        await using var source = await TestGateway.StartAsync();
        await OrgFixture.BuildAsync(source, new Dictionary<string, string>());
        var yaml = await DirectoryCliRunner.ExportAsync(source, source.RootKey);

        await using var echo = await EchoUpstream.StartAsync();
        var database = await pg.Server.CreateDatabaseAsync();
        await using var target = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), PostgresStoreTests.Postgres(database));
        var file = target.Directory.File("acme.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file);
        Assert.True(exit == 0, output + errors);
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(target, target.RootKey));

        // A second replica on the same database reads what the one transaction wrote.
        await using var replica = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), PostgresStoreTests.Postgres(database));
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(replica, target.RootKey));
        Assert.Single((await replica.GetAsync("/admin/v1/audit?action=directory.apply", target.RootKey)).Json.EnumerateArray());
    }

    [Fact]
    public async Task ClaimRules_ApplyToPostgres_AndExportIdentically()
    {
        await using var source = await TestGateway.StartAsync();
        await DirectoryFederationRuleTests.BuildAsync(source);
        var yaml = await DirectoryCliRunner.ExportAsync(source, source.RootKey);

        await using var echo = await EchoUpstream.StartAsync();
        var database = await pg.Server.CreateDatabaseAsync();
        await using var target = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), PostgresStoreTests.Postgres(database));
        var file = target.Directory.File("acme.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file);
        Assert.True(exit == 0, output + errors);
        await using var replica = await TestGateway.StartAsync(dir => PostgresStoreTests.Config(dir, echo.Url), PostgresStoreTests.Postgres(database));
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(replica, target.RootKey));
    }
}
