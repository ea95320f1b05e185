using Gateway.Authentication;
using Gateway.Diagnostics;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gateway.Authorization;

/// <summary>
/// What follows the decision: a refusal answered and recorded (log, metric, usage, audit, explain's ring),
/// shadow mode, explain's stop, the rate limits and daily quotas of an allowed request, the gateway's own
/// answer.
/// </summary>
internal sealed partial class GatewayAuthorizationMiddleware
{
    /// <summary>
    /// The decision once the caller is known: the one function the proxy and explain share. With
    /// <paramref name="explain"/>, each step is recorded and nothing is forwarded or counted.
    /// </summary>
    private async ValueTask<bool> DecideAsync(HttpContext context, RouteScope scope, AuthenticationResult result, AttributionClaim claim, Explain.ExplainFeature? explain)
    {
        var decide = GatewayTracing.Start("gateway.decide", scope.RouteId);
        var decided = await AuthorizeAsync(context, scope, result, claim, explain);
        var (feature, status, reason) = decided;
        GatewayTracing.End(decide, feature is null ? "denied" : "allowed", reason);
        if (feature is null)
        {
            if (explain is null)
            {
                Log.Denied(logger, scope.RouteId, result.Principal!.DisplayName, reason, Diagnostics.RequestIds.Of(context));
                metrics.Denied(reason);
            }

            if (scope.Shadow && status is 403 or 404)
            {
                explain?.Add("outcome", "shadowed", $"Would be refused ({status} {reason}); forwarded without identity headers because the route is in shadow mode.");
                if (explain is not null)
                {
                    return false;
                }

                Shadow(context, scope, result.Principal, reason);
                return true;
            }

            await (status == 503
                ? ProxyProblems.UnavailableAsync(context, reason, "The gateway could not establish what this request touches; retry later.", 5)
                : GatewayProblem.WriteAsync(context.Response, status, reason, decided.Detail, restriction: decided.Restriction));
            Refused(context, scope, result.Principal, result.KeyId, null);
            return false;
        }

        if (explain is not null)
        {
            // Explain takes no permit: it says which buckets apply and how full they are now.
            explain.Add("rate limit", "not counted", rateLimiter.Describe(scope.RateClass, result.KeyId, result.Principal!, TeamOf(feature.Entity, result.Snapshot))
                + " " + quotas.Describe(result.KeyId, result.Principal!));
            explain.Allowed = true;
            (explain.Entity, explain.Project) = (feature.Entity, feature.Project);
            return false;
        }

        // Counted only once allowed: a refused request reaches no upstream, and a caller over its limit
        // still learns why it was refused rather than that it was throttled.
        var limited = rateLimiter.TryAcquire(scope.RateClass, result.KeyId, result.Principal!, TeamOf(feature.Entity, result.Snapshot));
        // Counted first, checked after: concurrent requests cannot all take a quota's last slot.
        RateLimiting.QuotaRefusal overQuota = default;
        if (!limited.Refused)
        {
            var place = usage.RecordAllowed(result.Principal!.Id, result.KeyId);
            try
            {
                overQuota = quotas.Applies(result.KeyId, result.Principal!) ? quotas.Check(result.KeyId, result.Principal!, place) : default;
            }
            catch (Store.StoreUnavailableException)
            {
                // Today's counts could not be loaded (the first request of a UTC day, the store down): fail closed.
                usage.Unrecord(result.Principal!.Id, result.KeyId);
                await ProxyProblems.UnavailableAsync(context, ProblemCodes.StoreUnavailable, "The gateway cannot read today's request counts for a daily quota; retry shortly.", 5);
                Refused(context, scope, result.Principal, result.KeyId, null);
                return false;
            }

            if (overQuota.Refused)
            {
                usage.Unrecord(result.Principal!.Id, result.KeyId);
            }
        }

        if (limited.Refused || overQuota.Refused)
        {
            var code = limited.Refused ? ProblemCodes.RateLimited : ProblemCodes.QuotaExceeded;
            Log.Denied(logger, scope.RouteId, result.Principal!.DisplayName, code, Diagnostics.RequestIds.Of(context));
            metrics.Denied(code);
            await (limited.Refused
                ? RateLimiting.RateLimitAnswer.WriteAsync(context, limited, result.KeyId, result.Principal!.DisplayName)
                : RateLimiting.RateLimitAnswer.WriteAsync(context, overQuota, result.KeyId, result.Principal!.DisplayName));
            Refused(context, scope, result.Principal, result.KeyId, null);
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

    // A refusal written above is kept for explain (never for explain's own replays).
    private void Refused(HttpContext context, RouteScope scope, Policy.Model.Principal? principal, string? keyId, string? authenticationFailure)
    {
        if (context.Features.Get<Explain.ExplainFeature>() is null)
        {
            var code = context.Features.Get<Diagnostics.ProblemCode>()?.Code;
            if (principal is not null)
            {
                usage.Record(principal.Id, keyId, code ?? "refused");
                _refusalAudit.Record((Principal: principal, KeyId: keyId, Route: scope.RouteId, Status: context.Response.StatusCode, Code: code ?? "refused",
                    RequestId: Diagnostics.RequestIds.Of(context), Address: context.Connection.RemoteIpAddress?.ToString(), At: time.GetUtcNow()),
                    static r => new Store.AuditEvent
                    {
                        At = r.At, Org = r.Principal.Org, Action = "request.refused", Actor = r.Principal.DisplayName, ActorId = r.Principal.Id, KeyId = r.KeyId,
                        Target = r.Route, Address = r.Address, Detail = $"requestId={r.RequestId} status={r.Status} code={r.Code}",
                    });
            }
            else if (!_anonymousRefusals.TryAcquire(out _))
            {
                return;
            }

            refusals.Record(context, scope.RouteId, context.Response.StatusCode, code ?? "", principal, keyId, authenticationFailure, time);
        }
    }

    // The team a request counts against for team buckets: the entity it resolved to, when that is a team.
    private string? TeamOf(string? entity, Directory.DirectorySnapshot? snapshot)
        => entity is not null && rateLimiter.HasTeamBuckets && (snapshot ?? directory.Current).TryGetEntity(entity, out var found) && found.Kind == EntityKind.Team
            ? entity
            : null;
}
