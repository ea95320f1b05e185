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
    public const string ProjectIdKey = "Gateway.ProjectId";
    public const string MaxBytesKey = "Gateway.Body.MaxBytes";
    public const string MaxDecompressedBytesKey = "Gateway.Body.MaxDecompressedBytes";
    public const string MaxOperationsKey = "Gateway.GraphQL.MaxOperations";
    public const string MaxFieldsKey = "Gateway.GraphQL.MaxFields";
    public const string MaxDepthKey = "Gateway.GraphQL.MaxDepth";
    public const string EntityFieldsKey = "Gateway.GraphQL.EntityFields";
    public const string ProjectFieldsKey = "Gateway.GraphQL.ProjectFields";
    public const string RulesKey = "Gateway.GraphQL.Rules";
    public const string AllowGetKey = "Gateway.GraphQL.AllowGet";
    public const string ModeKey = "Gateway.Mode";
    public const string RateClassKey = "Gateway.RateLimit.Class";

    private static readonly string[] KnownKeys =
    [
        ScopeKey, EntityKey, ProjectKey, ActionKey, ProjectIdKey, MaxBytesKey, MaxDecompressedBytesKey,
        MaxOperationsKey, MaxFieldsKey, MaxDepthKey, EntityFieldsKey, ProjectFieldsKey, RulesKey, AllowGetKey, ModeKey, RateClassKey,
    ];

    private static readonly string[] BodyOnlyKeys = [MaxBytesKey, MaxDecompressedBytesKey, MaxOperationsKey, MaxFieldsKey, MaxDepthKey, EntityFieldsKey, ProjectFieldsKey, RulesKey, AllowGetKey];
    private const string ExpectedKinds = "path, query, header, graphql, json, multipart, weave-refs, otlp, authenticated, anonymous";

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
            case "graphql": kind = ScopeKind.GraphQl; break;
            case "json": kind = ScopeKind.Json; break;
            case "multipart": kind = ScopeKind.Multipart; break;
            case "weave-refs": kind = ScopeKind.WeaveRefs; break;
            case "otlp": kind = ScopeKind.Otlp; break;
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

        var shadow = false;
        switch (metadata.GetValueOrDefault(ModeKey, "enforce"))
        {
            case "enforce":
                break;
            case "shadow" when kind == ScopeKind.Anonymous:
                errors.Add($"Route '{id}' is anonymous: there is no decision to shadow. Remove {ModeKey}.");
                break;
            case "shadow":
                shadow = true;
                break;
            case var other:
                errors.Add($"Route '{id}' has {ModeKey} '{other}'. Expected one of: enforce, shadow.");
                break;
        }

        var rateClass = RateLimiting.RateClasses.DefaultFor(kind);
        if (metadata.TryGetValue(RateClassKey, out var rateClassText) && !RateLimiting.RateClasses.TryParse(rateClassText, out rateClass))
        {
            errors.Add($"Route '{id}' has {RateClassKey} '{rateClassText}'. Expected one of: {string.Join(", ", RateLimiting.RateClasses.Names)}.");
        }

        metadata.TryGetValue(ProjectIdKey, out var projectId);
        var scope = new RouteScope
        {
            RouteId = id, Kind = kind, Entity = Blank(entity), Project = Blank(project), Action = action, ProjectId = Blank(projectId), Shadow = shadow,
            RateClass = rateClass,
        };
        var isBody = kind is ScopeKind.GraphQl or ScopeKind.Json or ScopeKind.Multipart or ScopeKind.WeaveRefs or ScopeKind.Otlp;
        if (!isBody)
        {
            foreach (var key in BodyOnlyKeys.Where(metadata.ContainsKey))
            {
                errors.Add($"Route '{id}' has '{key}', which applies only to graphql, json and multipart scopes.");
            }
        }

        if (scope.ProjectId is not null && kind is not (ScopeKind.Query or ScopeKind.Json or ScopeKind.Multipart))
        {
            errors.Add($"Route '{id}' has {ProjectIdKey}, which applies only to query, json and multipart scopes.");
        }

        if (kind is ScopeKind.Authenticated or ScopeKind.Anonymous)
        {
            if (scope.Entity is not null || scope.Project is not null)
            {
                errors.Add($"Route '{id}' is '{kindText}' but names {EntityKey}/{ProjectKey}: such routes touch no project. Use scope path, query or header instead.");
            }
        }
        else if (isBody)
        {
            // Body routes may also pin entity/project in the path; both must then agree.
            scope = scope with { Body = ParseBody(route, kind, errors) };
            if (scope.Entity is not null || scope.Project is not null)
            {
                scope = ResolveSegments(route, scope, errors);
            }

            if (kind is ScopeKind.Json or ScopeKind.Multipart && scope.ProjectId is null)
            {
                scope = scope with { ProjectId = scope.Body!.ProjectIdField };
            }
        }
        else if (scope.Entity is null && scope.Project is null && scope.ProjectId is null)
        {
            errors.Add($"Route '{id}' has {ScopeKey} '{kindText}' but names neither {EntityKey} nor {ProjectKey}.");
        }
        else if (kind == ScopeKind.Path)
        {
            scope = ResolveSegments(route, scope, errors);
        }
        else
        {
            foreach (var (key, name) in new[] { (EntityKey, scope.Entity), (ProjectKey, scope.Project), (ProjectIdKey, scope.ProjectId) })
            {
                if (name is not null && !IsParameterName(name))
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

    private static BodyScope.BodyLimits ParseBody(RouteConfig route, ScopeKind kind, List<string> errors)
    {
        var metadata = route.Metadata!;
        var defaultBytes = kind == ScopeKind.GraphQl ? BodyScope.BodyLimits.DefaultGraphQlBytes : BodyScope.BodyLimits.DefaultJsonBytes;
        int Number(string key, int fallback, int max)
        {
            if (!metadata.TryGetValue(key, out var text))
            {
                return fallback;
            }

            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max)
            {
                return value;
            }

            errors.Add($"Route '{route.RouteId}' has {key} '{text}': it must be a whole number from 1 to {max}.");
            return fallback;
        }

        string[] List(string key, string[] fallback)
        {
            if (!metadata.TryGetValue(key, out var text))
            {
                return fallback;
            }

            var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (items.Length == 0 || items.Any(i => !i.Split('.').All(IsParameterName) || i.Count(c => c == '.') > 1))
            {
                errors.Add($"Route '{route.RouteId}' has {key} '{text}': give a comma-separated list of names or field.argument pairs.");
                return fallback;
            }

            return items;
        }

        var maxBytes = Number(MaxBytesKey, defaultBytes, 256 * 1024 * 1024);
        var entityNames = List(EntityFieldsKey, BodyScope.BodyLimits.DefaultEntityNames);
        var projectNames = List(ProjectFieldsKey, BodyScope.BodyLimits.DefaultProjectNames);
        if (kind != ScopeKind.GraphQl && (metadata.ContainsKey(EntityFieldsKey) || metadata.ContainsKey(ProjectFieldsKey) || metadata.ContainsKey(MaxOperationsKey) || metadata.ContainsKey(MaxFieldsKey) || metadata.ContainsKey(RulesKey) || metadata.ContainsKey(AllowGetKey)))
        {
            errors.Add($"Route '{route.RouteId}' has Gateway.GraphQL.* settings but is not a graphql scope.");
        }

        var projectIdField = metadata.GetValueOrDefault(ProjectIdKey, "project_id");
        if (!IsParameterName(projectIdField))
        {
            errors.Add($"Route '{route.RouteId}' has {ProjectIdKey} '{projectIdField}': letters, digits, '-' and '_' only.");
        }

        var allowGet = metadata.GetValueOrDefault(AllowGetKey, "false") switch
        {
            "true" => true,
            "false" => false,
            var other => AddError($"Route '{route.RouteId}' has {AllowGetKey} '{other}': use true or false."),
        };

        bool AddError(string message)
        {
            errors.Add(message);
            return false;
        }

        return new BodyScope.BodyLimits
        {
            AllowGet = allowGet,
            MaxBytes = maxBytes,
            MaxDecompressedBytes = Number(MaxDecompressedBytesKey, maxBytes, 1024 * 1024 * 1024),
            MaxOperations = Number(MaxOperationsKey, 20, 1000),
            MaxFields = Number(MaxFieldsKey, 2000, 100_000),
            MaxDepth = Number(MaxDepthKey, 32, 256),
            EntityNames = System.Collections.Frozen.FrozenSet.ToFrozenSet(entityNames, StringComparer.Ordinal),
            ProjectNames = System.Collections.Frozen.FrozenSet.ToFrozenSet(projectNames, StringComparer.Ordinal),
            ProjectIdField = projectIdField,
            // Default deny: a GraphQL route always has a rule table, the shipped W&B one unless it names others.
            Rules = kind == ScopeKind.GraphQl
                ? GraphQL.GraphQlRuleTable.Load(route.RouteId, metadata.GetValueOrDefault(RulesKey, GraphQL.GraphQlRuleTable.DefaultSources), System.IO.Directory.GetCurrentDirectory(), errors)
                : null,
        };
    }

    private static bool IsParameterName(string name)
        => name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
