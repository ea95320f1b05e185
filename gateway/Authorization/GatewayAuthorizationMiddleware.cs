using Gateway.Authentication;
using Gateway.BodyScope;
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
/// <see cref="GatewayFeature"/> for the identity transforms. Every exit is an explicit answer. By step:
/// this file runs the request (credential and authentication, forward, fail closed); <c>.RequestShape.cs</c>
/// refuses what another parser could read differently; <c>.Scope.cs</c> reads the route's scope (path, body,
/// ids); <c>.Decision.cs</c> authorizes the references found; <c>.Outcome.cs</c> acts on the decision (rate
/// limits and quotas, the gateway's own answer, shadow mode, the refusal's records, explain's stop).
/// </summary>
internal sealed partial class GatewayAuthorizationMiddleware(
    RequestDelegate next,
    CredentialAuthenticator authenticator,
    DirectoryService directory,
    IdentityHeaderNames headerNames,
    TimeProvider time,
    Metrics.GatewayMetrics metrics,
    Abuse.AuthenticationFailureAudit audit,
    GraphQL.IdResolver ids,
    Store.IGatewayStore store,
    Configuration.LimitsOptions limits,
    RateLimiting.RequestRateLimiter rateLimiter,
    Explain.RefusalRing refusals,
    Usage.UsageCounters usage,
    RateLimiting.DailyQuotas quotas,
    ILogger<GatewayAuthorizationMiddleware> logger)
{
    // The constructor's parameters as fields, so that every part of the class reads them.
    private readonly CredentialAuthenticator authenticator = authenticator;
    private readonly DirectoryService directory = directory;
    private readonly IdentityHeaderNames headerNames = headerNames;
    private readonly TimeProvider time = time;
    private readonly Metrics.GatewayMetrics metrics = metrics;
    private readonly Abuse.AuthenticationFailureAudit audit = audit;
    private readonly GraphQL.IdResolver ids = ids;
    private readonly Store.IGatewayStore store = store;
    private readonly Configuration.LimitsOptions limits = limits;
    private readonly RateLimiting.RequestRateLimiter rateLimiter = rateLimiter;
    private readonly Explain.RefusalRing refusals = refusals;
    private readonly Usage.UsageCounters usage = usage;
    private readonly RateLimiting.DailyQuotas quotas = quotas;
    private readonly ILogger<GatewayAuthorizationMiddleware> logger = logger;

    // Failed authentications are logged at most 20 a second; the rest are counted.
    private readonly LogRateLimiter _failureLog = new(20, time);
    private readonly LogRateLimiter _shadowLog = new(20, time);

    // Refusals before anyone is authenticated (a flood of bad keys) are kept for explain at most 100 a
    // second: the ring would hold a tenth of a second of a flood anyway, and a flood stays cheap.
    private readonly LogRateLimiter _anonymousRefusals = new(100, time);

    // Refusals of known principals are audited too (request.refused, with the request id), a few a
    // second at most: the audit is shared by replicas, so explain finds a refusal another replica made.
    private readonly Abuse.SampledAudit _refusalAudit = new(directory, time, limits.AuditedFailuresPerSecond);
    private readonly Abuse.SampledAudit _shadowAudit = new(directory, time, limits.AuditedFailuresPerSecond);

    public Task InvokeAsync(HttpContext context)
    {
        // The endpoint and its scope are looked up once here and handed on (each lookup is a feature
        // and a metadata search, and a forwarded request used to make five).
        var endpoint = context.GetEndpoint();
        var scope = endpoint?.Metadata.GetMetadata<RouteScope>();
        var trace = GatewayTracing.HasListeners ? GatewayTracing.StartRequest(context.Request, RouteIdOf(scope)) : null;
        // The common request (a key, a path-scoped route) is decided without awaiting anything: then
        // no state machine is boxed for the decision, only ForwardAsync's around YARP's forwarder.
        var decided = DecideAsync(context, scope);
        if (trace is null && decided.IsCompletedSuccessfully)
        {
            if (decided.Result)
            {
                return ForwardAsync(context, endpoint!, scope!.RouteId, trace);
            }

            RecordRequest(context, scope);
            return Task.CompletedTask;
        }

        return CompleteAsync(decided, context, endpoint, scope, trace);
    }

    // The decision awaited something (a body, an id lookup, a JWT's keys, a written refusal), failed, or is traced.
    private async Task CompleteAsync(ValueTask<bool> decided, HttpContext context, Endpoint? endpoint, RouteScope? scope, System.Diagnostics.Activity? trace)
    {
        bool forward;
        try
        {
            forward = await decided;
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.Response.HasStarted)
        {
            await FailClosedAsync(context, RouteIdOf(scope), ex);
            forward = false;
        }
        catch
        {
            EndTrace(context, trace);
            RecordRequest(context, scope);
            throw;
        }

        if (forward)
        {
            await ForwardAsync(context, endpoint!, scope!.RouteId, trace);
            return;
        }

        EndTrace(context, trace);
        RecordRequest(context, scope);
    }

    /// <summary>
    /// Everything up to the decision. True: allowed (or shadowed, or anonymous), the feature is set and
    /// the request is to be forwarded. False: answered here (a refusal, or the gateway's own answer).
    /// </summary>
    private async ValueTask<bool> DecideAsync(HttpContext context, RouteScope? scope)
    {
        if (scope is null)
        {
            // Unreachable with validated configuration; fail closed if it ever happens.
            await ProxyProblems.UnavailableAsync(context, ProblemCodes.GatewayMisconfigured, "This route has no valid scope.");
            return false;
        }

        var explain = context.Features.Get<Explain.ExplainFeature>();
        explain?.Add("route", scope.RouteId, $"{scope.Kind} scope, rate class {RateLimiting.RateClasses.Name(scope.RateClass)}"
            + (scope.Action is { } declared ? $", action {Explain.ExplainText.Verb(declared)}" : ", action by method") + (scope.Shadow ? ", shadow mode" : "") + ".");
        var refusal = CheckRequestShape(context, out var claim);
        if (refusal is not null)
        {
            Log.Refused(logger, scope.RouteId, refusal, Diagnostics.RequestIds.Of(context));
            explain?.Add("request", "refused", $"The request's shape is refused before any credential is read: {refusal}.");
            await GatewayProblem.WriteAsync(context.Response, 400, refusal);
            Refused(context, scope, null, null, null);
            return false;
        }

        if (explain is not null)
        {
            // Explain names a key or a principal, never a secret: the identity is established by the explainer.
            return await DecideAsync(context, scope, explain.Identity, claim, explain);
        }

        // Anonymous routes still refuse ambiguous or query credentials, but never authenticate one.
        var memo = scope.Kind == ScopeKind.Anonymous ? null : ConnectionCredentialMemo.Of(context);
        var credential = CredentialExtractor.Extract(context.Request, memo);
        if (credential.Status is CredentialStatus.Ambiguous or CredentialStatus.InQuery)
        {
            var code = credential.Status == CredentialStatus.Ambiguous ? ProblemCodes.AmbiguousCredentials : ProblemCodes.CredentialsInQuery;
            Log.Refused(logger, scope.RouteId, code, Diagnostics.RequestIds.Of(context));
            await GatewayProblem.WriteAsync(context.Response, 400, code);
            Refused(context, scope, null, null, null);
            return false;
        }

        if (scope.Kind == ScopeKind.Anonymous)
        {
            context.Features.Set(new GatewayFeature { AuthMethod = AuthMethods.Anonymous });
            return true;
        }

        if (credential.Status == CredentialStatus.None)
        {
            if (scope.Shadow)
            {
                Shadow(context, scope, null, ProblemCodes.CredentialsRequired);
                return true;
            }

            await ProxyProblems.UnauthorizedAsync(context, ProblemCodes.CredentialsRequired);
            Refused(context, scope, null, null, ProblemCodes.CredentialsRequired);
            return false;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var span = GatewayTracing.Start("gateway.authenticate", scope.RouteId);
        var result = await authenticator.AuthenticateAsync(credential, context.Connection.RemoteIpAddress, allowRawJwt: true, context.RequestAborted, memo);
        GatewayTracing.End(span, result.Succeeded ? "authenticated" : result.Outcome == AuthenticationOutcome.Unavailable ? "unavailable" : "failed",
            result.Succeeded ? result.Method : result.FailureReason);
        metrics.Authenticated(result.Method, started);
        if (result.Outcome == AuthenticationOutcome.Unavailable)
        {
            await ProxyProblems.UnavailableAsync(context, result);
            Refused(context, scope, null, result.KeyIdForLog, result.FailureReason);
            return false;
        }

        if (!result.Succeeded)
        {
            if (_failureLog.TryAcquire(out var suppressed))
            {
                if (suppressed > 0)
                {
                    Log.FailuresSuppressed(logger, suppressed);
                }

                Log.AuthenticationFailed(logger, scope.RouteId, result.FailureReason, result.KeyIdForLog ?? "-", Diagnostics.RequestIds.Of(context));
            }

            audit.Record(context, result, scope.RouteId);
            if (result.Outcome == AuthenticationOutcome.Throttled)
            {
                await ProxyProblems.Throttled(context, result).ExecuteAsync(context);
                Refused(context, scope, null, result.KeyIdForLog, result.FailureReason);
                return false;
            }

            if (scope.Shadow)
            {
                Shadow(context, scope, null, ProblemCodes.InvalidCredentials);
                return true;
            }

            await ProxyProblems.UnauthorizedAsync(context, ProblemCodes.InvalidCredentials, jwtShaped: credential.IsJwtShaped);
            Refused(context, scope, null, result.KeyIdForLog, result.FailureReason);
            return false;
        }

        return await DecideAsync(context, scope, result, claim, null);
    }

    // Small on purpose: under load this is the one state machine the gateway adds to YARP's per request.
    // Only a decided request comes here: the endpoint has a scope, and the feature is set.
    private async Task ForwardAsync(HttpContext context, Endpoint endpoint, string routeId, System.Diagnostics.Activity? trace)
    {
        try
        {
            // Checked only for requests that would be forwarded: refusals above never reveal cluster state.
            if (endpoint.Metadata.GetMetadata<UpstreamCredential>() is { Problem: not null })
            {
                await ProxyProblems.UnavailableAsync(context, ProblemCodes.UpstreamCredentialMissing, "The gateway has no credential for this upstream.", 30);
                return;
            }

            // Asked by another proxy (ext_authz, forward-auth): decided and counted, it forwards itself.
            if (context.Features.Get<ForwardAuth.ForwardAuthFeature>() is { } asked)
            {
                asked.Allowed = true;
                return;
            }

            var span = GatewayTracing.HasListeners ? GatewayTracing.Start("gateway.forward", routeId) : null;
            try
            {
                await next(context);
            }
            finally
            {
                if (span is not null)
                {
                    var forwarderError = context.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
                    GatewayTracing.End(span, forwarderError == ForwarderError.None ? "forwarded" : "error",
                        forwarderError == ForwarderError.None ? context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : forwarderError.ToString());
                }
            }

            // A response already started cannot be replaced: the error feature is only looked up before.
            if (!context.Response.HasStarted && context.Features.Get<IForwarderErrorFeature>() is { Error: not ForwarderError.None } error)
            {
                var timeout = error.Error == ForwarderError.RequestTimedOut;
                Log.UpstreamFailed(logger, routeId, error.Error.ToString(), Diagnostics.RequestIds.Of(context));
                if (context.Response.StatusCode is 502 or 504 || timeout)
                {
                    await GatewayProblem.WriteAsync(context.Response, timeout ? 504 : 502,
                        timeout ? ProblemCodes.UpstreamTimeout : ProblemCodes.UpstreamUnavailable,
                        timeout ? "The upstream did not answer in time." : "The upstream could not be reached.");
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !context.Response.HasStarted)
        {
            await FailClosedAsync(context, routeId, ex);
        }
        finally
        {
            EndTrace(context, trace);
            metrics.Request(routeId, context.Response.StatusCode, authorized: true);
        }
    }

    // Fail closed on the unforeseen: an exception before the response started is a 503, never a
    // forward and never a 500.
    private Task FailClosedAsync(HttpContext context, string routeId, Exception exception)
    {
        Log.Unexpected(logger, routeId, exception.GetType().Name, Diagnostics.RequestIds.Of(context));
        context.Response.Clear();
        return ProxyProblems.UnavailableAsync(context, ProblemCodes.GatewayError, "The gateway could not decide this request.");
    }

    // The endpoint's scope is looked up once per request (InvokeAsync); "-" where a route has none.
    private static string RouteIdOf(RouteScope? scope) => scope?.RouteId ?? "-";

    private static void EndTrace(HttpContext context, System.Diagnostics.Activity? trace)
    {
        if (trace is not null)
        {
            GatewayTracing.End(trace, context.Features.Get<GatewayFeature>() is null ? "refused" : "forwarded",
                context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private void RecordRequest(HttpContext context, RouteScope? scope)
    {
        // Explain's in-process requests are no traffic.
        if (context.Features.Get<Explain.ExplainFeature>() is null)
        {
            metrics.Request(RouteIdOf(scope), context.Response.StatusCode, context.Features.Get<GatewayFeature>() is not null);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationFailed, EventName = "AuthenticationFailed", Level = LogLevel.Information,
            Message = "Authentication failed on route {RouteId}: {Reason} (key id {KeyId}, request {RequestId}).")]
        public static partial void AuthenticationFailed(ILogger logger, string routeId, string reason, string keyId, string requestId);

        [LoggerMessage(EventId = EventIds.AuthenticationFailuresSuppressed, EventName = "AuthenticationFailuresSuppressed", Level = LogLevel.Warning,
            Message = "{Count} further authentication failures in the last second were not logged individually.")]
        public static partial void FailuresSuppressed(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.AccessDenied, EventName = "AccessDenied", Level = LogLevel.Information,
            Message = "Denied {Subject} on route {RouteId}: {Reason} (request {RequestId}).")]
        public static partial void Denied(ILogger logger, string routeId, string subject, string reason, string requestId);

        [LoggerMessage(EventId = EventIds.RequestRefused, EventName = "RequestRefused", Level = LogLevel.Information,
            Message = "Refused a request on route {RouteId}: {Reason} (request {RequestId}).")]
        public static partial void Refused(ILogger logger, string routeId, string reason, string requestId);

        [LoggerMessage(EventId = EventIds.InvalidScope, EventName = "InvalidScope", Level = LogLevel.Information,
            Message = "Refused a request on route {RouteId}: could not resolve its scope ({Detail}; request {RequestId}).")]
        public static partial void InvalidScope(ILogger logger, string routeId, string detail, string requestId);

        [LoggerMessage(EventId = EventIds.AttributionDropped, EventName = "AttributionDropped", Level = LogLevel.Information,
            Message = "Dropped the attribution claimed by {Subject} on route {RouteId}: {Reason}.")]
        public static partial void AttributionDropped(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.UnexpectedFailure, EventName = "UnexpectedFailure", Level = LogLevel.Error,
            Message = "Failing closed on route {RouteId}: unexpected {ExceptionType} while deciding (request {RequestId}).")]
        public static partial void Unexpected(ILogger logger, string routeId, string exceptionType, string requestId);

        [LoggerMessage(EventId = EventIds.ShadowWouldDeny, EventName = "ShadowWouldDeny", Level = LogLevel.Warning,
            Message = "Shadow mode on route {RouteId}: forwarded a request from {Subject} that would have been refused: {Reason}.")]
        public static partial void WouldDeny(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.UpstreamFailed, EventName = "UpstreamFailed", Level = LogLevel.Warning,
            Message = "Forwarding on route {RouteId} failed: {Error} (request {RequestId}).")]
        public static partial void UpstreamFailed(ILogger logger, string routeId, string error, string requestId);
    }
}
