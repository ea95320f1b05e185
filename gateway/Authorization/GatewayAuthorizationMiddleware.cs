using Gateway.Authentication;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Gateway.Routing;
using Gateway.Transforms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Authorization;

/// <summary>
/// The proxy pipeline's first stage: header hygiene, credential, authentication, route scope, the
/// policy decision. Only a request that passes all of them reaches YARP's forwarder, carrying a
/// <see cref="GatewayFeature"/> for the identity transforms. Every exit is an explicit answer.
/// </summary>
internal sealed partial class GatewayAuthorizationMiddleware(
    RequestDelegate next,
    ApiKeyAuthenticator authenticator,
    DirectoryService directory,
    IdentityHeaderNames headerNames,
    ILogger<GatewayAuthorizationMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var scope = context.GetEndpoint()?.Metadata.GetMetadata<RouteScope>();
        if (scope is null)
        {
            // Unreachable with validated configuration; fail closed if it ever happens.
            await ProxyProblems.UnavailableAsync(context, ProblemCodes.GatewayMisconfigured, "This route has no valid scope.");
            return;
        }

        var refusal = CheckRequestShape(context);
        if (refusal is not null)
        {
            Log.Refused(logger, scope.RouteId, refusal);
            await GatewayProblem.WriteAsync(context.Response, 400, refusal);
            return;
        }

        var credential = CredentialExtractor.Extract(context.Request);
        if (credential.Status is CredentialStatus.Ambiguous or CredentialStatus.InQuery)
        {
            var code = credential.Status == CredentialStatus.Ambiguous ? ProblemCodes.AmbiguousCredentials : ProblemCodes.CredentialsInQuery;
            Log.Refused(logger, scope.RouteId, code);
            await GatewayProblem.WriteAsync(context.Response, 400, code);
            return;
        }

        if (scope.Kind == ScopeKind.Anonymous)
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<UpstreamCredential>() is { Problem: not null })
            {
                await ProxyProblems.UnavailableAsync(context, ProblemCodes.UpstreamCredentialMissing, "The gateway has no credential for this upstream.", 30);
                return;
            }

            context.Features.Set(new GatewayFeature { Anonymous = true, AuthMethod = "anonymous" });
            await ForwardAsync(context);
            return;
        }

        if (credential.Status == CredentialStatus.None)
        {
            await ProxyProblems.UnauthorizedAsync(context, ProblemCodes.CredentialsRequired);
            return;
        }

        var result = credential.Status == CredentialStatus.Present && !credential.IsJwtShaped
            ? authenticator.Authenticate(credential.Value!)
            : AuthenticationResult.Fail(credential.IsJwtShaped ? AuthenticationReasons.JwtNotAccepted : AuthenticationReasons.KeyMalformed);
        if (result.Outcome == AuthenticationOutcome.Unavailable)
        {
            await ProxyProblems.UnavailableAsync(context, ProblemCodes.StoreUnavailable, "The gateway cannot reach its store; retry shortly.");
            return;
        }

        if (!result.Succeeded)
        {
            Log.AuthenticationFailed(logger, scope.RouteId, result.FailureReason, result.KeyIdForLog ?? "-");
            await ProxyProblems.UnauthorizedAsync(context, ProblemCodes.InvalidCredentials);
            return;
        }

        var feature = Authorize(context, scope, result.Principal!, result.Key!, out var status, out var reason);
        if (feature is null)
        {
            Log.Denied(logger, scope.RouteId, result.Principal!.DisplayName, reason);
            await GatewayProblem.WriteAsync(context.Response, status, reason);
            return;
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<UpstreamCredential>() is { Problem: not null })
        {
            await ProxyProblems.UnavailableAsync(context, ProblemCodes.UpstreamCredentialMissing, "The gateway has no credential for this upstream.", 30);
            return;
        }

        context.Features.Set(feature);
        await ForwardAsync(context);
    }

    private GatewayFeature? Authorize(HttpContext context, RouteScope scope, Principal principal, ApiKey key, out int status, out string reason)
    {
        status = 0;
        reason = DenyReasons.Allowed;
        var snapshot = directory.Current;
        var claim = new AttributionClaim(Single(context, IdentityHeaderNames.AttributionUsername), Single(context, IdentityHeaderNames.AttributionEmail));
        string? entity;
        string? project = null;
        User? attributed;
        string? attribution;
        if (scope.Kind == ScopeKind.Authenticated)
        {
            entity = AccessEvaluator.DefaultEntity(principal);
            attribution = AccessEvaluator.EvaluateAttribution(principal, entity, claim, snapshot, out attributed);
        }
        else
        {
            if (!RequestScope.TryResolve(context, scope, out var requestedEntity, out project, out var error))
            {
                Log.InvalidScope(logger, scope.RouteId, error ?? "");
                status = 400;
                reason = ProblemCodes.InvalidScope;
                return null;
            }

            var decision = AccessEvaluator.Evaluate(new AccessRequest(principal, requestedEntity, project, scope.ActionFor(context.Request.Method), claim), snapshot);
            if (!decision.IsAllowed)
            {
                status = decision.IsNotFound ? 404 : 403;
                reason = decision.Reason;
                return null;
            }

            entity = decision.Entity;
            attributed = decision.AttributedUser;
            attribution = decision.AttributionReason;
        }

        if (attribution is not null && attributed is null)
        {
            Log.AttributionDropped(logger, scope.RouteId, principal.DisplayName, attribution);
        }

        return new GatewayFeature
        {
            Principal = principal, Entity = entity, Project = project, KeyId = key.KeyId, AuthMethod = "api_key",
            AttributedUser = attributed,
            AttributionUsernameHeader = attributed is null ? null : claim.Username,
            AttributionEmailHeader = attributed is null ? null : claim.Email,
        };
    }

    // One meaning per request: refuse what the upstream could read differently from the gateway.
    // (The raw path was already checked by RawPathMiddleware, before routing.)
    private string? CheckRequestShape(HttpContext context)
    {
        foreach (var header in context.Request.Headers)
        {
            if (headerNames.IsUnderscoreTwin(header.Key))
            {
                return ProblemCodes.ReservedHeader;
            }
        }

        var headers = context.Request.Headers;
        if (headers[IdentityHeaderNames.AttributionUsername].Count > 1 || headers[IdentityHeaderNames.AttributionEmail].Count > 1)
        {
            return ProblemCodes.ReservedHeader;
        }

        return null;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        await next(context);
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is not null && error.Error != ForwarderError.None && !context.Response.HasStarted)
        {
            var timeout = error.Error == ForwarderError.RequestTimedOut;
            Log.UpstreamFailed(logger, context.GetEndpoint()?.Metadata.GetMetadata<RouteScope>()?.RouteId ?? "-", error.Error.ToString());
            if (context.Response.StatusCode is 502 or 504 || timeout)
            {
                await GatewayProblem.WriteAsync(context.Response, timeout ? 504 : 502,
                    timeout ? ProblemCodes.UpstreamTimeout : ProblemCodes.UpstreamUnavailable,
                    timeout ? "The upstream did not answer in time." : "The upstream could not be reached.");
            }
        }
    }

    private static string? Single(HttpContext context, string header)
    {
        var values = context.Request.Headers[header];
        return values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationFailed, EventName = "AuthenticationFailed", Level = LogLevel.Information,
            Message = "Authentication failed on route {RouteId}: {Reason} (key id {KeyId}).")]
        public static partial void AuthenticationFailed(ILogger logger, string routeId, string reason, string keyId);

        [LoggerMessage(EventId = EventIds.AccessDenied, EventName = "AccessDenied", Level = LogLevel.Information,
            Message = "Denied {Subject} on route {RouteId}: {Reason}.")]
        public static partial void Denied(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.RequestRefused, EventName = "RequestRefused", Level = LogLevel.Information,
            Message = "Refused a request on route {RouteId}: {Reason}.")]
        public static partial void Refused(ILogger logger, string routeId, string reason);

        [LoggerMessage(EventId = EventIds.InvalidScope, EventName = "InvalidScope", Level = LogLevel.Information,
            Message = "Refused a request on route {RouteId}: invalid_scope ({Detail}).")]
        public static partial void InvalidScope(ILogger logger, string routeId, string detail);

        [LoggerMessage(EventId = EventIds.AttributionDropped, EventName = "AttributionDropped", Level = LogLevel.Information,
            Message = "Dropped the attribution claimed by {Subject} on route {RouteId}: {Reason}.")]
        public static partial void AttributionDropped(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.UpstreamFailed, EventName = "UpstreamFailed", Level = LogLevel.Warning,
            Message = "Forwarding on route {RouteId} failed: {Error}.")]
        public static partial void UpstreamFailed(ILogger logger, string routeId, string error);
    }
}
