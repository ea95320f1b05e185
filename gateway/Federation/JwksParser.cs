using System.Buffers.Text;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Configuration;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Federation;

/// <summary>
/// Turns a JWKS into verification keys, explicitly: RSA from <c>n</c>/<c>e</c> within the configured
/// modulus sizes, EC on P-256/384/521 from <c>x</c>/<c>y</c>. Symmetric (<c>oct</c>) keys, keys for
/// encryption and keys for algorithms the issuer does not accept are skipped; certificate chains are
/// ignored. A set with more keys than the cap, or with none usable, is refused whole.
/// </summary>
internal static class JwksParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 8 };

    public static ImmutableArray<SecurityKey> Parse(ReadOnlySpan<byte> json, ImmutableArray<string> algorithms, FederationOptions options)
    {
        using var document = Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            throw new IssuerFetchException("the JWKS has no 'keys' array");
        }

        if (keys.GetArrayLength() > options.MaxKeys)
        {
            throw new IssuerFetchException($"the JWKS has {keys.GetArrayLength()} keys, more than the cap of {options.MaxKeys}");
        }

        var result = ImmutableArray.CreateBuilder<SecurityKey>();
        foreach (var key in keys.EnumerateArray())
        {
            if (TryConvert(key, algorithms, options) is { } converted)
            {
                result.Add(converted);
            }
        }

        return result.Count > 0 ? result.ToImmutable() : throw new IssuerFetchException("the JWKS has no usable signing key");
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            throw new IssuerFetchException("the JWKS is not valid UTF-8");
        }

        try
        {
            return JsonDocument.Parse(json.ToArray(), DocumentOptions);
        }
        catch (JsonException)
        {
            throw new IssuerFetchException("the JWKS is not valid JSON");
        }
    }

    private static SecurityKey? TryConvert(JsonElement key, ImmutableArray<string> algorithms, FederationOptions options)
    {
        if (key.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var kid = Text(key, "kid");
        var use = Text(key, "use");
        var alg = Text(key, "alg");
        if ((use is not null && use != "sig") || (alg is not null && !algorithms.Contains(alg)))
        {
            return null;
        }

        try
        {
            return Text(key, "kty") switch
            {
                "RSA" when algorithms.Any(a => a[0] is 'R' or 'P') => Rsa(key, kid, options),
                "EC" when algorithms.Any(a => a[0] == 'E') => Ec(key, kid),
                _ => null,
            };
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static RsaSecurityKey? Rsa(JsonElement key, string? kid, FederationOptions options)
    {
        var modulus = Bytes(key, "n").AsSpan().TrimStart((byte)0).ToArray();
        var exponent = Bytes(key, "e").AsSpan().TrimStart((byte)0).ToArray();
        var bits = modulus.Length * 8;
        if (bits < options.MinRsaKeyBits || bits > options.MaxRsaKeyBits || exponent.Length is 0 or > 4)
        {
            return null;
        }

        return new RsaSecurityKey(new RSAParameters { Modulus = modulus, Exponent = exponent }) { KeyId = kid };
    }

    private static ECDsaSecurityKey? Ec(JsonElement key, string? kid)
    {
        var (curve, size) = Text(key, "crv") switch
        {
            "P-256" => (ECCurve.NamedCurves.nistP256, 32),
            "P-384" => (ECCurve.NamedCurves.nistP384, 48),
            "P-521" => (ECCurve.NamedCurves.nistP521, 66),
            _ => (default(ECCurve), 0),
        };
        var x = Bytes(key, "x");
        var y = Bytes(key, "y");
        if (size == 0 || x.Length != size || y.Length != size)
        {
            return null;
        }

        // ECDsa.Create validates that the point lies on the curve.
        var ecdsa = ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = x, Y = y } });
        return new ECDsaSecurityKey(ecdsa) { KeyId = kid };
    }

    private static string? Text(JsonElement key, string name)
        => key.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static byte[] Bytes(JsonElement key, string name)
        => Text(key, name) is { Length: > 0 and <= 2048 } text ? Base64Url.DecodeFromChars(text) : throw new FormatException(name);
}

/// <summary>A discovery document or key set could not be fetched or was refused (never contains a token).</summary>
internal sealed class IssuerFetchException(string message, Exception? inner = null) : Exception(message, inner);
