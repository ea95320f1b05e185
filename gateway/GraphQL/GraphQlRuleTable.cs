using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.GraphQL;

/// <summary>
/// The rules of a GraphQL route, default deny: every root field (per operation type) and every nested
/// field that reaches beyond the named project has a rule; a root field without one is refused.
/// Loaded from the shipped W&amp;B table (<c>builtin:wandb</c>) and operator files, later sources
/// overriding earlier ones field by field; every error of every source is reported at once.
/// </summary>
internal sealed partial class GraphQlRuleTable
{
    public const string BuiltinWandb = "builtin:wandb";
    public const string DefaultSources = BuiltinWandb;

    private static readonly string[] ValidKinds = ["scoped", "byId", "viewer", "none", "listing", "organization", "refused"];

    public required FrozenDictionary<string, GraphQlRule> Query { get; init; }

    public required FrozenDictionary<string, GraphQlRule> Mutation { get; init; }

    /// <summary>The schema every document is validated and walked against (the shipped SDL and the operator's).</summary>
    public required Schema.ScopeSchema Schema { get; init; }

    /// <summary>Scope annotations per type and <c>Type.field</c>, checked against <see cref="Schema"/>.</summary>
    public required Schema.TypeAnnotations Annotations { get; init; }

    public required FrozenDictionary<string, IdTypeLookup> IdTypes { get; init; }

    public required string Sources { get; init; }

