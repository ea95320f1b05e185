using Gateway.Policy.Model;

namespace Gateway.Keys;

/// <summary>
/// Mints and recognizes keys. Standard: <c>{prefix}_{keyId:12}_{secret:30}{checksum:6}</c>, about
/// 178 bits of secret. Legacy40 (wandb SDKs before 0.22.3 accept only 40 characters):
/// <c>{keyId:8}{secret:28}{checksum:4}</c>, about 166 bits. All characters are <c>[A-Za-z0-9_]</c>,
/// never <c>.</c> or <c>-</c>. The checksum is CRC-32 of everything before it, so a guessed or
/// mangled key is refused without touching the store.
/// </summary>
internal sealed class ApiKeyFormat(string prefix)
{
    public const int StandardIdLength = 12;
    public const int StandardSecretLength = 30;
    public const int StandardChecksumLength = 6;
    public const int LegacyLength = 40;
    public const int LegacyIdLength = 8;
    public const int LegacyChecksumLength = 4;
    private const ulong LegacyChecksumModulus = 62UL * 62 * 62 * 62;

    public string Prefix { get; } = prefix;

    public int StandardLength => Prefix.Length + 2 + StandardIdLength + StandardSecretLength + StandardChecksumLength;

    /// <summary>Mints a new key of <paramref name="format"/>; the caller checks the id is unused.</summary>
    public (string KeyId, string Key) Mint(ApiKeyFormatKind format)
    {
        if (format == ApiKeyFormatKind.Legacy40)
        {
            Span<char> legacy = stackalloc char[LegacyLength];
            Base62.FillRandom(legacy[..^LegacyChecksumLength]);
            WriteLegacyChecksum(legacy);
            return (new string(legacy[..LegacyIdLength]), new string(legacy));
        }

        if (format != ApiKeyFormatKind.Standard)
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Only standard and legacy40 keys are minted.");
        }

        Span<char> key = stackalloc char[StandardLength];
        Prefix.AsSpan().CopyTo(key);
        var at = Prefix.Length;
        key[at++] = '_';
        Base62.FillRandom(key.Slice(at, StandardIdLength));
        var keyId = new string(key.Slice(at, StandardIdLength));
        at += StandardIdLength;
        key[at++] = '_';
        Base62.FillRandom(key.Slice(at, StandardSecretLength));
        at += StandardSecretLength;
        Base62.WriteFixed(Crc32.Compute(key[..at]), key[at..]);
        return (keyId, new string(key));
    }

    /// <summary>
    /// Classifies a presented credential without any lookup. A 40-character alphanumeric value whose
    /// checksum fails may still be an imported legacy key: <see cref="KeyShape.UncheckedLegacy"/>.
    /// <paramref name="keyId"/> is set only where the id is public (standard keys).
    /// </summary>
    public KeyShape Classify(ReadOnlySpan<char> key, out ReadOnlySpan<char> keyId)
    {
        keyId = default;
        if (key.Length == LegacyLength && IsAllAlphabet(key))
        {
            Span<char> expected = stackalloc char[LegacyChecksumLength];
            Base62.WriteFixed(Crc32.Compute(key[..^LegacyChecksumLength]) % LegacyChecksumModulus, expected);
            return expected.SequenceEqual(key[^LegacyChecksumLength..]) ? KeyShape.Legacy40 : KeyShape.UncheckedLegacy;
        }

        if (key.Length != StandardLength || !key.StartsWith(Prefix, StringComparison.Ordinal)
            || key[Prefix.Length] != '_' || key[Prefix.Length + 1 + StandardIdLength] != '_')
        {
            return KeyShape.Malformed;
        }

        var id = key.Slice(Prefix.Length + 1, StandardIdLength);
        var body = key[(Prefix.Length + 2 + StandardIdLength)..];
        if (!IsAllAlphabet(id) || !IsAllAlphabet(body))
        {
            return KeyShape.Malformed;
        }

        Span<char> checksum = stackalloc char[StandardChecksumLength];
        Base62.WriteFixed(Crc32.Compute(key[..^StandardChecksumLength]), checksum);
        if (!checksum.SequenceEqual(key[^StandardChecksumLength..]))
        {
            return KeyShape.Malformed;
        }

        keyId = id;
        return KeyShape.Standard;
    }

    /// <summary>An existing legacy key may be imported when it is exactly 40 characters of <c>[A-Za-z0-9]</c>.</summary>
    public static bool IsImportableLegacy(ReadOnlySpan<char> key) => key.Length == LegacyLength && IsAllAlphabet(key);

    private static void WriteLegacyChecksum(Span<char> legacy)
        => Base62.WriteFixed(Crc32.Compute(legacy[..^LegacyChecksumLength]) % LegacyChecksumModulus, legacy[^LegacyChecksumLength..]);

    // One vectorized search instead of a test per character (every presented key passes here).
    private static bool IsAllAlphabet(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(Base62.Values);
}

/// <summary>What a presented credential looks like before any lookup.</summary>
internal enum KeyShape
{
    Malformed,
    Standard,
    Legacy40,
    UncheckedLegacy,
}
