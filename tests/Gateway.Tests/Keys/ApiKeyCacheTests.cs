using Gateway.Keys;
using Gateway.Policy.Model;
using Xunit;

namespace Gateway.Tests.Keys;

public sealed class ApiKeyCacheTests
{
    private static ApiKey Key(string id, string owner = "u1") => new()
    {
        KeyId = id, Hash = KeyHash.Of(id).ToArray(), OwnerId = owner, Name = id, Format = ApiKeyFormatKind.Standard,
    };

    [Fact]
    public void Add_AfterAConcurrentInvalidation_DoesNotCacheTheStaleKey()
    {
        var cache = new ApiKeyCache(100, 100);
        var hash = KeyHash.Of("k1");
        var epochBeforeStoreRead = cache.Epoch;
        cache.Invalidate(hash); // the admin revoked it while the request was reading the store
        cache.Add(hash, Key("k1"), epochBeforeStoreRead);
        Assert.False(cache.TryGet(hash, cache.Epoch, out _));
    }

    [Fact]
    public void AddMissing_AfterAConcurrentInvalidation_DoesNotHideANewKey()
    {
        var cache = new ApiKeyCache(100, 100);
        var hash = KeyHash.Of("imported");
        var epoch = cache.Epoch;
        cache.Invalidate(hash); // the key was imported meanwhile
        cache.AddMissing(hash, epoch);
        Assert.False(cache.IsKnownMissing(hash));
    }

    [Fact]
    public void InvalidateOwner_RemovesAllTheOwnersKeys()
    {
        var cache = new ApiKeyCache(100, 100);
        cache.Add(KeyHash.Of("a"), Key("a", "sa1"), cache.Epoch);
        cache.Add(KeyHash.Of("b"), Key("b", "sa1"), cache.Epoch);
        cache.Add(KeyHash.Of("c"), Key("c", "sa2"), cache.Epoch);
        cache.InvalidateOwner("sa1");
        Assert.False(cache.TryGet(KeyHash.Of("a"), cache.Epoch, out _));
        Assert.False(cache.TryGet(KeyHash.Of("b"), cache.Epoch, out _));
        Assert.True(cache.TryGet(KeyHash.Of("c"), cache.Epoch, out _));
    }

    [Fact]
    public void NegativeSide_StaysBounded_UnderAFloodOfDistinctHashes()
    {
        var cache = new ApiKeyCache(1000, 1000);
        cache.Add(KeyHash.Of("valid"), Key("valid"), cache.Epoch);
        for (var i = 0; i < 50_000; i++)
        {
            cache.AddMissing(KeyHash.Of("junk" + i), cache.Epoch);
        }

        Assert.InRange(cache.MissingCount, 1, 1000);
        Assert.True(cache.TryGet(KeyHash.Of("valid"), cache.Epoch, out _));
    }
}
