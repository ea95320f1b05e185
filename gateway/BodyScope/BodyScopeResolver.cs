using Gateway.GraphQL.Scope;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gateway.BodyScope;

/// <summary>
/// Reads the references of a body-scoped request and makes every place that names the scope agree:
/// path values and <c>?project_id=</c> pin it, and each body reference must match (400 otherwise).
/// </summary>
internal static class BodyScopeResolver
{
    /// <summary>What a body names; <paramref name="Body"/> is the (decompressed) bytes that were parsed.</summary>
    internal sealed record BodyScopeResult(List<ScopeReference> References, GraphQL.GraphQlAnalysis? GraphQl, ReadOnlyMemory<byte> Body);

    public static async ValueTask<BodyScopeResult> ResolveAsync(HttpContext context, RouteScope scope, string? defaultEntity)
    {
        var limits = scope.Body!;
        var request = context.Request;
        var action = scope.ActionFor(request.Method);
        var hasBody = HasBody(context);
        if (scope.Kind == ScopeKind.GraphQl && HttpMethods.IsGet(request.Method))
        {
            return ResolveGraphQlGet(request, scope, hasBody, defaultEntity);
        }

        if (hasBody || request.ContentType is not null)
        {
            CheckContentType(request.ContentType, scope.Kind);
        }

        if (scope.Kind == ScopeKind.GraphQl && GraphQL.GraphQlUrl.HasParameters(request.QueryString))
        {
            throw new BodyScopeException(400, BodyScopeCodes.GraphQlInUrl, "GraphQL parameters (query, variables, operationName, extensions) travel in the body only.");
        }

        var body = hasBody ? await RequestBody.ReadAsync(context, limits) : ReadOnlyMemory<byte>.Empty;
        GraphQL.GraphQlAnalysis? graphQl = null;
        if (scope.Kind == ScopeKind.GraphQl)
        {
            graphQl = body.IsEmpty
                ? throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "A GraphQL request needs a JSON body.")
                : GraphQlScopeExtractor.Analyze(body, limits, limits.Rules, defaultEntity);
        }

        var references = scope.Kind switch
        {
            ScopeKind.GraphQl => graphQl!.References,
            ScopeKind.Json => body.IsEmpty ? [] : JsonScopeExtractor.Extract(body, limits, action),
            ScopeKind.WeaveRefs => body.IsEmpty ? [] : Weave.RefsReadBatchScopeExtractor.Extract(body),
            ScopeKind.Otlp => Otlp.OtlpScopeExtractor.Extract(body, ProjectIdHeader(request)),
            _ => body.IsEmpty ? [] : await MultipartScopeExtractor.ExtractAsync(body, request.ContentType, limits, action),
        };

        var (entity, project) = Pinned(context, scope);
        foreach (var reference in references)
        {
            if ((entity is not null && reference.Entity is not null && reference.Entity != entity)
                || (project is not null && reference.Project != project))
            {
                throw new BodyScopeException(400, BodyScopeCodes.ScopeConflict, "The path, the query string and the body name different projects.");
            }
        }

        if (references.Count == 0 && (entity is not null || project is not null))
        {
            references.Add(new ScopeReference(entity, project, action));
        }

        return new BodyScopeResult(references, graphQl, body);
    }

    /// <summary>
    /// Whether the request carries a body, as the server knows it from the framing: on HTTP/2 and
    /// HTTP/3 a body is a stream's DATA frames, announced by no header at all (no Content-Length is
    /// required and Transfer-Encoding does not exist), so headers cannot tell. Kestrel's body detection
    /// covers every protocol; a Content-Length above zero counts as well, whatever it says.
    /// </summary>
    internal static bool HasBody(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength > 0)
        {
            return true;
        }

        return context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>() is { } detection
            ? detection.CanHaveBody
            : request.ContentLength is null && request.Headers.TransferEncoding.Count > 0;
    }

    // GET on a GraphQL route: only when the operator enabled it, and then the URL is the request.
    private static BodyScopeResult ResolveGraphQlGet(HttpRequest request, RouteScope scope, bool hasBody, string? defaultEntity)
    {
        var limits = scope.Body!;
        if (!limits.AllowGet)
        {
            throw new BodyScopeException(405, BodyScopeCodes.GraphQlGetNotAllowed, "This GraphQL route accepts POST only.");
        }

        if (hasBody || request.ContentType is not null)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "A GraphQL GET carries its request in the URL only, with no body.");
        }

        var envelope = GraphQL.GraphQlUrl.Envelope(request.QueryString);
        var graphQl = GraphQlScopeExtractor.Analyze(envelope, limits, limits.Rules, defaultEntity);
        if (graphQl.HasMutation)
        {
            throw new BodyScopeException(405, BodyScopeCodes.GraphQlGetNotAllowed, "Mutations are sent with POST.");
        }

        if (graphQl.Edits.Count > 0)
        {
            // The gateway makes a defaulted entity explicit by editing the body; a URL is forwarded as sent.
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "This operation leaves its entity to a default: name it, or send the request with POST.");
        }

        return new BodyScopeResult(graphQl.References, graphQl, envelope);
    }

    private static (string? Entity, string? Project) Pinned(HttpContext context, RouteScope scope)
    {
        string? entity = null;
        string? project = null;
        if (scope.EntitySegment >= 0 || scope.ProjectSegment >= 0)
        {
            if (!RequestScope.TryResolve(context, scope with { Kind = ScopeKind.Path }, out entity, out project, out var error))
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, error ?? "Invalid path scope.");
            }
        }

        if (RequestScope.HasAmbiguousQueryNames(context, scope))
        {
            throw new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty, "A query parameter differs from the route's scope parameter only in case.");
        }

        if (scope.Kind != ScopeKind.GraphQl && scope.ProjectId is { } name
            && !RequestScope.TryProjectId(context.Request.Query, name, ref entity, ref project, out var conflict, out var queryError))
        {
            throw new BodyScopeException(400, conflict ? BodyScopeCodes.ScopeConflict : BodyScopeCodes.InvalidScope, queryError ?? "Invalid project_id.");
        }

        return (entity, project);
    }

    private static string? ProjectIdHeader(HttpRequest request)
    {
        if (RequestScope.HasHeaderTwin(request.Headers, Otlp.OtlpScopeExtractor.ProjectHeader))
        {
            throw new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty, "A header differs from the project_id header only in case, '-' or '_'.");
        }

        var values = request.Headers[Otlp.OtlpScopeExtractor.ProjectHeader];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw new BodyScopeException(400, BodyScopeCodes.ScopeConflict, "Send one project_id header."),
        };
    }

    private static void CheckContentType(string? contentType, ScopeKind kind)
    {
        var expected = kind switch
        {
            ScopeKind.Multipart => "multipart/form-data",
            ScopeKind.Otlp => "application/x-protobuf",
            _ => "application/json",
        };
        if (!Diagnostics.MediaType.Is(contentType, expected))
        {
            throw new BodyScopeException(415, BodyScopeCodes.UnsupportedMediaType, $"This route accepts {expected} bodies only.");
        }

        if (kind is not ScopeKind.Multipart and not ScopeKind.Otlp && !Diagnostics.MediaType.IsUtf8OrUnstated(contentType))
        {
            throw new BodyScopeException(415, BodyScopeCodes.UnsupportedCharset, "JSON bodies are UTF-8: send no charset, or charset=utf-8.");
        }
    }
}
