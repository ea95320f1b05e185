using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace Gateway.OperatorConsole;

/// <summary>
/// Binds every anti-forgery token to the session it was issued to. The console signs in with its own
/// cookie, not ASP.NET authentication, so the anti-forgery system sees every caller as anonymous and
/// would accept a token and cookie pair taken from any page (an anonymous sign-in page, another user's
/// session) with anyone's session cookie. The token carries a digest of the session cookie instead: a
/// token is valid only beside the session cookie it was made with, and an anonymous token (made
/// without one) only where there is none, which is signing in.
/// </summary>
internal sealed class ConsoleAntiforgeryData : IAntiforgeryAdditionalDataProvider
{
    public string GetAdditionalData(HttpContext context) => Digest(context);

    public bool ValidateAdditionalData(HttpContext context, string additionalData)
        => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Digest(context)), Encoding.ASCII.GetBytes(additionalData ?? ""));

    // The cookie's value is a random token; its digest (inside a token that is itself encrypted) tells
    // nothing about it. No cookie: the empty string.
    private static string Digest(HttpContext context)
    {
        var session = context.Request.Cookies[ConsoleSessions.CookieName(context.Request)];
        if (string.IsNullOrEmpty(session))
        {
            return "";
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(session), hash);
        return Convert.ToHexString(hash[..16]);
    }
}
