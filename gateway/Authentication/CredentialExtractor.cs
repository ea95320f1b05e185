using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Gateway.Authentication;

/// <summary>
/// The one place credentials are read from a request: <c>Authorization: Basic</c> (the password is
/// the key; the username is ignored), <c>Authorization: Bearer</c>, or the <c>wandb-api-key</c>
/// header. Counts header values instead of joining them: two Authorization headers are two
/// credentials, not one comma-joined string.
/// </summary>
internal static class CredentialExtractor
{
    public const string ApiKeyHeader = "wandb-api-key";
    private const int MaxCredentialLength = 16 * 1024;

    private static readonly string[] QueryNames =
        ["api_key", "apikey", "api-key", "key", "access_token", "token", "wandb_api_key", "wandb-api-key", "auth", "authorization", "password", "assertion"];

    /// <summary>True for a query parameter name that is refused as a credential (in any case, '_' or '-').</summary>
    public static bool IsCredentialQueryName(string name)
    {
        foreach (var known in QueryNames)
        {
            if (string.Equals(known.Replace('-', '_'), name.Replace('-', '_'), StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public static Credential Extract(HttpRequest request, ConnectionCredentialMemo? memo = null)
    {
        if (request.QueryString.HasValue && HasQueryCredential(request.QueryString.Value!))
        {
            return Credential.QueryCredential;
        }

        var headers = request.Headers;
        var authorization = headers[HeaderNames.Authorization];
        var apiKey = headers[ApiKeyHeader];
        if (authorization.Count > 1 || apiKey.Count > 1)
        {
            return Credential.AmbiguousCredential;
        }

        var fromAuthorization = authorization.Count == 1 ? ParseAuthorization(authorization[0], memo) : Credential.Missing;
        if (apiKey.Count == 0)
        {
            return fromAuthorization;
        }

        var key = apiKey[0];
        if (string.IsNullOrEmpty(key) || key.Length > MaxCredentialLength)
        {
            return Credential.MalformedCredential;
        }

        var fromHeader = new Credential(CredentialStatus.Present, key, CredentialSource.ApiKeyHeader);
        if (fromAuthorization.Status == CredentialStatus.None)
        {
            return fromHeader;
        }

        // Both places used: allowed only when they carry the very same credential.
        return fromAuthorization.Status == CredentialStatus.Present && fromAuthorization.SameAs(fromHeader)
            ? fromAuthorization
            : Credential.AmbiguousCredential;
    }

    private static Credential ParseAuthorization(string? header, ConnectionCredentialMemo? memo)
    {
        if (string.IsNullOrEmpty(header) || header.Length > MaxCredentialLength)
        {
            return Credential.MalformedCredential;
        }

        // The same header string as before on this connection: the same parse.
        if (memo is not null && memo.TryGetCredential(header, out var remembered))
        {
            return remembered;
        }

        var value = header.AsSpan();
        if (value.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return ParseBasic(header, 6);
        }

        if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = value[7..];
            return token.IsEmpty || token.ContainsAny(' ', '\t', ',')
                ? Credential.MalformedCredential
                : Credential.Slice(header, 7, CredentialSource.Bearer);
        }

        return Credential.MalformedCredential;
    }

    // Validates the whole header once (base64, a colon, an ASCII password); the credential keeps
    // pointing at the header and decodes the password again when read.
    private static Credential ParseBasic(string header, int start)
    {
        var encoded = header.AsSpan(start);
        if (encoded.IsEmpty || encoded.Length > 4096)
        {
            return Credential.MalformedCredential;
        }

        Span<byte> bytes = stackalloc byte[encoded.Length];
        Span<byte> ascii = stackalloc byte[encoded.Length];
        if (!Credential.TryDecodeBase64(encoded, ascii, bytes, out var written))
        {
            return Credential.MalformedCredential;
        }

        var decoded = bytes[..written];
        var colon = decoded.IndexOf((byte)':');
        if (colon < 0 || colon == decoded.Length - 1)
        {
            return Credential.MalformedCredential;
        }

        var password = decoded[(colon + 1)..];
        if (!Ascii.IsValid(password))
        {
            return Credential.MalformedCredential;
        }

        Span<char> chars = stackalloc char[password.Length];
        Ascii.ToUtf16(password, chars, out _);
        return Credential.Basic(header, start, colon + 1, Credential.IsJwt(chars));
    }

    private static bool HasQueryCredential(string query)
    {
        var rest = query.AsSpan().TrimStart('?');
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            var eq = pair.IndexOf('=');
            var name = eq < 0 ? pair : pair[..eq];
            if (name.Contains('%') || name.Contains('+'))
            {
                // An encoded parameter name is decoded before it is compared, so %6Bey is key.
                name = Uri.UnescapeDataString(name.ToString().Replace('+', ' '));
            }

            foreach (var credentialName in QueryNames)
            {
                if (name.Equals(credentialName, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
