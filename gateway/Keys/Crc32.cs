namespace Gateway.Keys;

/// <summary>CRC-32 (IEEE 802.3), the checksum of a key: it lets mistyped or guessed keys be refused before any lookup.</summary>
/// <remarks>
/// Every presented key is checked, so this is on the hot path. Byte at a time, each step waits for
/// the previous one's table load (about 0.1 µs for a 42-character key); slicing by eight takes eight
/// characters per step from eight tables whose loads do not depend on each other.
/// </remarks>
internal static class Crc32
{
    // Eight tables of 256 entries, one after another: table k gives the CRC of a byte followed by k zero bytes.
    private static readonly uint[] Tables = BuildTables();

    /// <summary>The CRC-32 of the low byte of each character (keys are ASCII).</summary>
    public static uint Compute(ReadOnlySpan<char> text)
    {
        var crc = 0xFFFFFFFFu;
        var tables = Tables.AsSpan();
        var i = 0;
        for (; i + 8 <= text.Length; i += 8)
        {
            var low = crc ^ ((uint)(byte)text[i] | ((uint)(byte)text[i + 1] << 8) | ((uint)(byte)text[i + 2] << 16) | ((uint)(byte)text[i + 3] << 24));
            var high = (uint)(byte)text[i + 4] | ((uint)(byte)text[i + 5] << 8) | ((uint)(byte)text[i + 6] << 16) | ((uint)(byte)text[i + 7] << 24);
            crc = tables[(7 * 256) + (int)(low & 0xFF)] ^ tables[(6 * 256) + (int)((low >> 8) & 0xFF)]
                ^ tables[(5 * 256) + (int)((low >> 16) & 0xFF)] ^ tables[(4 * 256) + (int)(low >> 24)]
                ^ tables[(3 * 256) + (int)(high & 0xFF)] ^ tables[(2 * 256) + (int)((high >> 8) & 0xFF)]
                ^ tables[256 + (int)((high >> 16) & 0xFF)] ^ tables[(int)(high >> 24)];
        }

        for (; i < text.Length; i++)
        {
            crc = tables[(int)((crc ^ (byte)text[i]) & 0xFF)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTables()
    {
        var tables = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            tables[i] = c;
        }

        for (var t = 1; t < 8; t++)
        {
            for (var i = 0; i < 256; i++)
            {
                var previous = tables[((t - 1) * 256) + i];
                tables[(t * 256) + i] = (previous >> 8) ^ tables[(int)(previous & 0xFF)];
            }
        }

        return tables;
    }
}
