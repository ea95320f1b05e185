using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace Gateway.Federation;

/// <summary>
/// The checks every JWT passes before any expensive work: size, exactly three base64url segments and
/// a signature, JSON objects without duplicate names (at any depth, in header and payload), no
/// <c>crit</c> (the gateway understands no extension), no key source chosen by the token (<c>jku</c>,
/// <c>x5u</c>, <c>jwk</c>, <c>x5c</c>), no encryption, and claims of the right JSON types.
/// </summary>
internal static class JwtPreParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    private static readonly string[] RefusedHeaders = ["crit", "jku", "x5u", "jwk", "x5c", "enc", "zip"];

    public static bool TryParse(string token, int maxBytes, [NotNullWhen(true)] out JwtPreview? preview, out string reason)
    {
        preview = null;
        if (token.Length > maxBytes)
        {
            reason = FederationReasons.TokenTooLarge;
            return false;
        }

        var first = token.IndexOf('.');
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second < 0 || second == first + 1 || second == token.Length - 1 || token.IndexOf('.', second + 1) >= 0
            || !IsBase64Url(token.AsSpan()))
        {
            reason = FederationReasons.TokenMalformed;
            return false;
        }

        // Found by fuzzing: a JSON string with invalid UTF-8 parses, then throws when read as text.
        if (!TryDecode(token.AsSpan(0, first), out var headerBytes) || !TryDecode(token.AsSpan(first + 1, second - first - 1), out var payloadBytes)
            || !Utf8.IsValid(headerBytes) || !Utf8.IsValid(payloadBytes))
        {
            reason = FederationReasons.TokenMalformed;
            return false;
        }

        try
        {
            using var header = JsonDocument.Parse(headerBytes, DocumentOptions);
            using var payload = JsonDocument.Parse(payloadBytes, DocumentOptions);
            return Read(header.RootElement, payload.RootElement, out preview, out reason);
        }
        catch (JsonException)
        {
            // Invalid JSON, a duplicate name anywhere, or nesting deeper than the cap.
            reason = FederationReasons.TokenMalformed;
            return false;
        }
    }

    private static bool Read(JsonElement header, JsonElement payload, out JwtPreview? preview, out string reason)
    {
        preview = null;
        if (header.ValueKind != JsonValueKind.Object || payload.ValueKind != JsonValueKind.Object)
        {
            reason = FederationReasons.TokenMalformed;
            return false;
        }

        foreach (var name in RefusedHeaders)
        {
            if (header.TryGetProperty(name, out _))
            {
                reason = FederationReasons.TokenHeaderRefused;
                return false;
            }
        }

        if (!TryString(header, "alg", required: true, out var alg) || !TryString(header, "kid", required: false, out var kid)
            || !TryString(header, "typ", required: false, out var typ))
        {
            reason = FederationReasons.TokenHeaderRefused;
            return false;
        }

        if (!TryString(payload, "iss", required: true, out var iss) || !TryString(payload, "sub", required: true, out var sub)
            || string.IsNullOrEmpty(iss) || string.IsNullOrEmpty(sub)
            || !TryNumericDate(payload, "exp", required: true, out var exp) || !TryNumericDate(payload, "nbf", required: false, out var nbf)
            || !TryNumericDate(payload, "iat", required: false, out var iat) || !TryAudiences(payload, out var audiences))
        {
            reason = FederationReasons.TokenClaimsInvalid;
            return false;
        }

        preview = new JwtPreview(alg!, kid, typ, iss!, sub!, exp!.Value, nbf, iat, audiences, StringClaims(payload));
        reason = "";
        return true;
    }

    // The top-level string claims, for claim rules: other JSON types are left out (a condition on them
    // fails), and so are overlong values (they could never match a pattern).
    private static Dictionary<string, string> StringClaims(JsonElement payload)
    {
        var claims = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in payload.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: <= ClaimPattern.MaxValueLength } value)
            {
                claims[property.Name] = value;
            }
        }

        return claims;
    }

    private static bool TryString(JsonElement element, string name, bool required, out string? value)
    {
        value = null;
        if (!element.TryGetProperty(name, out var property))
        {
            return !required;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        value = property.GetString();
        return true;
    }

    private static bool TryNumericDate(JsonElement element, string name, bool required, out long? value)
    {
        value = null;
        if (!element.TryGetProperty(name, out var property))
        {
            return !required;
        }

        // NumericDate: seconds, possibly fractional; refuse anything else, and absurd magnitudes.
        if (property.ValueKind != JsonValueKind.Number || !property.TryGetDouble(out var seconds) || seconds < 0 || seconds > 253402300799)
        {
            return false;
        }

        value = (long)Math.Floor(seconds);
        return true;
    }

    private static bool TryAudiences(JsonElement payload, out string[] audiences)
    {
        audiences = [];
        if (!payload.TryGetProperty("aud", out var aud))
        {
            return false;
        }

        if (aud.ValueKind == JsonValueKind.String)
        {
            audiences = [aud.GetString()!];
            return true;
        }

        if (aud.ValueKind != JsonValueKind.Array || aud.GetArrayLength() is 0 or > 32)
        {
            return false;
        }

        var list = new string[aud.GetArrayLength()];
        var i = 0;
        foreach (var item in aud.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            list[i++] = item.GetString()!;
        }

        audiences = list;
        return true;
    }

    private static bool TryDecode(ReadOnlySpan<char> segment, out byte[] bytes)
    {
        bytes = [];
        if (segment.Length % 4 == 1)
        {
            return false;
        }

        try
        {
            bytes = Base64Url.DecodeFromChars(segment);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool IsBase64Url(ReadOnlySpan<char> token)
    {
        foreach (var c in token)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
