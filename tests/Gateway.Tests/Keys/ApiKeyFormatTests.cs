using Gateway.Keys;
using Gateway.Policy.Model;
using Xunit;

namespace Gateway.Tests.Keys;

public sealed class ApiKeyFormatTests
{
    private readonly ApiKeyFormat _format = new("gw");

    [Fact]
    public void Standard_HasPrefixIdSecretAndChecksum_InTheSdkAlphabet()
    {
        var (keyId, key) = _format.Mint(ApiKeyFormatKind.Standard);
        Assert.Matches("^gw_[A-Za-z0-9]{12}_[A-Za-z0-9]{36}$", key);
        Assert.True(key.Length >= 40);
        Assert.DoesNotContain('.', key);
        Assert.DoesNotContain('-', key);
        Assert.Equal(key.Split('_')[1], keyId);
        Assert.Equal(KeyShape.Standard, _format.Classify(key, out var parsedId));
        Assert.Equal(keyId, parsedId.ToString());
    }

    [Fact]
    public void Legacy40_IsExactly40Characters_AndChecksummed()
    {
        var (keyId, key) = _format.Mint(ApiKeyFormatKind.Legacy40);
        Assert.Matches("^[A-Za-z0-9]{40}$", key);
        Assert.StartsWith(keyId, key);
        Assert.Equal(KeyShape.Legacy40, _format.Classify(key, out _));
    }

    [Fact]
    public void MintedKeys_AreDistinct()
    {
        var keys = Enumerable.Range(0, 2000).Select(_ => _format.Mint(ApiKeyFormatKind.Standard).Key).ToHashSet();
        Assert.Equal(2000, keys.Count);
    }

    [Fact]
    public void Rejects_Truncated_Extended_AndCorrupted_Keys_WithoutLookup()
    {
        var (_, key) = _format.Mint(ApiKeyFormatKind.Standard);
        Assert.Equal(KeyShape.Malformed, _format.Classify(key.AsSpan(0, key.Length - 1), out _));
        Assert.Equal(KeyShape.Malformed, _format.Classify(key + "A", out _));
        var flipped = key[..^8] + (key[^8] == 'a' ? 'b' : 'a') + key[^7..];
        Assert.Equal(KeyShape.Malformed, _format.Classify(flipped, out _));
        Assert.Equal(KeyShape.Malformed, _format.Classify("xx" + key[2..], out _));
        Assert.Equal(KeyShape.Malformed, _format.Classify(key.Replace('_', '-'), out _));
        Assert.Equal(KeyShape.Malformed, _format.Classify("", out _));
        Assert.Equal(KeyShape.Malformed, _format.Classify("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", out _));
    }

    [Fact]
    public void A40CharacterValue_WithBadChecksum_IsOnlyAnImportCandidate()
    {
        var legacy = new string('a', 40);
        Assert.Equal(KeyShape.UncheckedLegacy, _format.Classify(legacy, out var id));
        Assert.True(id.IsEmpty);
        Assert.True(ApiKeyFormat.IsImportableLegacy(legacy));
        Assert.False(ApiKeyFormat.IsImportableLegacy(new string('a', 39)));
        Assert.False(ApiKeyFormat.IsImportableLegacy(new string('a', 39) + "_"));
    }

    [Fact]
    public void Prefix_IsPartOfTheFormat()
    {
        var (_, key) = new ApiKeyFormat("acme").Mint(ApiKeyFormatKind.Standard);
        Assert.StartsWith("acme_", key);
        Assert.Equal(KeyShape.Malformed, _format.Classify(key, out _));
    }

    [Fact]
    public void Hash_IsSha256OfTheWholeKey()
    {
        var expected = System.Security.Cryptography.SHA256.HashData("gw_abc"u8.ToArray());
        Assert.Equal(expected, KeyHash.Of("gw_abc").ToArray());
        Assert.True(KeyHash.Of("gw_abc").FixedTimeEquals(expected));
        Assert.False(KeyHash.Of("gw_abd").FixedTimeEquals(expected));
        Assert.Equal(KeyHash.Of("x"), KeyHash.FromBytes(KeyHash.Of("x").ToArray()));
    }
}
