using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Store.Postgres;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>The PostgreSQL store class against a real server: versions, conflicts, constraints, last-used times.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGatewayStoreTests(PostgresFixture pg)
{
    private static ApiKey Key(string id, string secret, string owner = "u_1") => new()
    {
        KeyId = id, Hash = KeyHash.Of(secret).ToArray(), OwnerId = owner, Name = "k", Format = ApiKeyFormatKind.Standard,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
    };

    private static User User(string id, string name) => new() { Id = id, Username = name, Email = name + "@acme.example", Org = "acme" };

    [Fact]
    public async Task Commits_MoveTheVersion_OnlyFromTheOnePlannedOn()
    {
        using var store = new PostgresGatewayStore(await pg.Server.CreateDatabaseAsync(), TimeProvider.System);
        Assert.Equal(0, store.ReadVersion());
        Assert.Equal(1, store.Commit(new ChangeSet().Put(new Organization { Name = "acme" }).Put(User("u_1", "alice")), expectedVersion: 0));
        var conflict = Assert.Throws<DirectoryConflictException>(() => store.Commit(new ChangeSet().Put(User("u_2", "bob")), expectedVersion: 0));
        Assert.Equal(1, conflict.Actual);
        Assert.Equal(2, store.Commit(new ChangeSet().Put(User("u_2", "bob")), expectedVersion: 1));

        // Audit events and new access tokens do not move it.
        var token = Key("tok", "token-secret") with { Format = ApiKeyFormatKind.AccessToken, ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) };
        Assert.Equal(2, store.Commit(new ChangeSet().Put(token).Record(new AuditEvent { At = DateTimeOffset.UtcNow, Org = "acme", Action = "x", Actor = "t", Target = "t" })));
        Assert.NotNull(store.FindAccessTokenByHash(KeyHash.Of("token-secret")));

        var data = store.LoadDirectory();
        Assert.Equal(2, data.Version);
        Assert.Equal(["alice", "bob"], data.Users.Select(u => u.Username).Order());
    }

    [Fact]
    public async Task Constraints_RefuseASecondHolderOfAName_AndNothingOfTheChangeIsWritten()
    {
        using var store = new PostgresGatewayStore(await pg.Server.CreateDatabaseAsync(), TimeProvider.System);
        store.Commit(new ChangeSet().Put(new Organization { Name = "acme" }).Put(User("u_1", "alice")).Put(Key("AbCdEf", "s1")));
        // Another id with the same username (in another case), and another key with the same key id.
        Assert.Throws<DirectoryConflictException>(() => store.Commit(new ChangeSet().Put(new Team { Name = "t", Org = "acme" }).Put(User("u_9", "Alice"))));
        Assert.Throws<DirectoryConflictException>(() => store.Commit(new ChangeSet().Put(Key("AbCdEf", "s2"))));
        var data = store.LoadDirectory();
        Assert.Empty(data.Teams);
        Assert.Equal(1, data.Version);
        Assert.Null(store.FindKeyByHash(KeyHash.Of("s2")));
    }

    [Fact]
    public async Task LastUsed_NeverMovesBackwards_WhoeverFlushesLast()
    {
        using var store = new PostgresGatewayStore(await pg.Server.CreateDatabaseAsync(), TimeProvider.System);
        store.Commit(new ChangeSet().Put(new Organization { Name = "acme" }).Put(User("u_1", "alice")).Put(Key("AbCdEf", "s1")));
        var later = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        store.UpdateLastUsed([new(KeyHash.Of("s1"), later)]);
        store.UpdateLastUsed([new(KeyHash.Of("s1"), later.AddMinutes(-5))]);
        Assert.Equal(later, Assert.Single(store.KeysOfOwner("u_1")).LastUsedAt);
        Assert.Equal("AbCdEf", store.FindKeyById("AbCdEf")!.KeyId);
        Assert.Null(store.FindKeyById("abcdef"));
    }

    [Fact]
    public async Task LearnedIds_TheFirstBindingStands_ForEveryReplica()
    {
        var database = await pg.Server.CreateDatabaseAsync();
        using var one = new PostgresGatewayStore(database, TimeProvider.System);
        using var two = new PostgresGatewayStore(database, TimeProvider.System);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        Assert.Null(two.FindLearnedId("Agent", "a1"));
        Assert.Equal("team-p", one.BindLearnedId(new LearnedId("Agent", "a1", "ml", "team-p", at)).Project);
        // Another replica learning the same id elsewhere gets the binding that stood.
        Assert.Equal(("ml", "team-p"), two.BindLearnedId(new LearnedId("Agent", "a1", "cv", "cv-p", at)) is var stood ? (stood.Entity, stood.Project) : default);
        Assert.Equal(at, two.FindLearnedId("Agent", "a1")!.LearnedAt);
        Assert.Null(two.FindLearnedId("RunQueueItem", "a1"));
    }
}
