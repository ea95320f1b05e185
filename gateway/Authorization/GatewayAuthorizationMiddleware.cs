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
/// <see cref="GatewayFeature"/> for the identity transforms. Every exit is an explicit answer.
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
    ILogger<GatewayAuthorizationMiddleware> logger)
{
    // Failed authentications are logged at most 20 a second; the rest are counted.
    private readonly LogRateLimiter _failureLog = new(20, time);
    private readonly LogRateLimiter _shadowLog = new(20, time);
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

        var refusal = CheckRequestShape(context, out var claim);
        if (refusal is not null)
        {
            Log.Refused(logger, scope.RouteId, refusal);
            await GatewayProblem.WriteAsync(context.Response, 400, refusal);
            return false;
        }

        // Anonymous routes still refuse ambiguous or query credentials, but never authenticate one.
        var memo = scope.Kind == ScopeKind.Anonymous ? null : ConnectionCredentialMemo.Of(context);
        var credential = CredentialExtractor.Extract(context.Request, memo);
        if (credential.Status is CredentialStatus.Ambiguous or CredentialStatus.InQuery)
        {
            var code = credential.Status == CredentialStatus.Ambiguous ? ProblemCodes.AmbiguousCredentials : ProblemCodes.CredentialsInQuery;
            Log.Refused(logger, scope.RouteId, code);
            await GatewayProblem.WriteAsync(context.Response, 400, code);
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

                Log.AuthenticationFailed(logger, scope.RouteId, result.FailureReason, result.KeyIdForLog ?? "-");
            }

            audit.Record(context, result, scope.RouteId);
            if (result.Outcome == AuthenticationOutcome.Throttled)
            {
                await ProxyProblems.Throttled(context, result).ExecuteAsync(context);
                return false;
            }

            if (scope.Shadow)
            {
                Shadow(context, scope, null, ProblemCodes.InvalidCredentials);
                return true;
            }

            await ProxyProblems.UnauthorizedAsync(context, ProblemCodes.InvalidCredentials);
            return false;
        }

        var decide = GatewayTracing.Start("gateway.decide", scope.RouteId);
        var (feature, status, reason) = await AuthorizeAsync(context, scope, result, claim);
        GatewayTracing.End(decide, feature is null ? "denied" : "allowed", reason);
        if (feature is null)
        {
            Log.Denied(logger, scope.RouteId, result.Principal!.DisplayName, reason);
            metrics.Denied(reason);
            if (scope.Shadow && status is 403 or 404)
            {
                Shadow(context, scope, result.Principal, reason);
                return true;
            }

            await (status == 503
                ? ProxyProblems.UnavailableAsync(context, reason, "The gateway could not establish what this request touches; retry later.", 5)
                : GatewayProblem.WriteAsync(context.Response, status, reason));
            return false;
        }

        context.Features.Set(feature);
        if (feature.LocalAnswer is { } answer)
        {
            // Answered by the gateway (viewer): nothing is forwarded.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = answer.Length;
            await context.Response.Body.WriteAsync(answer, context.RequestAborted);
            return false;
        }

        return true;
    }

    private ValueTask<(GatewayFeature? Feature, int Status, string Reason)> AuthorizeAsync(HttpContext context, RouteScope scope, AuthenticationResult identity, AttributionClaim claim)
    {
        if (scope.IsBodyScoped)
        {
            return AuthorizeBodyAsync(context, scope, identity, claim);
        }

        // Path, query, header and authenticated routes name at most one (entity, project): no body to
        // read, no list to build.
        if (scope.Kind == ScopeKind.Authenticated)
        {
            return ValueTask.FromResult(Authorize(scope, identity, claim, []));
        }

        if (RequestScope.HasAmbiguousQueryNames(context, scope)
            || (scope.Kind == ScopeKind.Header
                && (RequestScope.HasHeaderTwin(context.Request.Headers, scope.Entity) || RequestScope.HasHeaderTwin(context.Request.Headers, scope.Project))))
        {
            return ValueTask.FromResult<(GatewayFeature?, int, string)>((null, 400, BodyScopeCodes.AmbiguousProperty));
        }

        if (!RequestScope.TryResolve(context, scope, out var entity, out var project, out var error))
        {
            Log.InvalidScope(logger, scope.RouteId, error ?? "");
            return ValueTask.FromResult<(GatewayFeature?, int, string)>((null, 400, ProblemCodes.InvalidScope));
        }

        return ValueTask.FromResult(Authorize(scope, identity, claim, [new ScopeReference(entity, project, scope.ActionFor(context.Request.Method))]));
    }

    private async ValueTask<(GatewayFeature? Feature, int Status, string Reason)> AuthorizeBodyAsync(HttpContext context, RouteScope scope, AuthenticationResult identity, AttributionClaim claim)
    {
        var principal = identity.Principal!;
        BodyScopeResolver.BodyScopeResult body;
        var span = GatewayTracing.Start("gateway.scope", scope.RouteId);
        try
        {
            body = await BodyScopeResolver.ResolveAsync(context, scope, AccessEvaluator.DefaultEntity(principal));
            if (span is not null)
            {
                GatewayTracing.End(span, "read", body.References.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " references");
            }
        }
        catch (BodyScopeException ex)
        {
            GatewayTracing.End(span, "refused", ex.Code);
            Log.InvalidScope(logger, scope.RouteId, ex.Code);
            return (null, ex.Status, ex.Code);
        }

        var references = body.References;
        var graphQl = body.GraphQl;
        if (graphQl is not null)
        {
            // An organization named by nothing (a null or missing name) is no organization the gateway checked.
            if (graphQl.Organizations.Any(org => org is null || org != principal.Org))
            {
                return (null, 404, GraphQL.GraphQlCodes.OrganizationNotFound);
            }

            if (graphQl.Ids.Count > 0)
            {
                var (status, code) = await ResolveIdsAsync(context, scope, graphQl, references);
                if (status != 0)
                {
                    return (null, status, code);
                }
            }
        }
        else if (references.Count == 0)
        {
            return (null, 400, BodyScopeCodes.ScopeNotFound);
        }

        var decided = Authorize(scope, identity, claim, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(references));
        if (decided.Feature is { } feature && graphQl is not null)
        {
            Shape(context, feature, graphQl, body.Body, identity.Snapshot ?? directory.Current);
        }

        return decided;
    }

    // After an allow: answer viewer-only requests, make defaulted entities explicit, mark the response for rewriting.
    private void Shape(HttpContext context, GatewayFeature feature, GraphQL.GraphQlAnalysis graphQl, ReadOnlyMemory<byte> body, Directory.DirectorySnapshot snapshot)
    {
        var principal = feature.Principal!;
        if (graphQl.Viewers.Count > 0 || graphQl.Listings.Count > 0)
        {
            // The store is read only when a viewer selection lists the caller's keys.
            var keys = !graphQl.Viewers.Any(v => v.Selects("apiKeys")) ? [] : store.KeysOfOwner(principal.Id)
                .Where(k => k.RevokedAt is null && (k.ExpiresAt is null || k.ExpiresAt > time.GetUtcNow()) && k.Format != ApiKeyFormatKind.AccessToken)
                .Select(k => (k.KeyId, k.Name)).ToList();
            feature.Viewer = new GraphQL.ViewerAnswer.Facts(principal, snapshot, keys);
        }

        if (graphQl.AnswersLocally)
        {
            feature.LocalAnswer = GraphQL.LocalAnswer.Build(graphQl, feature.Viewer!);
            return;
        }

        if (graphQl.Edits.Count > 0)
        {
            var rewritten = GraphQL.GraphQlBodyRewriter.Rewrite(body, graphQl, AccessEvaluator.DefaultEntity(principal)!);
            var request = context.Request;
            request.Body = new MemoryStream(rewritten, writable: false);
            request.ContentLength = rewritten.Length;
            request.Headers.Remove("Content-Encoding");
        }

        if (graphQl.NeedsResponseRewrite)
        {
            feature.GraphQl = graphQl;
        }
    }

    private async ValueTask<(int Status, string Code)> ResolveIdsAsync(HttpContext context, RouteScope scope, GraphQL.GraphQlAnalysis graphQl, List<ScopeReference> references)
    {
        var proxy = context.Features.Get<Yarp.ReverseProxy.Model.IReverseProxyFeature>();
        var destination = proxy?.AvailableDestinations.FirstOrDefault() ?? proxy?.AllDestinations.FirstOrDefault();
        if (destination is null || proxy!.Cluster.HttpClient is not { } http)
        {
            return (503, ProblemCodes.IdLookupUnavailable);
        }

        var endpoint = new Uri(new Uri(destination.Model.Config.Address.TrimEnd('/') + "/"), context.Request.Path.Value!.TrimStart('/'));
        var credential = context.GetEndpoint()?.Metadata.GetMetadata<UpstreamCredential>();
        if (credential is { Problem: not null })
        {
            return (503, ProblemCodes.UpstreamCredentialMissing);
        }

        foreach (var id in graphQl.Ids.Distinct())
        {
            var lookup = scope.Body!.Rules!.IdTypes[id.Type];
            var (outcome, entity, project) = await ids.ResolveAsync(lookup, id.Id, http, endpoint, credential?.AuthorizationValue, context.RequestAborted);
            switch (outcome)
            {
                case GraphQL.IdResolution.Found:
                    references.Add(new ScopeReference(entity, project, id.Action));
                    break;
                case GraphQL.IdResolution.NotFound:
                    return (404, GraphQL.GraphQlCodes.IdNotFound);
                case GraphQL.IdResolution.Failed:
                    return (403, GraphQL.GraphQlCodes.IdUnresolved);
                default:
                    return (503, ProblemCodes.IdLookupUnavailable);
            }
        }

        return (0, "");
    }

    private (GatewayFeature? Feature, int Status, string Reason) Authorize(RouteScope scope, in AuthenticationResult identity, AttributionClaim claim, ReadOnlySpan<ScopeReference> references)
    {
        var principal = identity.Principal!;
        var snapshot = identity.Snapshot ?? directory.Current;
        if (references.IsEmpty)
        {
            // Needs only authentication (an authenticated route, or a GraphQL operation naming no project).
            var defaultEntity = AccessEvaluator.DefaultEntity(principal);
            var reason = AccessEvaluator.EvaluateAttribution(principal, defaultEntity, claim, snapshot, out var user);
            return (Feature(scope, identity, defaultEntity, null, user, reason, claim), 0, DenyReasons.Allowed);
        }

        // Every distinct reference is authorized; one denial denies the request.
        string? entity = null;
        string? project = null;
        User? attributed = null;
        string? attribution = null;
        var first = true;
        var sameEntity = true;
        var sameProject = true;
        for (var i = 0; i < references.Length; i++)
        {
            var reference = references[i];
            if (references[..i].Contains(reference))
            {
                continue; // each distinct reference is decided once
            }

            if (reference.Project is { } named && NearName(principal, reference, named, snapshot) is { } near)
            {
                return near;
            }

            var decision = AccessEvaluator.Evaluate(new AccessRequest(principal, reference.Entity, reference.Project, reference.Action, claim), snapshot);
            if (!decision.IsAllowed)
            {
                return (null, decision.IsNotFound ? 404 : 403, decision.Reason);
            }

            if (first)
            {
                (entity, project, attributed, attribution, first) = (decision.Entity, reference.Project, decision.AttributedUser, decision.AttributionReason, false);
                continue;
            }

            sameEntity &= decision.Entity == entity;
            sameProject &= reference.Project == project;
            // Attribution holds only if it holds for every reference, for the same user.
            if (attributed is not null && decision.AttributedUser?.Id != attributed.Id)
            {
                (attributed, attribution) = (null, decision.AttributionReason ?? DenyReasons.AttributionUserNotInTeam);
            }
        }

        return (Feature(scope, identity, sameEntity ? entity : null, sameProject ? project : null, attributed, attribution, claim), 0, DenyReasons.Allowed);
    }

    /// <summary>
    /// A project named in another case than a known one (<c>ml/P-SECRET</c> for <c>ml/p-secret</c>) is
    /// never judged as an unknown project: an upstream that compares names case-insensitively would
    /// serve the known one. It is refused with 400 <c>ambiguous_name</c> — or, when the caller may not
    /// know the real project exists, with the very 404 the real name gets, so the refusal is no oracle.
    /// (Names are ASCII by the naming rules, so case is the only folding left to check; anything
    /// Unicode, and so any NFKC look-alike, was refused as an invalid name before this.)
    /// </summary>
    private static (GatewayFeature?, int, string)? NearName(Principal principal, ScopeReference reference, string project, Directory.DirectorySnapshot snapshot)
    {
        var entity = reference.Entity ?? AccessEvaluator.DefaultEntity(principal);
        if (entity is null || !snapshot.TryGetNearProject(new ProjectKey(entity, project), out var known))
        {
            return null;
        }

        var canonical = AccessEvaluator.Evaluate(new AccessRequest(principal, known.Entity, known.Name, reference.Action), snapshot);
        return canonical.IsNotFound ? (null, 404, canonical.Reason) : (null, 400, ProblemCodes.AmbiguousName);
    }

    private GatewayFeature Feature(RouteScope scope, in AuthenticationResult identity, string? entity, string? project, User? attributed, string? attribution, AttributionClaim claim)
    {
        var principal = identity.Principal!;
        if (attribution is not null && attributed is null)
        {
            Log.AttributionDropped(logger, scope.RouteId, principal.DisplayName, attribution);
        }

        return new GatewayFeature
        {
            Principal = principal, Entity = entity, Project = project, KeyId = identity.KeyId, AuthMethod = identity.Method,
            AttributedUser = attributed,
            AttributionUsernameHeader = attributed is null ? null : claim.Username,
            AttributionEmailHeader = attributed is null ? null : claim.Email,
        };
    }

    // One meaning per request: refuse what the upstream could read differently from the gateway.
    // (The raw path was already checked by RawPathMiddleware, before routing.)
    // Also reads the attribution claim (each header's one non-empty value) in the same pass over the headers.
    private string? CheckRequestShape(HttpContext context, out AttributionClaim claim)
    {
        claim = default;
        var headers = context.Request.Headers;
        // Framing two servers could compute differently (Kestrel keeps a Content-Length sent with
        // Transfer-Encoding as X-Content-Length; HTTP/1.0 has no chunked encoding): refused, not fixed up.
        if (headers.TransferEncoding.Count > 0
            && (headers.ContainsKey("X-Content-Length") || context.Request.Protocol == "HTTP/1.0" || headers.ContentLength is not null))
        {
            return ProblemCodes.AmbiguousFraming;
        }

        // HTTP/2 and HTTP/3 have no connection-specific headers (RFC 9113 8.2.2): Kestrel rejects some
        // (Connection) and passes others (Transfer-Encoding, Upgrade, Keep-Alive, a TE other than
        // "trailers"), which an HTTP/1.1 hop behind the gateway would obey.
        if (!HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol)
            && (headers.TransferEncoding.Count > 0 || headers.Upgrade.Count > 0 || headers.KeepAlive.Count > 0 || headers.ContainsKey("Proxy-Connection")
                || headers.Connection.Count > 0 || headers.TE.Count > 1 || (headers.TE.Count == 1 && !string.Equals(headers.TE[0], "trailers", StringComparison.OrdinalIgnoreCase))))
        {
            return ProblemCodes.AmbiguousFraming;
        }

        // Attribution headers are read in the same pass (no lookups per request); one sent more than
        // once is refused after it, as before: a bad header anywhere is reported first.
        var attributionTwice = false;
        string? username = null;
        string? email = null;
        foreach (var header in headers)
        {
            if (headerNames.IsUnderscoreTwin(header.Key))
            {
                return ProblemCodes.ReservedHeader;
            }

            if (!HeaderSyntax.IsValid(header.Key, header.Value))
            {
                return ProblemCodes.InvalidHeader;
            }

            var isUsername = string.Equals(header.Key, IdentityHeaderNames.AttributionUsername, StringComparison.OrdinalIgnoreCase);
            if (isUsername || string.Equals(header.Key, IdentityHeaderNames.AttributionEmail, StringComparison.OrdinalIgnoreCase))
            {
                attributionTwice |= header.Value.Count > 1;
                var single = header.Value.Count == 1 && !string.IsNullOrEmpty(header.Value[0]) ? header.Value[0] : null;
                (username, email) = isUsername ? (single, email) : (username, single);
            }
        }

        claim = new AttributionClaim(username, email);
        return attributionTwice ? ProblemCodes.ReservedHeader : null;
    }

    /// <summary>
    /// Shadow mode: the refusal is recorded (metric by route and reason, a rate-limited log line, a
    /// sampled audit event in the principal's organization) and the request forwarded without any
    /// identity header; the client's credential is still stripped and the cluster's credential applied.
    /// </summary>
    private void Shadow(HttpContext context, RouteScope scope, Policy.Model.Principal? principal, string reason)
    {
        metrics.WouldDeny(scope.RouteId, reason);
        if (_shadowLog.TryAcquire(out _))
        {
            Log.WouldDeny(logger, scope.RouteId, principal?.DisplayName ?? "-", reason);
        }

        if (principal is not null)
        {
            _shadowAudit.Record((Principal: principal, Route: scope.RouteId, Reason: reason, Address: context.Connection.RemoteIpAddress?.ToString(), At: time.GetUtcNow()),
                static s => new Store.AuditEvent
                {
                    At = s.At, Org = s.Principal.Org, Action = "shadow.would_deny", Actor = s.Principal.DisplayName, ActorId = s.Principal.Id,
                    Target = s.Route, Address = s.Address, Detail = $"reason={s.Reason}",
                });
        }

        context.Features.Set(new GatewayFeature { Shadowed = true, AuthMethod = AuthMethods.Shadow });
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
                Log.UpstreamFailed(logger, routeId, error.Error.ToString());
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
        Log.Unexpected(logger, routeId, exception.GetType().Name);
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

    private void RecordRequest(HttpContext context, RouteScope? scope) =>
        metrics.Request(RouteIdOf(scope), context.Response.StatusCode, context.Features.Get<GatewayFeature>() is not null);

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationFailed, EventName = "AuthenticationFailed", Level = LogLevel.Information,
            Message = "Authentication failed on route {RouteId}: {Reason} (key id {KeyId}).")]
        public static partial void AuthenticationFailed(ILogger logger, string routeId, string reason, string keyId);

        [LoggerMessage(EventId = EventIds.AuthenticationFailuresSuppressed, EventName = "AuthenticationFailuresSuppressed", Level = LogLevel.Warning,
            Message = "{Count} further authentication failures in the last second were not logged individually.")]
        public static partial void FailuresSuppressed(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.AccessDenied, EventName = "AccessDenied", Level = LogLevel.Information,
            Message = "Denied {Subject} on route {RouteId}: {Reason}.")]
        public static partial void Denied(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.RequestRefused, EventName = "RequestRefused", Level = LogLevel.Information,
            Message = "Refused a request on route {RouteId}: {Reason}.")]
        public static partial void Refused(ILogger logger, string routeId, string reason);

        [LoggerMessage(EventId = EventIds.InvalidScope, EventName = "InvalidScope", Level = LogLevel.Information,
            Message = "Refused a request on route {RouteId}: could not resolve its scope ({Detail}).")]
        public static partial void InvalidScope(ILogger logger, string routeId, string detail);

        [LoggerMessage(EventId = EventIds.AttributionDropped, EventName = "AttributionDropped", Level = LogLevel.Information,
            Message = "Dropped the attribution claimed by {Subject} on route {RouteId}: {Reason}.")]
        public static partial void AttributionDropped(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.UnexpectedFailure, EventName = "UnexpectedFailure", Level = LogLevel.Error,
            Message = "Failing closed on route {RouteId}: unexpected {ExceptionType} while deciding.")]
        public static partial void Unexpected(ILogger logger, string routeId, string exceptionType);

        [LoggerMessage(EventId = EventIds.ShadowWouldDeny, EventName = "ShadowWouldDeny", Level = LogLevel.Warning,
            Message = "Shadow mode on route {RouteId}: forwarded a request from {Subject} that would have been refused: {Reason}.")]
        public static partial void WouldDeny(ILogger logger, string routeId, string subject, string reason);

        [LoggerMessage(EventId = EventIds.UpstreamFailed, EventName = "UpstreamFailed", Level = LogLevel.Warning,
            Message = "Forwarding on route {RouteId} failed: {Error}.")]
        public static partial void UpstreamFailed(ILogger logger, string routeId, string error);
    }
}
