using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Replicas;

// The suites that touch the store, run again on PostgreSQL: the decision matrix, the data plane's
// status answers (revoked, expired, deactivated keys, last-used times) and the token exchange.
// Each fixture gets a server of its own, so the two collections run side by side.

public sealed class PostgresProxyFixture : ProxyFixture
{
    private PostgresServer? _server;

    protected override async Task<string[]> StoreArgumentsAsync()
    {
        _server = await PostgresServer.StartAsync();
        return PostgresStoreTests.Postgres(await _server.CreateDatabaseAsync());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class PostgresFederationFixture : FederationFixture
{
    private PostgresServer? _server;

    protected override async Task<string[]> StoreArgumentsAsync()
    {
        _server = await PostgresServer.StartAsync();
        return PostgresStoreTests.Postgres(await _server.CreateDatabaseAsync());
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresProxyCollection : ICollectionFixture<PostgresProxyFixture>
{
    public const string Name = "proxy on postgres";
}

[CollectionDefinition(Name)]
public sealed class PostgresFederationCollection : ICollectionFixture<PostgresFederationFixture>
{
    public const string Name = "federation on postgres";
}

[Collection(PostgresProxyCollection.Name)]
public sealed class PostgresAccessMatrixTests(PostgresProxyFixture fixture) : ProxyAccessMatrixTests(fixture);

[Collection(PostgresProxyCollection.Name)]
public sealed class PostgresProxyStatusTests(PostgresProxyFixture fixture) : ProxyStatusTests(fixture);

[Collection(PostgresFederationCollection.Name)]
public sealed class PostgresFederationExchangeTests(PostgresFederationFixture fixture) : FederationExchangeTests(fixture);
