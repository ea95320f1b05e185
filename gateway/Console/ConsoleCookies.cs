using Microsoft.AspNetCore.Http;

namespace Gateway.OperatorConsole;

/// <summary>The session cookie: HttpOnly, SameSite=Strict, Secure under TLS, never readable by script.</summary>
internal static class ConsoleCookies
{
    public static void Set(HttpResponse response, HttpRequest request, string token, DateTimeOffset expires)
        => response.Cookies.Append(ConsoleSessions.CookieName(request), token, Options(request, expires));

    public static void Clear(HttpResponse response, HttpRequest request)
        => response.Cookies.Delete(ConsoleSessions.CookieName(request), Options(request, null));

    private static CookieOptions Options(HttpRequest request, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
