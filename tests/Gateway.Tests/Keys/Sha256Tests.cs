using System.Security.Cryptography;
using System.Text;
using Gateway.Keys;
using Xunit;

namespace Gateway.Tests.Keys;

public sealed class Sha256Tests
{
    // FIPS 180-4 / NIST CSRC examples.
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    [InlineData("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")]
    public void MatchesTheStandardsVectors(string message, string expected)
    {
        var hash = new byte[32];
        Sha256.Hash(Encoding.ASCII.GetBytes(message), hash);
        Assert.Equal(expected, Convert.ToHexStringLower(hash));
    }

    [Fact]
    public void MatchesThePlatformForEveryLengthAroundTheBlockBoundaries()
    {
        // Fixed seed: the same inputs every run; every length from empty to past four blocks.
        var random = new Random(20261202);
        for (var length = 0; length <= 300; length++)
        {
            for (var sample = 0; sample < 8; sample++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                var ours = new byte[32];
                Sha256.Hash(data, ours);
                Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(ours), $"length {length}, sample {sample}");
            }
        }
    }

    [Fact]
    public void AKeysHashIsThePlatformsSha256OfItsAsciiBytes()
    {
        // The stored hashes of existing keys were made with the platform's SHA-256: they must still match.
        const string key = "mlgw_live_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdef_x1";
        var expected = KeyHash.FromBytes(SHA256.HashData(Encoding.ASCII.GetBytes(key)));
        Assert.Equal(expected, KeyHash.Of(key));
        Assert.Equal(expected, KeyHash.OfText(key));
    }

    [Fact]
    public void RefusesADestinationShorterThanAHash()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha256.Hash([1, 2, 3], new byte[31]));
    }
}
