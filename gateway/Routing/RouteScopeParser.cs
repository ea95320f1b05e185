using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Routing.Patterns;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// Parses a route's <c>Gateway.*</c> metadata into a <see cref="RouteScope"/>, reporting every
/// problem (not just the first), each naming the route, the key and the fix.
/// </summary>
internal static class RouteScopeParser
{
    public const string ScopeKey = "Gateway.Scope";
    public const string EntityKey = "Gateway.Entity";
    public const string ProjectKey = "Gateway.Project";
    public const string ActionKey = "Gateway.Action";

    private static readonly string[] KnownKeys = [ScopeKey, EntityKey, ProjectKey, ActionKey];
    private const string ExpectedKinds = "path, query, header, authenticated, anonymous";

    public static RouteScope? Parse(RouteConfig route, List<string> errors)
    {
        var metadata = route.Metadata ?? new Dictionary<string, string>();
        var id = route.RouteId;
        var before = errors.Count;
        foreach (var key in metadata.Keys.Where(k => k.StartsWith("Gateway.", StringComparison.OrdinalIgnoreCase) && !KnownKeys.Contains(k, StringComparer.Ordinal)))
        {
            errors.Add($"Route '{id}' has unknown metadata '{key}'. Expected one of: {string.Join(", ", KnownKeys)}.");
        }

        if (!metadata.TryGetValue(ScopeKey, out var kindText) || string.IsNullOrWhiteSpace(kindText))
        {
            errors.Add($"Route '{id}' has no '{ScopeKey}' metadata. Every route must declare where its entity and project come from: {ExpectedKinds}.");
            return null;
        }

        ScopeKind kind;
        switch (kindText)
        {
            case "path": kind = ScopeKind.Path; break;
            case "query": kind = ScopeKind.Query; break;
            case "header": kind = ScopeKind.Header; break;
            case "authenticated": kind = ScopeKind.Authenticated; break;
            case "anonymous": kind = ScopeKind.Anonymous; break;
            default:
                errors.Add($"Route '{id}' has {ScopeKey} '{kindText}': unknown kind. Expected one of: {ExpectedKinds}.");
                return null;
        }

        metadata.TryGetValue(EntityKey, out var entity);
        metadata.TryGetValue(ProjectKey, out var project);
        AccessAction? action = null;
        if (metadata.TryGetValue(ActionKey, out var actionText))
        {
            if (Wire.TryParse<AccessAction>(actionText, out var parsed))
            {
                action = parsed;
            }
            else
            {
                errors.Add($"Route '{id}' has {ActionKey} '{actionText}'. Expected one of: read, write, manage (or leave it out to derive it from the method).");
            }
        }

        var scope = new RouteScope { RouteId = id, Kind = kind, Entity = Blank(entity), Project = Blank(project), Action = action };
        if (kind is ScopeKind.Authenticated or ScopeKind.Anonymous)
        {
            if (scope.Entity is not null || scope.Project is not null)
            {
                errors.Add($"Route '{id}' is '{kindText}' but names {EntityKey}/{ProjectKey}: such routes touch no project. Use scope path, query or header instead.");
            }
        }
        else if (scope.Entity is null && scope.Project is null)
        {
            errors.Add($"Route '{id}' has {ScopeKey} '{kindText}' but names neither {EntityKey} nor {ProjectKey}.");
        }
        else if (kind == ScopeKind.Path)
        {
            scope = ResolveSegments(route, scope, errors);
        }
        else
        {
            foreach (var (key, name) in new[] { (EntityKey, scope.Entity), (ProjectKey, scope.Project) })
            {
                if (name is not null && (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
                {
                    errors.Add($"Route '{id}' has {key} '{name}': a {kindText} name is letters, digits, '-' and '_'.");
                }
            }
        }

        return errors.Count == before ? scope : null;
    }

    private static RouteScope ResolveSegments(RouteConfig route, RouteScope scope, List<string> errors)
    {
        var id = route.RouteId;
        if (string.IsNullOrEmpty(route.Match?.Path))
        {
            errors.Add($"Route '{id}' has {ScopeKey} 'path' but no Match.Path template.");
            return scope;
        }

        RoutePattern pattern;
        try
        {
            pattern = RoutePatternFactory.Parse(route.Match.Path);
        }
        catch (RoutePatternException)
        {
            return scope; // YARP's own validation reports the broken template.
        }

        var whole = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < pattern.PathSegments.Count; i++)
        {
            var parts = pattern.PathSegments[i].Parts;
            if (parts is [RoutePatternParameterPart { IsCatchAll: false } parameter])
            {
                whole[parameter.Name] = i;
            }
        }

        var names = string.Join(", ", pattern.Parameters.Select(p => p.Name));
        int Segment(string key, string? name)
        {
            if (name is null)
            {
                return -1;
            }

            if (whole.TryGetValue(name, out var index))
            {
                return index;
            }

            errors.Add(pattern.Parameters.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                ? $"Route '{id}' has {key} '{name}', but in '{route.Match.Path}' it is not a whole path segment: use a plain '{{{name}}}' segment."
                : $"Route '{id}' has {key} '{name}', but its path '{route.Match.Path}' has no such value. Expected one of: {(names.Length == 0 ? "(none)" : names)}.");
            return -1;
        }

        return scope with { EntitySegment = Segment(EntityKey, scope.Entity), ProjectSegment = Segment(ProjectKey, scope.Project) };
    }

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
