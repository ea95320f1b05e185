using Gateway.Policy.Directory;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>
/// Reads the entity and project a request names, from where its route says. Values must be plain
/// names in the directory's alphabet, byte for byte as sent: anything encoded, empty or dotted is
/// refused rather than decoded or cleaned.
/// </summary>
internal static class RequestScope
{
    public static bool TryResolve(HttpContext context, RouteScope scope, out string? entity, out string? project, out string? error)
    {
        entity = null;
        project = null;
        error = null;
        switch (scope.Kind)
        {
            case ScopeKind.Path:
                if (!RawPath.TryGet(context, out var path))
                {
                    error = "The request target must be a plain path.";
                    return false;
                }

                return TryPathValue(path, scope.EntitySegment, isEntity: true, out entity, ref error)
                    && TryPathValue(path, scope.ProjectSegment, isEntity: false, out project, ref error);
            case ScopeKind.Query:
                if (!TryValue(context.Request.Query, scope.Entity, true, out entity, ref error)
                    || !TryValue(context.Request.Query, scope.Project, false, out project, ref error))
                {
                    return false;
                }

                return scope.ProjectId is null || TryProjectId(context.Request.Query, scope.ProjectId, ref entity, ref project, out _, out error);
            case ScopeKind.Header:
                return TryValue(context.Request.Headers, scope.Entity, true, out entity, ref error)
                    && TryValue(context.Request.Headers, scope.Project, false, out project, ref error);
            default:
                return true;
        }
    }

    /// <summary>
    /// True when the query string names a scope parameter of this route in another case than the
    /// route's (<c>?Project=</c> for <c>project</c>). ASP.NET matches query names case-insensitively,
    /// Go's <c>url.Values</c>, Python's <c>parse_qs</c> and Express exactly, so the gateway would
    /// authorize a project the upstream never reads (and the upstream fall back to a default the
    /// gateway never checked). Read raw: the query collection has already merged the spellings.
    /// Also true for a scope name followed by <c>[</c> (<c>?entity[]=</c>, <c>?entity[0]=</c>) or in a
    /// leading bracket (<c>?[entity]=</c>): Express's <c>qs</c> and PHP merge those into the parameter
    /// (<c>entity = ['other', 'mine']</c>), which ASP.NET, Go and Python keep as another name.
    /// </summary>
    public static bool HasAmbiguousQueryNames(HttpContext context, RouteScope scope)
    {
        var query = context.Request.QueryString;
        if (!query.HasValue || (scope.Kind != ScopeKind.Query && scope.ProjectId is null))
        {
            return false;
        }

        foreach (var pair in new Microsoft.AspNetCore.WebUtilities.QueryStringEnumerable(query.Value))
        {
            var name = pair.DecodeName().Span;
            if (IsVariant(name, scope.Kind == ScopeKind.Query ? scope.Entity : null)
                || IsVariant(name, scope.Kind == ScopeKind.Query ? scope.Project : null)
                || IsVariant(name, scope.ProjectId))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when a header other than <paramref name="scopeHeader"/> would be read as it by some server:
    /// CGI and WSGI servers (and Rack, PHP) name headers <c>HTTP_X_ENTITY</c>, so <c>X_Entity</c>,
    /// <c>X-Entity</c> and <c>x_entity</c> all become one variable (the last one sent wins there),
    /// while the gateway reads only the exact name. The reserved-header rule is the same one for the
    /// gateway's own names; this is it for a route's scope headers.
    /// </summary>
    public static bool HasHeaderTwin(IHeaderDictionary headers, string? scopeHeader)
    {
        if (scopeHeader is null)
        {
            return false;
        }

        foreach (var header in headers)
        {
            if (header.Key.Length == scopeHeader.Length
                && !string.Equals(header.Key, scopeHeader, StringComparison.OrdinalIgnoreCase)
                && SameAsCgiName(header.Key, scopeHeader))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SameAsCgiName(string a, string b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            var x = a[i] == '_' ? '-' : char.ToLowerInvariant(a[i]);
            var y = b[i] == '_' ? '-' : char.ToLowerInvariant(b[i]);
            if (x != y)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsVariant(ReadOnlySpan<char> name, string? known)
        => known is not null
            && (BodyScope.PropertyFolding.IsVariantOf(name, known)
                || (name.Length > known.Length && name[known.Length] == '[' && BodyScope.PropertyFolding.Folds(name[..known.Length], known))
                || LeadingBracketNames(name, known));

    // qs reads a name that starts with a bracket by its first segment: "[entity]=x" and "[entity][a]=x"
    // set entity there.
    private static bool LeadingBracketNames(ReadOnlySpan<char> name, string known)
    {
        if (name.IsEmpty || name[0] != '[')
        {
            return false;
        }

        var close = name.IndexOf(']');
        var inner = close < 0 ? name[1..] : name[1..close];
        return BodyScope.PropertyFolding.Folds(inner, known);
    }

    private static bool TryPathValue(ReadOnlySpan<char> path, int segment, bool isEntity, out string? value, ref string? error)
    {
        value = null;
        if (segment < 0)
        {
            return true;
        }

        var raw = RawPath.Segment(path, segment);
        if (!IsValid(raw, isEntity))
        {
            error = isEntity ? "The entity segment is not a valid entity name." : "The project segment is not a valid project name.";
            return false;
        }

        value = NameTable.Get(raw);
        return true;
    }

    private static bool TryValue(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> source, string? name, bool isEntity, out string? value, ref string? error)
    {
        value = null;
        if (name is null)
        {
            return true;
        }

        var values = source switch
        {
            IQueryCollection query => query[name],
            IHeaderDictionary headers => headers[name],
            _ => default,
        };
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1)
        {
            error = $"'{name}' is given more than once.";
            return false;
        }

        if (!IsValid(values[0], isEntity))
        {
            error = $"'{name}' is not a valid {(isEntity ? "entity" : "project")} name.";
            return false;
        }

        value = values[0];
        return true;
    }

    /// <summary>
    /// <c>?project_id=entity/project</c>, when present: one value, valid names, and in agreement with
    /// an entity and project already resolved elsewhere (<paramref name="conflict"/> when not).
    /// </summary>
    public static bool TryProjectId(IQueryCollection query, string name, ref string? entity, ref string? project, out bool conflict, out string? error)
    {
        conflict = false;
        error = null;
        var values = query[name];
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1)
        {
            error = $"'{name}' is given more than once.";
            return false;
        }

        try
        {
            var (e, p) = BodyScope.ProjectId.Parse(values[0], name);
            if ((entity is not null && entity != e) || (project is not null && project != p))
            {
                conflict = true;
                error = $"'{name}' names a different project than the rest of the request.";
                return false;
            }

            (entity, project) = (e, p);
            return true;
        }
        catch (BodyScope.BodyScopeException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    private static bool IsValid(ReadOnlySpan<char> value, bool isEntity) => isEntity ? Names.IsValidEntity(value) : Names.IsValidProject(value);
}
