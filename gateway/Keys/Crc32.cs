namespace Gateway.Keys;

/// <summary>CRC-32 (IEEE 802.3), the checksum of a key: it lets mistyped or guessed keys be refused before any lookup.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<char> text)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var c in text)
        {
            crc = Table[(crc ^ (byte)c) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
