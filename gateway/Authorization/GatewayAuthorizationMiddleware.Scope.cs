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

/// <summary>The route's scope: from the path, query and headers, or from the body (GraphQL with its ids and edits).</summary>
internal sealed partial class GatewayAuthorizationMiddleware
{
    private ValueTask<Decided> AuthorizeAsync(HttpContext context, RouteScope scope, AuthenticationResult identity, AttributionClaim claim)
    {
        // Where the key may be used is known before anything is read from the request.
        if (identity.Restrictions is { } restrictions && !KeyRestrictionCheck.AllowsAddress(restrictions, context.Connection.RemoteIpAddress))
        {
            return ValueTask.FromResult(KeyRestrictionDenial.Of(KeyRestrictionCheck.AllowedNetworks, identity.KeyId, restrictions, null, null,
                scope.ActionFor(context.Request.Method), context.Connection.RemoteIpAddress));
        }

        if (scope.IsBodyScoped)
        {
            return AuthorizeBodyAsync(context, scope, identity, claim);
        }

        // Path, query, header and authenticated routes name at most one (entity, project): no body to
        // read, no list to build.
        if (scope.Kind == ScopeKind.Authenticated)
        {
            return ValueTask.FromResult(Authorize(scope, identity, claim, [], scope.ActionFor(context.Request.Method)));
        }

        if (RequestScope.HasAmbiguousQueryNames(context, scope)
            || (scope.Kind == ScopeKind.Header
                && (RequestScope.HasHeaderTwin(context.Request.Headers, scope.Entity) || RequestScope.HasHeaderTwin(context.Request.Headers, scope.Project))))
        {
            return ValueTask.FromResult<Decided>((null, 400, BodyScopeCodes.AmbiguousProperty));
        }

        if (!RequestScope.TryResolve(context, scope, out var entity, out var project, out var error))
        {
            Log.InvalidScope(logger, scope.RouteId, error ?? "", Diagnostics.RequestIds.Of(context));
            return ValueTask.FromResult<Decided>((null, 400, ProblemCodes.InvalidScope));
        }

        var action = scope.ActionFor(context.Request.Method);
        return ValueTask.FromResult(Authorize(scope, identity, claim, [new ScopeReference(entity, project, action)], action));
    }

    private async ValueTask<Decided> AuthorizeBodyAsync(HttpContext context, RouteScope scope, AuthenticationResult identity, AttributionClaim claim)
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
            Log.InvalidScope(logger, scope.RouteId, ex.Code, Diagnostics.RequestIds.Of(context));
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

        var requestAction = graphQl is null ? scope.ActionFor(context.Request.Method) : graphQl.HasMutation ? AccessAction.Write : AccessAction.Read;
        var decided = Authorize(scope, identity, claim, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(references), requestAction);
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
}
