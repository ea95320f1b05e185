using Gateway.Keys;

namespace Gateway.Tests.Common;

/// <summary>Keys as an attacker would make them.</summary>
public static class TestKeys
{
    /// <summary>
    /// A standard key with the same prefix and key id as <paramref name="key"/> and another secret,
    /// with a valid checksum: what someone guessing the secret of a known key id sends.
    /// </summary>
    public static string SameIdOtherSecret(string key)
    {
        Span<char> secret = stackalloc char[ApiKeyFormat.StandardSecretLength];
        Base62.FillRandom(secret);
        var body = key[..^(ApiKeyFormat.StandardSecretLength + ApiKeyFormat.StandardChecksumLength)] + new string(secret);
        Span<char> checksum = stackalloc char[ApiKeyFormat.StandardChecksumLength];
        Base62.WriteFixed(Crc32.Compute(body), checksum);
        return body + new string(checksum);
    }
}
