using Gateway.Directory;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Store;

public sealed class LiteDbGatewayStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string DbPath => _dir.File("gateway.db");

    public void Dispose() => _dir.Dispose();

    private static ApiKey Key(string id, string secret, string owner = "u_1") => new()
    {
        KeyId = id, Hash = KeyHash.Of(secret).ToArray(), OwnerId = owner, Name = "k", Format = ApiKeyFormatKind.Standard,
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123),
    };

    [Fact]
    public void ASecondOpenOfTheSameFile_FailsFast_NamingTheLockFile()
    {
        using var first = new LiteDbGatewayStore(DbPath);
        var ex = Assert.Throws<StoreUnavailableException>(() => new LiteDbGatewayStore(DbPath));
        Assert.Contains("in use by another gateway process", ex.Message);
        Assert.Contains("gateway.db.lock", ex.Message);
    }

    [Fact]
    public void TheLockIsReleased_OnDispose()
    {
        new LiteDbGatewayStore(DbPath).Dispose();
        using var again = new LiteDbGatewayStore(DbPath);
        Assert.True(again.IsReadable());
    }

    [Fact]
    public void ACorruptFile_IsRefused_WithAClearError()
    {
        File.WriteAllBytes(DbPath, Enumerable.Range(0, 16384).Select(i => (byte)(i * 7 + 3)).ToArray());
        var ex = Assert.Throws<StoreUnavailableException>(() =>
        {
            using var store = new LiteDbGatewayStore(DbPath);
            store.LoadDirectory();
        });
        Assert.Contains(DbPath, ex.Message);
    }

    [Fact]
    public void Records_RoundTrip_Exactly_WithUtcTimes()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var user = new User
        {
            Id = "u_1", Username = "alice", Email = "alice@example.com", Org = "acme", OrgRole = OrgRole.Admin, DefaultEntity = "ml", FullName = "Alice Ng",
            CreatedAt = created, Teams = System.Collections.Immutable.ImmutableDictionary<string, TeamRole>.Empty.Add("ml", TeamRole.Viewer),
        };
        var account = new ServiceAccount
        {
            Id = "sa_1", Name = "ci", Org = "acme", Team = "ml", Scope = ServiceAccountScope.Team, Authentication = AuthenticationKind.Federated,
            Issuer = "https://idp.example", Subject = "repo:x", Access = AccessMode.Explicit, CreatedAt = created,
        };
        using (var store = new LiteDbGatewayStore(DbPath))
        {
            store.Commit(new ChangeSet().Put(new Organization { Name = "acme", CreatedAt = created }).Put(user).Put(account)
                .Put(new Project { Entity = "ml", Name = "Resnet", Visibility = Visibility.Restricted, CreatedAt = created })
                .Put(new ProjectGrant { PrincipalId = "sa_1", Project = new ProjectKey("ml", "Resnet"), Role = ProjectRole.Owner })
                .Put(Key("kid1", "secret1"))
                .Put(new Team { Name = "ml", Org = "acme", CreatedAt = created })
                .Put(new Team { Name = "old", Org = "acme", CreatedAt = created, DeletedAt = created.AddDays(1) }));
        }

        using var reopened = new LiteDbGatewayStore(DbPath);
        var data = reopened.LoadDirectory();
        var loadedUser = Assert.Single(data.Users);
        Assert.Equal(user.Username, loadedUser.Username);
        Assert.Equal("Alice Ng", loadedUser.FullName);
        Assert.Equal(TeamRole.Viewer, loadedUser.Teams["ml"]);
        Assert.Equal(created, loadedUser.CreatedAt);
        Assert.Equal(TimeSpan.Zero, loadedUser.CreatedAt.Offset);
        Assert.Equal(account, Assert.Single(data.ServiceAccounts));
        Assert.Equal(Visibility.Restricted, Assert.Single(data.Projects).Visibility);
        Assert.Equal(ProjectRole.Owner, Assert.Single(data.Grants).Role);
        // A deleted team stays a tombstone: no entity any more, its name still its organization's.
        Assert.Equal(created.AddDays(1), data.Teams.Single(t => t.Name == "old").DeletedAt);
        Assert.Null(data.Teams.Single(t => t.Name == "ml").DeletedAt);
        var snapshot = DirectorySnapshot.From(data);
        Assert.False(snapshot.TryGetEntity("old", out _));
        Assert.True(snapshot.IsNameTaken("old"));
        Assert.True(snapshot.TryGetEntity("ml", out _));
        var key = reopened.FindKeyByHash(KeyHash.Of("secret1"));
        Assert.NotNull(key);
        Assert.Equal(created, key.CreatedAt);
    }

    [Fact]
    public void Lookups_AreCaseSensitive_DespiteTheCaseInsensitiveCollation()
    {
        using var store = new LiteDbGatewayStore(DbPath);
        store.Commit(new ChangeSet().Put(Key("AbCdEf", "s1")).Put(new Team { Name = "acme-team", Org = "acme" }));
        Assert.NotNull(store.FindKeyById("AbCdEf"));
        Assert.Null(store.FindKeyById("abcdef"));
        var snapshot = DirectorySnapshot.From(store.LoadDirectory());
        Assert.True(snapshot.TryGetEntity("acme-team", out _));
        Assert.False(snapshot.TryGetEntity("ACME-TEAM", out _));
    }

    [Fact]
    public void AFailedCommit_WritesNothingOfTheChangeSet()
    {
        using var store = new LiteDbGatewayStore(DbPath);
        store.Commit(new ChangeSet().Put(Key("dup", "first")));
        // A second key with the same id breaks the unique index half way through the change set.
        var failing = new ChangeSet().Put(new Team { Name = "t1", Org = "acme" }).Put(Key("dup", "second"));
        Assert.Throws<StoreUnavailableException>(() => store.Commit(failing));
        Assert.Empty(store.LoadDirectory().Teams);
        Assert.Null(store.FindKeyByHash(KeyHash.Of("second")));
    }

    [Fact]
    public void LastUsed_NeverMovesBackwards()
    {
        using var store = new LiteDbGatewayStore(DbPath);
        store.Commit(new ChangeSet().Put(Key("k", "s")));
        var hash = KeyHash.Of("s");
        var later = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        store.UpdateLastUsed([new(hash, later)]);
        store.UpdateLastUsed([new(hash, later.AddMinutes(-5))]);
        Assert.Equal(later, Assert.Single(store.KeysOfOwner("u_1")).LastUsedAt);
    }

    [Fact]
    public void UsageCounts_AreAddedUp_QueriedByPrincipalAndKey_AndPurgedByAge()
    {
        using var store = new LiteDbGatewayStore(DbPath);
        var now = new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
        store.AddUsage([new UsageCount(now, "p1", "k1", "allowed", 3), new UsageCount(now, "p1", "k2", "allowed", 1), new UsageCount(now.AddDays(-40), "p1", "k1", "allowed", 9)]);
        store.AddUsage([new UsageCount(now, "p1", "k1", "allowed", 2), new UsageCount(now, "p1", "k1", "not_a_member", 1), new UsageCount(now, "p2", "", "allowed", 7)]);
        Assert.Equal(5, store.QueryUsage("p1", "k1", now).Single(u => u.Outcome == "allowed").Count);
        Assert.Equal(3, store.QueryUsage("p1", null, now).Count);
        Assert.Equal(3, store.QueryUsage("p1", "k1", now.AddDays(-41)).Count);
        Assert.Equal(13, store.AllowedSince(now).Sum(u => u.Count));
        Assert.Equal(1, store.PurgeUsage(now.AddDays(-30)));
        Assert.Equal(2, store.QueryUsage("p1", "k1", now.AddDays(-41)).Count);
    }
}