    /// <summary>Loads and validates; returns null (with every problem in <paramref name="errors"/>) when anything is wrong.</summary>
    public static GraphQlRuleTable? Load(string routeId, string sources, string baseDirectory, List<string> errors)
    {
        var before = errors.Count;
        var query = new Dictionary<string, GraphQlRule>(StringComparer.Ordinal);
        var mutation = new Dictionary<string, GraphQlRule>(StringComparer.Ordinal);
        var types = new Dictionary<string, Schema.TypeScopeKind>(StringComparer.Ordinal);
        var fields = new Dictionary<string, Schema.FieldAnnotation>(StringComparer.Ordinal);
        var sdl = new List<(string Source, string Text)>();
        var idTypes = new Dictionary<string, IdTypeLookup>(StringComparer.Ordinal);
        var items = sources.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
        {
            errors.Add($"Route '{routeId}' has an empty GraphQL rule list. Use '{BuiltinWandb}' and/or rule files.");
            return null;
        }

        foreach (var source in items)
        {
            if (source == BuiltinWandb)
            {
                sdl.Add((source, ReadResource("Gateway.GraphQL.wandb.schema.graphql")));
            }

            var text = Read(routeId, source, baseDirectory, errors);
            if (text is null)
            {
                continue;
            }

            if (source.EndsWith(".graphql", StringComparison.OrdinalIgnoreCase) || source.EndsWith(".graphqls", StringComparison.OrdinalIgnoreCase))
            {
                sdl.Add((source, text));
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowDuplicateProperties = false, CommentHandling = JsonCommentHandling.Skip });
                Merge(routeId, source, document.RootElement, query, mutation, types, fields, idTypes, errors);
            }
            catch (JsonException ex)
            {
                errors.Add($"Route '{routeId}': GraphQL rules '{source}' are not valid JSON ({ex.Message}).");
            }
        }

        foreach (var (field, rule) in query.Concat(mutation))
        {
            foreach (var learn in rule.Learns.Where(l => !idTypes.TryGetValue(l.Type, out var t) || !t.Learned))
            {
                errors.Add($"Route '{routeId}': GraphQL rule '{field}' learns ids of type '{learn.Type}', which no rule source defines under idTypes with \"learned\": true.");
            }

            foreach (var id in rule.Ids.Where(i => !idTypes.ContainsKey(i.Type)))
            {
                errors.Add($"Route '{routeId}': GraphQL rule '{field}' resolves ids of type '{id.Type}', which no rule source defines under idTypes.");
            }
        }

        // The schema is loaded and the annotations checked even after other errors: every problem is listed at once.
        if (sdl.Count == 0)
        {
            errors.Add($"Route '{routeId}': the GraphQL rule sources hold no schema. List '{BuiltinWandb}' or an SDL file (.graphql): every field is checked against a schema.");
            return null;
        }

        var schema = GraphQL.Schema.ScopeSchema.Load(routeId, sdl, errors);
        var annotations = schema is null ? null : GraphQL.Schema.TypeAnnotations.Build(routeId, schema, types, fields, errors);
        if (schema is not null)
        {
            CheckRootRules(routeId, schema, "Query", query, errors);
            CheckRootRules(routeId, schema, "Mutation", mutation, errors);
        }

        if (errors.Count > before)
        {
            return null;
        }

        // __typename is valid at the root of every operation type and names nothing (the type walk lets it
        // through everywhere): each table answers it, so a mutation selecting it is decided, not a crash.
        query.TryAdd("__typename", new GraphQlRule { Kind = GraphQlRuleKind.None });
        mutation.TryAdd("__typename", new GraphQlRule { Kind = GraphQlRuleKind.None });
        return new GraphQlRuleTable
        {
            Query = query.ToFrozenDictionary(StringComparer.Ordinal),
            Mutation = mutation.ToFrozenDictionary(StringComparer.Ordinal),
            Schema = schema!,
            Annotations = annotations!,
            IdTypes = idTypes.ToFrozenDictionary(StringComparer.Ordinal),
            Sources = sources,
        };
    }

    private static string ReadResource(string name)
    {
        using var stream = typeof(GraphQlRuleTable).Assembly.GetManifestResourceStream(name);
        using var reader = new StreamReader(stream!);
        return reader.ReadToEnd();
    }

    private static string? Read(string routeId, string source, string baseDirectory, List<string> errors)
    {
        if (source.StartsWith("builtin:", StringComparison.Ordinal))
        {
            if (source != BuiltinWandb)
            {
                errors.Add($"Route '{routeId}': unknown built-in GraphQL rules '{source}'. Expected: {BuiltinWandb}.");
                return null;
            }

            return ReadResource("Gateway.GraphQL.wandb.graphql-rules.json");
        }

        var path = Path.IsPathRooted(source) ? source : Path.Combine(baseDirectory, source);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"Route '{routeId}': cannot read GraphQL rules '{path}' ({ex.GetType().Name}).");
            return null;
        }
    }

    private static void Merge(string routeId, string source, JsonElement root, Dictionary<string, GraphQlRule> query, Dictionary<string, GraphQlRule> mutation,
        Dictionary<string, GraphQL.Schema.TypeScopeKind> types, Dictionary<string, GraphQL.Schema.FieldAnnotation> fields, Dictionary<string, IdTypeLookup> idTypes, List<string> errors)
    {
        string Where(string what) => $"Route '{routeId}': GraphQL rules '{source}', {what}";
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(Where("the root must be an object."));
            return;
        }

        foreach (var section in root.EnumerateObject())
        {
            switch (section.Name)
            {
                case "description":
                    break;
                case "idTypes":
                    foreach (var type in Objects(section, Where, errors))
                    {
                        var lookup = ParseLookup(type, Where, errors);
                        if (lookup is not null)
                        {
                            idTypes[type.Name] = lookup;
                        }
                    }

                    break;
                case "query" or "mutation":
                    var into = section.Name == "query" ? query : mutation;
                    foreach (var field in Objects(section, Where, errors))
                    {
                        if (!IsName(field.Name))
                        {
                            errors.Add(Where($"'{section.Name}.{field.Name}' is not a field name."));
                            continue;
                        }

                        var rule = ParseRule($"{section.Name}.{field.Name}", field.Value, Where, errors);
                        if (rule is not null)
                        {
                            into[field.Name] = rule;
                        }
                    }

                    break;
                case "types":
                    GraphQL.Schema.TypeAnnotations.ReadTypes(section.Value, types, Where, errors);
                    break;
                case "fields":
                    GraphQL.Schema.TypeAnnotations.ReadFields(section.Value, fields, Where, errors);
                    break;
                case "nested":
                    errors.Add(Where("'nested' rules (keyed by field names) are replaced by 'fields' annotations keyed Type.field: see README, GraphQL schema and annotations."));
                    break;
                default:
                    errors.Add(Where($"unknown section '{section.Name}'. Expected: description, idTypes, query, mutation, types, fields."));
                    break;
            }
        }
    }

    private static IEnumerable<JsonProperty> Objects(JsonProperty section, Func<string, string> where, List<string> errors)
    {
        if (section.Value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(where($"'{section.Name}' must be an object."));
            return [];
        }

        return section.Value.EnumerateObject().Where(p =>
        {
            if (p.Value.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            errors.Add(where($"'{section.Name}.{p.Name}' must be an object."));
            return false;
        }).ToList();
    }
}
