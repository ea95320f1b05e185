using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gateway.OperatorConsole;

/// <summary>
/// Post/Redirect/Get for the console: after a POST that succeeded, the page redirects to itself, so a
/// refresh repeats a GET, never the action (it used to create a second key). What the POST had to say
/// travels with the redirect in two short-lived cookies, read and deleted by the next GET: the banner
/// text, and a secret shown once (a new key) sealed with AES-GCM under a key derived from the session
/// cookie's token. The gateway keeps only that token's hash, so only the browser that holds the
/// session can open it, on any replica; nothing is kept server-side, and the secret never travels or
/// rests in clear.
/// </summary>
internal static class ConsoleOnce
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    public static string FlashCookie(HttpRequest request) => request.IsHttps ? "__Host-gw_console_flash" : "gw_console_flash";

    public static string SecretCookie(HttpRequest request) => request.IsHttps ? "__Host-gw_console_once" : "gw_console_once";

    /// <summary>Sets the banner (and a secret, sealed) for the GET the redirect leads to.</summary>
    public static void Carry<T>(HttpResponse response, HttpRequest request, string message, T? secret) where T : class
    {
        response.Cookies.Append(FlashCookie(request), Uri.EscapeDataString(message), Options(request));
        if (secret is not null && SessionToken(request) is { } token)
        {
            var plain = JsonSerializer.SerializeToUtf8Bytes(secret, Admin.AdminJson.Options);
            response.Cookies.Append(SecretCookie(request), Seal(token, plain), Options(request));
        }
    }

    /// <summary>The banner and the secret carried by the previous POST, if any; both cookies are deleted.</summary>
    public static (string? Message, T? Secret) Take<T>(HttpResponse response, HttpRequest request) where T : class
    {
        string? message = null;
        T? secret = null;
        if (request.Cookies.TryGetValue(FlashCookie(request), out var flash))
        {
            message = Uri.UnescapeDataString(flash);
            response.Cookies.Delete(FlashCookie(request), Options(request));
        }

        if (request.Cookies.TryGetValue(SecretCookie(request), out var sealedText))
        {
            response.Cookies.Delete(SecretCookie(request), Options(request));
            if (SessionToken(request) is { } token && Open(token, sealedText) is { } plain)
            {
                try
                {
                    secret = JsonSerializer.Deserialize<T>(plain, Admin.AdminJson.Options);
                }
                catch (JsonException)
                {
                    secret = null;
                }
            }
        }

        return (message, secret);
    }

    private static string? SessionToken(HttpRequest request) => request.Cookies[ConsoleSessions.CookieName(request)] is { Length: > 0 } token ? token : null;

    private static byte[] KeyOf(string token)
        => HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(token), 32, info: "gw console one-time secret"u8.ToArray());

    private static string Seal(string token, byte[] plain)
    {
        var output = new byte[12 + 16 + plain.Length];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(KeyOf(token), 16);
        aes.Encrypt(nonce, plain, output.AsSpan(28), output.AsSpan(12, 16));
        return Convert.ToBase64String(output).Replace('+', '-').Replace('/', '_').TrimEnd('=');
    }

    private static byte[]? Open(string token, string text)
    {
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            var bytes = Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
            if (bytes.Length < 28)
            {
                return null;
            }

            var plain = new byte[bytes.Length - 28];
            using var aes = new AesGcm(KeyOf(token), 16);
            aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(28), bytes.AsSpan(12, 16), plain);
            return plain;
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return null; // another session's, or tampered with: nothing to show
        }
    }

    private static CookieOptions Options(HttpRequest request)
    {
        var options = ConsoleCookies.Options(request, null);
        options.MaxAge = Lifetime;
        return options;
    }
}
