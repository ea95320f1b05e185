using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Diagnostics;

/// <summary>The proxy listener's answers that are not forwarded responses.</summary>
internal static class ProxyProblems
{
    /// <summary>One challenge for every authentication failure, offering both schemes the SDKs use.</summary>
    public const string Challenge = "Basic realm=\"gateway\", Bearer realm=\"gateway\"";

    // Every 401 is identical but for its request id, by design: serialize the two bodies once.
    private static readonly byte[] InvalidCredentialsBody = GatewayProblem.SerializeOpen(StatusCodes.Status401Unauthorized, ProblemCodes.InvalidCredentials);
    private static readonly byte[] CredentialsRequiredBody = GatewayProblem.SerializeOpen(StatusCodes.Status401Unauthorized, ProblemCodes.CredentialsRequired);

    /// <summary>
    /// What a refused JWT-shaped credential is told, whatever made it fail (valid or not, issuer known or
    /// not: the hint depends only on what the client itself sent, so it tells nothing about the token).
    /// </summary>
    public const string JwtHint = "A JWT is accepted here only from issuers configured for raw tokens: exchange it at POST /oidc/token "
        + "(grant_type urn:ietf:params:oauth:grant-type:token-exchange, as the wandb SDK does with WANDB_IDENTITY_TOKEN_FILE) and send the access token it returns.";

    public static Task UnauthorizedAsync(HttpContext context, string code, bool jwtShaped = false)
    {
        var response = context.Response;
        response.Headers.WWWAuthenticate = Challenge;
        if (jwtShaped)
        {
            return GatewayProblem.WriteAsync(response, StatusCodes.Status401Unauthorized, code, JwtHint);
        }

        var body = code switch
        {
            ProblemCodes.InvalidCredentials => InvalidCredentialsBody,
            ProblemCodes.CredentialsRequired => CredentialsRequiredBody,
            _ => null,
        };
        if (body is null)
        {
            return GatewayProblem.WriteAsync(response, StatusCodes.Status401Unauthorized, code);
        }

        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.ContentType = GatewayProblem.ContentType;
        response.Headers.CacheControl = "no-store";
        return GatewayProblem.WriteWithRequestIdAsync(response, body, code);
    }

    /// <summary>503 for an authentication the gateway could not decide: its store or the issuer's keys.</summary>
    public static Task UnavailableAsync(HttpContext context, in Authentication.AuthenticationResult result)
        => result.FailureReason == Authentication.AuthenticationReasons.IssuerUnavailable
            ? UnavailableAsync(context, ProblemCodes.IssuerUnavailable, "The token's issuer cannot be reached to verify it; retry shortly.", 10)
            : UnavailableAsync(context, ProblemCodes.StoreUnavailable, "The gateway cannot reach its store; retry shortly.");

    /// <summary>
    /// 429 for a client over its failed-authentication limit, with <c>Retry-After</c> and the
    /// <c>RateLimit-*</c> headers the wandb SDK reads to back off.
    /// </summary>
    public static GatewayProblem Throttled(HttpContext context, in Authentication.AuthenticationResult result)
    {
        var limiter = context.RequestServices.GetRequiredService<Abuse.FailedAuthenticationLimiter>();
        var reset = limiter.SecondsUntilReset().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var limit = limiter.PerAddress.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var headers = context.Response.Headers;
        headers.RetryAfter = reset;
        headers["RateLimit-Limit"] = limit;
        headers["RateLimit-Remaining"] = "0";
        headers["RateLimit-Reset"] = reset;
        headers["RateLimit-Policy"] = limit + ";w=" + (int)Abuse.FailedAuthenticationLimiter.Window.TotalSeconds;
        return new GatewayProblem(StatusCodes.Status429TooManyRequests, ProblemCodes.TooManyFailedAuthentications,
            "Too many failed authentications from this client; retry after the indicated time.");
    }

    public static Task UnavailableAsync(HttpContext context, string code, string detail, int retryAfterSeconds = 5)
    {
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return GatewayProblem.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, code, detail);
    }
}
