using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.GraphQL;

/// <summary>One rule and one id type from a rules source's JSON, every error reported.</summary>
internal sealed partial class GraphQlRuleTable
{
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
                    if (p.Value.ValueKind != JsonValueKind.Array)
                    {
                        Invalid(p.Name);
                        break;
                    }

                    foreach (var learn in p.Value.EnumerateArray())
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
