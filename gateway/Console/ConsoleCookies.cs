using Microsoft.AspNetCore.Http;

namespace Gateway.OperatorConsole;

/// <summary>The session cookie: HttpOnly, SameSite=Strict, Secure under TLS, never readable by script.</summary>
internal static class ConsoleCookies
{
    /// <summary>
    /// Sets the session cookie with Max-Age as well as Expires: a browser counts Max-Age from when it
    /// receives the cookie, while it shifts Expires by the skew between the server's Date header and
    /// its own clock (a lagging Date header lengthened sessions by up to a minute in the browser tests).
    /// </summary>
    public static void Set(HttpResponse response, HttpRequest request, string token, DateTimeOffset created, DateTimeOffset expires)
    {
        var options = Options(request, expires);
        options.MaxAge = expires - created;
        response.Cookies.Append(ConsoleSessions.CookieName(request), token, options);
    }

    public static void Clear(HttpResponse response, HttpRequest request)
        => response.Cookies.Delete(ConsoleSessions.CookieName(request), Options(request, null));

    /// <summary>The console's cookie attributes (<c>__Host-</c> rules under TLS: Secure, path /, no domain).</summary>
    internal static CookieOptions Options(HttpRequest request, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
