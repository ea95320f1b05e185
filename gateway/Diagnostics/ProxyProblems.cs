using Microsoft.AspNetCore.Http;

namespace Gateway.Diagnostics;

/// <summary>The proxy listener's answers that are not forwarded responses.</summary>
internal static class ProxyProblems
{
    /// <summary>One challenge for every authentication failure, offering both schemes the SDKs use.</summary>
    public const string Challenge = "Basic realm=\"gateway\", Bearer realm=\"gateway\"";

    public static Task UnauthorizedAsync(HttpContext context, string code)
    {
        context.Response.Headers.WWWAuthenticate = Challenge;
        return GatewayProblem.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, code);
    }

    public static Task UnavailableAsync(HttpContext context, string code, string detail, int retryAfterSeconds = 5)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return GatewayProblem.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, code, detail);
    }
}
