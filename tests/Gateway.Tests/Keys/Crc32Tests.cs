using Gateway.Keys;
using Xunit;

namespace Gateway.Tests.Keys;

public sealed class Crc32Tests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xE8B7BE43u)]
    [InlineData("123456789", 0xCBF43926u)] // the CRC-32 check value
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void MatchesKnownValues(string text, uint expected) => Assert.Equal(expected, Crc32.Compute(text));

    [Fact]
    public void MatchesTheBitwiseDefinitionForEveryLengthAroundTheEightCharacterSteps()
    {
        // Fixed seed; every length from empty to past a minted key's, and every byte value (the low byte of each char counts).
        var random = new Random(20261202);
        for (var length = 0; length <= 100; length++)
        {
            for (var sample = 0; sample < 8; sample++)
            {
                var text = new char[length];
                for (var i = 0; i < length; i++)
                {
                    text[i] = (char)random.Next(0, 256);
                }

                Assert.True(Bitwise(text) == Crc32.Compute(text), $"length {length}, sample {sample}");
            }
        }
    }

    [Fact]
    public void MintedKeysStillCarryAValidChecksum()
    {
        var format = new ApiKeyFormat("gw");
        for (var i = 0; i < 200; i++)
        {
            var (_, standard) = format.Mint(Gateway.Policy.Model.ApiKeyFormatKind.Standard);
            var (_, legacy) = format.Mint(Gateway.Policy.Model.ApiKeyFormatKind.Legacy40);
            Assert.Equal(KeyShape.Standard, format.Classify(standard, out _));
            Assert.Equal(KeyShape.Legacy40, format.Classify(legacy, out _));
            // One character changed anywhere in the checked part is caught.
            var changed = standard.ToCharArray();
            var at = 3 + (i % 12);
            changed[at] = changed[at] == 'A' ? 'B' : 'A';
            Assert.Equal(KeyShape.Malformed, format.Classify(changed, out _));
        }
    }

    // The definition, one bit at a time (reflected polynomial 0xEDB88320).
    private static uint Bitwise(ReadOnlySpan<char> text)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var c in text)
        {
            crc ^= (byte)c;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
