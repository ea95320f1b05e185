using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Replicas;

// The suites that touch the store, run again on PostgreSQL: the decision matrix, the data plane's
// status answers (revoked, expired, deactivated keys, last-used times), the token exchange, and the
// protocol and federation attacks.
// Each fixture gets a server of its own, so the two collections run side by side.

/// <summary>A throwaway server for one fixture: its arguments for the gateway, and its end.</summary>
internal sealed class OwnPostgres
{
    private PostgresServer? _server;

    public async Task<string[]> ArgumentsAsync()
    {
        _server = await PostgresServer.StartAsync();
        return PostgresStoreTests.Postgres(await _server.CreateDatabaseAsync());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class PostgresProxyFixture : ProxyFixture
{
    private readonly OwnPostgres _postgres = new();

    protected override Task<string[]> StoreArgumentsAsync() => _postgres.ArgumentsAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

public sealed class PostgresFederationFixture : FederationFixture
{
    private readonly OwnPostgres _postgres = new();

    protected override Task<string[]> StoreArgumentsAsync() => _postgres.ArgumentsAsync();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _postgres.DisposeAsync();
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

[Collection(PostgresProxyCollection.Name)]
public sealed class PostgresProtocolAttackTests(PostgresProxyFixture fixture) : Attacks.ProtocolAttackTests(fixture);

[Collection(PostgresFederationCollection.Name)]
public sealed class PostgresFederationAttackTests(PostgresFederationFixture fixture) : FederationAttackTests(fixture);
