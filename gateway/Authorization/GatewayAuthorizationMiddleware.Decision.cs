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

/// <summary>The decision on the references a request names, and the feature an allowed request carries.</summary>
internal sealed partial class GatewayAuthorizationMiddleware
{
    /// <param name="requestAction">What the request as a whole does (a GraphQL mutation writes even where it names nothing): a read-only key is refused anything else.</param>
    private Decided Authorize(RouteScope scope, in AuthenticationResult identity, AttributionClaim claim, ReadOnlySpan<ScopeReference> references, AccessAction requestAction,
        Explain.ExplainFeature? explain)
    {
        var principal = identity.Principal!;
        var snapshot = identity.Snapshot ?? directory.Current;
        var restrictions = identity.Restrictions;
        if (references.IsEmpty)
        {
            if (KeyRestrictionCheck.CheckUnscoped(restrictions, requestAction) is { } unscoped)
            {
                explain?.Add("key restriction", "refused", unscoped == KeyRestrictionCheck.Access
                    ? $"access: the key is read-only and this request {Explain.ExplainText.Verb(requestAction)}s."
                    : $"projects: the key is limited to projects and this request {Explain.ExplainText.Verb(requestAction)}s without naming one.");
                return KeyRestrictionDenial.Of(unscoped, identity.KeyId, restrictions!, null, null, requestAction, null);
            }

            // Needs only authentication (an authenticated route, or a GraphQL operation naming no project).
            var defaultEntity = AccessEvaluator.DefaultEntity(principal);
            var reason = AccessEvaluator.EvaluateAttribution(principal, defaultEntity, claim, snapshot, out var user);
            explain?.Add("rules", "allowed", $"Nothing to authorize beyond authentication; the default entity is {defaultEntity ?? "none"}."
                + (reason is null ? "" : $" Attribution: {reason}."));
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
                explain?.Add("rules", "refused", $"{explain.Target(reference.Entity, named)} differs only by case from a known project: {near.Item3}.");
                return near;
            }

            var decision = AccessEvaluator.Evaluate(new AccessRequest(principal, reference.Entity, reference.Project, reference.Action, claim), snapshot);
            explain?.Add("rules", decision.IsAllowed ? "allowed" : "refused", Explain.ExplainText.Rule(explain, principal, decision, reference, snapshot));
            if (!decision.IsAllowed)
            {
                return decision.IsNotFound
                    ? new Decided(null, 404, decision.Reason)
                    : new Decided(null, 403, decision.Reason,
                        DenialDetails.For(decision.Reason, principal, decision.Entity ?? reference.Entity ?? AccessEvaluator.DefaultEntity(principal) ?? "-", reference.Project, reference.Action));
            }

            // The key's restrictions narrow what the owner may; asked only after the owner's allow, so
            // a project the owner may not see stays a 404.
            var restricted = KeyRestrictionCheck.Check(restrictions, decision.Entity!, reference.Project, reference.Action);
            if (explain is not null && restrictions is { IsEmpty: false })
            {
                explain.Add("key restriction", restricted is null ? "passed" : "refused", restricted is null
                    ? $"The key's access and projects allow {Explain.ExplainText.Verb(reference.Action)} on {explain.Target(decision.Entity, reference.Project)}."
                    : $"{restricted}: the key does not allow {Explain.ExplainText.Verb(reference.Action)} on {explain.Target(decision.Entity, reference.Project)}.");
            }

            if (restricted is not null)
            {
                return KeyRestrictionDenial.Of(restricted, identity.KeyId, restrictions!, decision.Entity, reference.Project, reference.Action, null);
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

        // A mutation whose every reference reads (a read of a project inside a write) still writes.
        if (KeyRestrictionCheck.CheckOverall(restrictions, requestAction) is { } overall)
        {
            explain?.Add("key restriction", "refused", $"{overall}: this request {Explain.ExplainText.Verb(requestAction)}s as a whole (a mutation), which the key does not allow.");
            return KeyRestrictionDenial.Of(overall, identity.KeyId, restrictions!, null, null, requestAction, null);
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
}
