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
    private ValueTask<Decided> AuthorizeAsync(HttpContext context, RouteScope scope, AuthenticationResult identity, AttributionClaim claim, Explain.ExplainFeature? explain)
    {
        // Where the key may be used is known before anything is read from the request.
        if (identity.Restrictions is { } restrictions && !KeyRestrictionCheck.AllowsAddress(restrictions, context.Connection.RemoteIpAddress))
        {
            explain?.Add("key restriction", "refused", $"allowedNetworks: {context.Connection.RemoteIpAddress?.ToString() ?? "an unknown address"} is outside {string.Join(", ", restrictions.AllowedNetworks)}.");
            return ValueTask.FromResult(KeyRestrictionDenial.Of(KeyRestrictionCheck.AllowedNetworks, identity.KeyId, restrictions, null, null,
                scope.ActionFor(context.Request.Method), context.Connection.RemoteIpAddress));
        }

        if (explain is not null && identity.Restrictions is { AllowedNetworks.IsDefaultOrEmpty: false })
        {
            explain.Add("key restriction", "passed", $"allowedNetworks: {context.Connection.RemoteIpAddress} is inside them.");
        }

        // A read-only key reads with reading methods: a route that declares its action read for every
        // method (an upstream that might still write on POST or DELETE) does not make a DELETE a read.
        // (Elsewhere the method already makes the action, and the rules below refuse with the target named.)
        if (scope.Action == AccessAction.Read && !scope.IsBodyScoped && identity.Restrictions is { Access: KeyAccess.Read } readOnly
            && !RouteScope.HttpMethodIsRead(context.Request.Method))
        {
            explain?.Add("key restriction", "refused", $"access: the key is read-only and {context.Request.Method} is not a reading method (GET, HEAD, OPTIONS).");
            return ValueTask.FromResult(KeyRestrictionDenial.Of(KeyRestrictionCheck.Access, identity.KeyId, readOnly, null, null, AccessAction.Write, null));
        }

        if (scope.IsBodyScoped)
        {
            return AuthorizeBodyAsync(context, scope, identity, claim, explain);
        }

        // Path, query, header and authenticated routes name at most one (entity, project): no body to
        // read, no list to build.
        if (scope.Kind == ScopeKind.Authenticated)
        {
            explain?.Add("references", "none", "An authenticated route: it names no entity or project.");
            return ValueTask.FromResult(Authorize(scope, identity, claim, [], scope.ActionFor(context.Request.Method), explain));
        }

        if (RequestScope.HasAmbiguousQueryNames(context, scope)
            || (scope.Kind == ScopeKind.Header
                && (RequestScope.HasHeaderTwin(context.Request.Headers, scope.Entity) || RequestScope.HasHeaderTwin(context.Request.Headers, scope.Project))))
        {
            explain?.Add("references", "refused", "A scope parameter or header is sent twice (or in two spellings).");
            return ValueTask.FromResult<Decided>((null, 400, BodyScopeCodes.AmbiguousProperty));
        }

        if (!RequestScope.TryResolve(context, scope, out var entity, out var project, out var error))
        {
            Log.InvalidScope(logger, scope.RouteId, error ?? "", Diagnostics.RequestIds.Of(context));
            explain?.Add("references", "refused", error ?? "The route's entity or project could not be read.");
            return ValueTask.FromResult<Decided>((null, 400, ProblemCodes.InvalidScope));
        }

        var action = scope.ActionFor(context.Request.Method);
        explain?.Add("references", "read", $"{explain.Target(entity, project)} ({Explain.ExplainText.Verb(action)}) from the {Explain.ExplainText.Source(scope)}.");
        return ValueTask.FromResult(Authorize(scope, identity, claim, [new ScopeReference(entity, project, action)], action, explain));
    }

    private async ValueTask<Decided> AuthorizeBodyAsync(HttpContext context, RouteScope scope, AuthenticationResult identity, AttributionClaim claim, Explain.ExplainFeature? explain)
    {
        var principal = identity.Principal!;
        BodyScopeResolver.BodyScopeResult body;
        // Another proxy asking without the body: the upstream would read a body no rule saw (GraphQL over GET
        // carries its operation in the query, which the asking proxy did send).
        var asked = context.Features.Get<ForwardAuth.ForwardAuthFeature>();
        if (asked is { BodySent: false } && (asked.BodyDeclared || !(scope.Kind == ScopeKind.GraphQl && HttpMethods.IsGet(context.Request.Method))))
        {
            return new Decided(null, 403, ProblemCodes.BodyNotForwarded,
                "This route reads its scope from the request body, and the proxy asking did not send it in full (Envoy: with_request_body; Traefik: forwardBody).");
        }

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
            explain?.Add("references", "refused", $"The body could not be read as this route reads it: {ex.Code}" + (ex.Message.Length > 0 ? $" ({ex.Message})" : "") + ".");
            return (null, ex.Status, ex.Code);
        }

        var references = body.References;
        var graphQl = body.GraphQl;
        if (graphQl is not null)
        {
            // An organization named by nothing (a null or missing name) is no organization the gateway checked.
            if (graphQl.Organizations.Any(org => org is null || org != principal.Org))
            {
                explain?.Add("references", "refused", "The operation names an organization other than the caller's.");
                return (null, 404, GraphQL.GraphQlCodes.OrganizationNotFound);
            }

            if (graphQl.Ids.Count > 0)
            {
                var named = references.Count;
                var (status, code) = await ResolveIdsAsync(context, scope, graphQl, references, localOnly: explain is not null);
                if (explain is not null)
                {
                    explain.Add("ids", status == 0 ? "resolved" : "refused", status == 0
                        ? string.Join("; ", graphQl.Ids.Distinct().Select(id => $"{id.Type} id {id.Id}")) + " resolved to " + string.Join(", ", references.Skip(named).Select(r => explain.Target(r.Entity, r.Project)))
                        : code == ProblemCodes.IdLookupUnavailable && status == 503
                            ? "An id the operation names is not known to this replica's cache or learned ids; explain never asks the upstream, so it cannot say more."
                            : $"An id the operation names could not be resolved: {code}.");
                }

                if (status != 0)
                {
                    return (null, status, code);
                }
            }
        }
        else if (references.Count == 0)
        {
            explain?.Add("references", "refused", "The body names no project where this route reads one.");
            return (null, 400, BodyScopeCodes.ScopeNotFound);
        }

        if (explain is not null)
        {
            explain.Add("references", references.Count == 0 ? "none" : "read", references.Count == 0
                ? $"The {(graphQl is null ? "body" : "GraphQL operation")} names no project: authentication is enough."
                : $"From the {(graphQl is null ? "body" : "GraphQL operation (arguments and variables, by type)")}: "
                  + string.Join(", ", references.Distinct().Select(r => $"{explain.Target(r.Entity, r.Project)} ({Explain.ExplainText.Verb(r.Action)})"))
                  + (graphQl is { HasMutation: true } ? "; the document is a mutation." : "."));
        }

        var requestAction = graphQl is null ? scope.ActionFor(context.Request.Method) : graphQl.HasMutation ? AccessAction.Write : AccessAction.Read;
        var decided = Authorize(scope, identity, claim, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(references), requestAction, explain);
        if (decided.Feature is { } feature && graphQl is not null)
        {
            if (asked?.Unsupported(graphQl) is { } unsupported)
            {
                explain?.Add("outcome", "refused", unsupported);
                return new Decided(null, 403, ProblemCodes.ForwardAuthUnsupported, unsupported);
            }

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

    private async ValueTask<(int Status, string Code)> ResolveIdsAsync(HttpContext context, RouteScope scope, GraphQL.GraphQlAnalysis graphQl, List<ScopeReference> references, bool localOnly)
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
            var (outcome, entity, project) = await ids.ResolveAsync(lookup, id.Id, http, endpoint, credential?.AuthorizationValue, context.RequestAborted, localOnly);
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
