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
internal sealed class GraphQlRuleTable
{
    public const string BuiltinWandb = "builtin:wandb";
    public const string DefaultSources = BuiltinWandb;

    private static readonly string[] ValidKinds = ["scoped", "byId", "viewer", "none", "listing", "organization", "refused"];

    public required FrozenDictionary<string, GraphQlRule> Query { get; init; }

    public required FrozenDictionary<string, GraphQlRule> Mutation { get; init; }

    /// <summary>The schema every document is validated and walked against (the shipped SDL and the operator's).</summary>
    public Schema.ScopeSchema? Schema { get; init; }

    /// <summary>Scope annotations per type and <c>Type.field</c>, checked against <see cref="Schema"/>.</summary>
    public Schema.TypeAnnotations? Annotations { get; init; }

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

        return new GraphQlRuleTable
        {
            Query = query.ToFrozenDictionary(StringComparer.Ordinal),
            Mutation = mutation.ToFrozenDictionary(StringComparer.Ordinal),
            Schema = schema,
            Annotations = annotations,
            IdTypes = idTypes.ToFrozenDictionary(StringComparer.Ordinal),
            Sources = sources,
        };
    }

    // Every root field of the schema has a rule (default deny needs no gap), and every rule names a root field of the schema.
    private static void CheckRootRules(string routeId, GraphQL.Schema.ScopeSchema schema, string rootType, Dictionary<string, GraphQlRule> rules, List<string> errors)
    {
        var fields = schema.Fields.GetValueOrDefault(rootType);
        foreach (var name in (fields?.Keys ?? []).Where(f => !rules.ContainsKey(f)).Order(StringComparer.Ordinal))
        {
            errors.Add($"Route '{routeId}': the GraphQL schema has the root field '{rootType}.{name}' but no rule says what it does: add it under '{rootType.ToLowerInvariant()}'.");
        }

        foreach (var name in rules.Keys.Where(f => !f.StartsWith("__", StringComparison.Ordinal) && fields?.ContainsKey(f) != true).Order(StringComparer.Ordinal))
        {
            errors.Add($"Route '{routeId}': the GraphQL rule '{rootType.ToLowerInvariant()}.{name}' names no root field of the schema.");
        }

        // Every id a root field takes (arguments and input fields, at any depth) is resolved, refused or
        // ignored with a reason: an id nobody resolves could name another project's object.
        var root = rootType == "Query" ? schema.GraphSchema.Query : schema.GraphSchema.Mutation;
        foreach (var (name, rule) in rules.Where(r => r.Value.Kind != GraphQlRuleKind.Refused && !r.Key.StartsWith("__", StringComparison.Ordinal)).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (root?.GetField(name) is not { } field)
            {
                continue;
            }

            foreach (var path in IdPaths(field))
            {
                var covered = rule.Ids.Any(i => string.Join('.', i.Path) == path) || rule.IgnoredIds.ContainsKey(path) || rule.RefusedArguments.Contains(path);
                if (!covered)
                {
                    errors.Add($"Route '{routeId}': the GraphQL rule '{rootType.ToLowerInvariant()}.{name}' does not say what to do with the id at '{path}': list it under 'ids' (resolved), 'ignoredIds' (with why) or 'refusedArguments'.");
                }
            }
        }
    }

    // Dotted paths of every ID-typed argument and input field (lists walked, recursive inputs once).
    private static List<string> IdPaths(global::GraphQL.Types.FieldType field)
    {
        var paths = new List<string>();
        void Walk(global::GraphQL.Types.IGraphType type, string path, HashSet<string> seen)
        {
            var named = global::GraphQL.GraphQLExtensions.GetNamedType(type);
            if (named.Name == "ID")
            {
                paths.Add(path);
            }
            else if (named is global::GraphQL.Types.IInputObjectGraphType input && seen.Add(input.Name))
            {
                foreach (var inner in input.Fields)
                {
                    Walk(inner.ResolvedType!, path + "." + inner.Name, seen);
                }

                seen.Remove(input.Name);
            }
        }

        foreach (var argument in field.Arguments ?? [])
        {
            Walk(argument.ResolvedType!, argument.Name, new HashSet<string>(StringComparer.Ordinal));
        }

        return paths;
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

    private static IdTypeLookup? ParseLookup(JsonProperty type, Func<string, string> where, List<string> errors)
    {
        var before = errors.Count;
        string? document = null;
        string[]? entity = null;
        string[]? project = null;
        var learned = false;
        foreach (var p in type.Value.EnumerateObject())
        {
            switch (p.Name)
            {
                case "document": document = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null; break;
                case "entity": entity = PathOf(p.Value); break;
                case "project": project = PathOf(p.Value); break;
                case "learned": learned = p.Value.ValueKind == JsonValueKind.True; break;
                default: errors.Add(where($"'idTypes.{type.Name}' has unknown property '{p.Name}'. Expected: document, entity, project, learned.")); break;
            }
        }

        if (!IsName(type.Name))
        {
            errors.Add(where($"'idTypes.{type.Name}' is not a type name."));
        }

        if (learned)
        {
            // Known only from answers to authorized creates: no lookup document.
            if (document is not null || entity is not null || project is not null)
            {
                errors.Add(where($"'idTypes.{type.Name}' is learned: it takes no document, entity or project."));
            }

            return errors.Count == before ? new IdTypeLookup(type.Name, null, [], [], Learned: true) : null;
        }

        if (string.IsNullOrWhiteSpace(document) || !document.Contains("$id", StringComparison.Ordinal))
        {
            errors.Add(where($"'idTypes.{type.Name}.document' must be a GraphQL query taking $id (or the type is \"learned\": true)."));
        }
        else
        {
            try
            {
                GraphQLParser.Parser.Parse(document);
            }
            catch (Exception ex) when (ex is GraphQLParser.Exceptions.GraphQLParserException or IndexOutOfRangeException or ArgumentException)
            {
                errors.Add(where($"'idTypes.{type.Name}.document' is not a valid GraphQL document."));
            }
        }

        if (entity is null || project is null)
        {
            errors.Add(where($"'idTypes.{type.Name}' needs 'entity' and 'project': dotted paths into the lookup's data."));
        }

        return errors.Count == before ? new IdTypeLookup(type.Name, document!, entity!, project!) : null;
    }

    private static GraphQlRule? ParseRule(string name, JsonElement value, Func<string, string> where, List<string> errors)
    {
        var before = errors.Count;
        GraphQlRuleKind? kind = null;
        string[]? entityArgument = null;
        string[] projectFields = [];
        var ids = new List<IdArgument>();
        var learns = new List<LearnedIdPath>();
        var ignoredIds = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] refusedArguments = [];
        AccessAction? action = null;
        string[] items = [];
        var nameField = "name";
        var argument = "name";
        string? why = null;
        foreach (var p in value.EnumerateObject())
        {
            switch (p.Name)
            {
                case "kind":
                    var text = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                    kind = text switch
                    {
                        "scoped" => GraphQlRuleKind.Scoped, "byId" => GraphQlRuleKind.ById, "viewer" => GraphQlRuleKind.Viewer,
                        "none" => GraphQlRuleKind.None, "listing" => GraphQlRuleKind.Listing, "organization" => GraphQlRuleKind.Organization,
                        "refused" => GraphQlRuleKind.Refused, _ => null,
                    };
                    if (kind is null)
                    {
                        errors.Add(where($"'{name}.kind' is '{text}'. Expected one of: {string.Join(", ", ValidKinds)}."));
                    }

                    break;
                case "entityArgument":
                    entityArgument = PathOf(p.Value);
                    if (entityArgument is null) { Invalid(p.Name); }
                    break;
                case "projectFields":
                    projectFields = p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && IsName(e.GetString()!))
                        ? p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray()
                        : Invalid(p.Name);
                    break;
                case "ids":
                    if (p.Value.ValueKind != JsonValueKind.Array)
                    {
                        Invalid(p.Name);
                        break;
                    }

                    foreach (var id in p.Value.EnumerateArray())
                    {
                        var path = id.ValueKind == JsonValueKind.Object && id.TryGetProperty("argument", out var a) ? PathOf(a) : null;
                        var type = id.ValueKind == JsonValueKind.Object && id.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                        AccessAction? idAction = null;
                        if (id.ValueKind == JsonValueKind.Object && id.TryGetProperty("action", out var act))
                        {
                            if (Wire.TryParse<AccessAction>(act.ValueKind == JsonValueKind.String ? act.GetString() : null, out var parsed)) { idAction = parsed; } else { Invalid("ids.action"); }
                        }

                        if (path is null || type is null)
                        {
                            errors.Add(where($"'{name}.ids' entries need 'argument' (a dotted path) and 'type'."));
                            continue;
                        }

                        ids.Add(new IdArgument(path, type, idAction));
                    }

                    break;
                case "learns":
                    foreach (var learn in p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray() : Invalid(p.Name).Select(_ => default(JsonElement)))
                    {
                        var path = learn.ValueKind == JsonValueKind.Object && learn.TryGetProperty("path", out var lp) ? PathOf(lp) : null;
                        var type = learn.ValueKind == JsonValueKind.Object && learn.TryGetProperty("type", out var lt) && lt.ValueKind == JsonValueKind.String ? lt.GetString() : null;
                        if (path is null || type is null)
                        {
                            errors.Add(where($"'{name}.learns' entries need 'path' (dotted, from the field's value to the new id) and 'type'."));
                            continue;
                        }

                        learns.Add(new LearnedIdPath(path, type));
                    }

                    break;
                case "ignoredIds":
                    if (p.Value.ValueKind != JsonValueKind.Object || p.Value.EnumerateObject().Any(i => i.Value.ValueKind != JsonValueKind.String || !i.Name.Split('.').All(IsName)))
                    {
                        Invalid(p.Name);
                        break;
                    }

                    foreach (var ignored in p.Value.EnumerateObject())
                    {
                        ignoredIds[ignored.Name] = ignored.Value.GetString()!;
                    }

                    break;
                case "refusedArguments":
                    refusedArguments = p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && IsName(e.GetString()!))
                        ? p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray()
                        : Invalid(p.Name);
                    break;
                case "action":
                    if (Wire.TryParse<AccessAction>(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null, out var a2)) { action = a2; } else { Invalid(p.Name); }
                    break;
                case "items":
                    items = PathOf(p.Value) ?? Invalid(p.Name);
                    break;
                case "nameField":
                    if (p.Value.ValueKind == JsonValueKind.String && IsName(p.Value.GetString()!)) { nameField = p.Value.GetString()!; } else { Invalid(p.Name); }
                    break;
                case "argument":
                    if (p.Value.ValueKind == JsonValueKind.String && IsName(p.Value.GetString()!)) { argument = p.Value.GetString()!; } else { Invalid(p.Name); }
                    break;
                case "why":
                    why = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                    break;
                default:
                    errors.Add(where($"'{name}' has unknown property '{p.Name}'. Expected: kind, entityArgument, projectFields, ids, ignoredIds, refusedArguments, learns, action, items, nameField, argument, why."));
                    break;
            }
        }

        if (kind is null && errors.Count == before)
        {
            errors.Add(where($"'{name}' has no 'kind'. Expected one of: {string.Join(", ", ValidKinds)}."));
        }

        if (learns.Count > 0 && kind is not (GraphQlRuleKind.Scoped or GraphQlRuleKind.ById))
        {
            errors.Add(where($"'{name}' learns ids but is not scoped or byId: an id is bound to the project its request was authorized on."));
        }

        if (kind == GraphQlRuleKind.ById && ids.Count == 0)
        {
            errors.Add(where($"'{name}' is byId but lists no 'ids'."));
        }

        if (kind == GraphQlRuleKind.Listing && (items.Length == 0 || entityArgument is null))
        {
            errors.Add(where($"'{name}' is a listing: give 'entityArgument' and 'items' (the path to the listed nodes)."));
        }

        return errors.Count == before
            ? new GraphQlRule
            {
                Kind = kind!.Value, EntityArgument = entityArgument, ProjectFields = projectFields.ToFrozenSet(StringComparer.Ordinal),
                Ids = [.. ids], Learns = [.. learns], Action = action,
                IgnoredIds = ignoredIds.ToFrozenDictionary(StringComparer.Ordinal), RefusedArguments = refusedArguments, Items = items, NameField = nameField, Argument = argument, Why = why,
            }
            : null;

        string[] Invalid(string property)
        {
            errors.Add(where($"'{name}.{property}' has an invalid value."));
            return [];
        }

    }

    private static string[]? PathOf(JsonElement value)
        => value.ValueKind == JsonValueKind.String && value.GetString()!.Split('.') is { Length: > 0 } parts && parts.All(IsName) ? parts : null;

    private static bool IsName(string text)
        => text.Length is > 0 and <= 128 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
