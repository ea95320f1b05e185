using Gateway.Authentication;
using Gateway.Diagnostics;
using Gateway.Directory;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Admin;

/// <summary>
/// Authenticates every admin request with the same keys as the proxy (Basic with the key as
/// password, Bearer, or <c>wandb-api-key</c>), or an exchanged access token; never a raw JWT.
/// Every bad credential gets the same 401.
/// </summary>
internal sealed partial class AdminAuthenticationFilter(CredentialAuthenticator authenticator, Abuse.AuthenticationFailureAudit audit, ILogger<AdminAuthenticationFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // The operator console runs endpoints in process for a caller its session already established
        // (OperatorConsole.AdminDispatch); features are server-side state no client can set.
        if (http.Features.Get<AdminCaller>() is { } session)
        {
            if (AdminKeyRestrictions.Refusal(session, http) is { } refused)
            {
                return refused;
            }

            AdminCallerCheck.Install(session, http.RequestServices.GetRequiredService<DirectoryService>().Store, http.RequestServices.GetRequiredService<TimeProvider>());
            return await next(context);
        }

        var credential = CredentialExtractor.Extract(http.Request);
        switch (credential.Status)
        {
            case CredentialStatus.Ambiguous:
                return new GatewayProblem(400, ProblemCodes.AmbiguousCredentials, "Send exactly one credential.");
            case CredentialStatus.InQuery:
                return new GatewayProblem(400, ProblemCodes.CredentialsInQuery, "Credentials are not accepted in the query string.");
            case CredentialStatus.None:
                return Unauthorized(http, ProblemCodes.CredentialsRequired);
        }

        var result = await authenticator.AuthenticateAsync(credential, http.Connection.RemoteIpAddress, allowRawJwt: false, http.RequestAborted);
        if (result.Outcome == AuthenticationOutcome.Throttled)
        {
            Log.AuthenticationFailed(logger, http.Request.Path, result.FailureReason, result.KeyIdForLog ?? "-");
            return ProxyProblems.Throttled(http, result);
        }

        if (result.Outcome == AuthenticationOutcome.Unavailable)
        {
            http.Response.Headers.RetryAfter = "5";
            return new GatewayProblem(503, ProblemCodes.StoreUnavailable, "The gateway cannot reach its store; retry shortly.");
        }

        if (!result.Succeeded)
        {
            Log.AuthenticationFailed(logger, http.Request.Path, result.FailureReason, result.KeyIdForLog ?? "-");
            audit.Record(http, result, "admin");
            return Unauthorized(http, ProblemCodes.InvalidCredentials);
        }

        var caller = new AdminCaller(result.Principal!, result.KeyId!, http.Connection.RemoteIpAddress?.ToString(), result.Method) { Restrictions = result.Restrictions };
        if (AdminKeyRestrictions.Refusal(caller, http) is { } restricted)
        {
            return restricted;
        }

        http.Features.Set(caller);
        AdminCallerCheck.Install(caller, http.RequestServices.GetRequiredService<DirectoryService>().Store, http.RequestServices.GetRequiredService<TimeProvider>());
        return await next(context);
    }

    private static GatewayProblem Unauthorized(HttpContext http, string code)
    {
        http.Response.Headers.WWWAuthenticate = ProxyProblems.Challenge;
        return new GatewayProblem(401, code);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationFailed, EventName = "AuthenticationFailed", Level = LogLevel.Information,
            Message = "Admin authentication failed on {Path}: {Reason} (key id {KeyId}).")]
        public static partial void AuthenticationFailed(ILogger logger, PathString path, string reason, string keyId);
    }
}
