using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;

namespace Gateway.BodyScope;

/// <summary>
/// Finds every (entity, project) a GraphQL request touches. The envelope is one operation or a batch;
/// each document is parsed with a real GraphQL parser and walked completely — every field and alias,
/// fragment spread and inline fragment — collecting the configured argument and input-field names,
/// written literally, through variables (with their defaults) or inside nested input objects. An
/// entity pairs with the projects named beside it or inside the input objects below it; a project
/// with no entity anywhere above it belongs to the default entity.
/// </summary>
internal static class GraphQlScopeExtractor
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, BodyLimits limits)
    {
        Utf8Body.Check(body.Span);
        using var json = ParseJson(body);
        var references = new List<ScopeReference>();
        var root = json.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            if (root.GetArrayLength() is 0 || root.GetArrayLength() > limits.MaxOperations)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooManyOperations, $"A batch holds 1 to {limits.MaxOperations} operations.");
            }

            foreach (var envelope in root.EnumerateArray())
            {
                ExtractEnvelope(envelope, limits, references);
            }
        }
        else
        {
            ExtractEnvelope(root, limits, references);
        }

        return references;
    }

    internal static JsonDocument ParseJson(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex) when (ex.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase))
        {
            throw new BodyScopeException(400, BodyScopeCodes.DuplicateProperty, "The body has a duplicate JSON property.");
        }
        catch (JsonException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The body is not valid JSON.");
        }
    }

    private static void ExtractEnvelope(JsonElement envelope, BodyLimits limits, List<ScopeReference> references)
    {
        if (envelope.ValueKind != JsonValueKind.Object
            || !envelope.TryGetProperty("query", out var queryElement) || queryElement.ValueKind != JsonValueKind.String)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "Each operation needs a \"query\" string.");
        }

        JsonElement? variables = null;
        if (envelope.TryGetProperty("variables", out var vars))
        {
            if (vars.ValueKind == JsonValueKind.Object)
            {
                variables = vars;
            }
            else if (vars.ValueKind != JsonValueKind.Null)
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "\"variables\" must be an object.");
            }
        }

        GraphQLDocument document;
        try
        {
            // The parser counts every AST level (argument, value, object field...): give it room as a
            // recursion guard; the walker enforces the documented, logical depth.
            document = Parser.Parse(queryElement.GetString()!, new ParserOptions { Ignore = IgnoreOptions.All, MaxDepth = limits.MaxDepth * 4 + 16 });
        }
        catch (GraphQLMaxDepthExceededException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.TooDeep, $"The document nests deeper than {limits.MaxDepth}.");
        }
        catch (Exception ex) when (ex is GraphQLParserException or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            // Found by fuzzing (fuzz/crashes/graphql): GraphQL-Parser 9.5.1 throws IndexOutOfRange on
            // some carriage returns inside a document. A document it cannot parse is refused, never forwarded.
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "The query is not a valid GraphQL document.");
        }

        var walker = new Walker(limits, variables, references, document);
        walker.WalkDocument();
    }

    private sealed class Walker(BodyLimits limits, JsonElement? variables, List<ScopeReference> references, GraphQLDocument document)
    {
        private static readonly List<string?> DefaultEntityOnly = [null];
        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _entityNames = limits.EntityNames.GetAlternateLookup<ReadOnlySpan<char>>();
        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _projectNames = limits.ProjectNames.GetAlternateLookup<ReadOnlySpan<char>>();
        private readonly Dictionary<string, GraphQLFragmentDefinition> _fragments = new(StringComparer.Ordinal);
        private readonly HashSet<string> _spreadPath = new(StringComparer.Ordinal);
        private GraphQLOperationDefinition? _operation;
        private AccessAction _action;
        private int _fields;

        public void WalkDocument()
        {
            foreach (var definition in document.Definitions)
            {
                if (definition is GraphQLFragmentDefinition fragment)
                {
                    _fragments[fragment.FragmentName.Name.StringValue] = fragment;
                }
            }

            // Every operation in the document is walked, not only the one operationName selects:
            // over-approximating is safe, missing one is not.
            foreach (var definition in document.Definitions)
            {
                if (definition is GraphQLOperationDefinition operation)
                {
                    _operation = operation;
                    _action = operation.Operation == OperationType.Query ? AccessAction.Read : AccessAction.Write;
                    WalkSelections(operation.SelectionSet, 1);
                }
            }
        }

        private void WalkSelections(GraphQLSelectionSet? set, int depth)
        {
            if (set is null)
            {
                return;
            }

            CheckDepth(depth);
            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        Count();
                        if (field.Arguments is { Count: > 0 } arguments)
                        {
                            var members = new List<(ROM Name, Value Value)>(arguments.Count);
                            foreach (var argument in arguments.Items)
                            {
                                members.Add((argument.Name.Value, Value.Of(argument.Value)));
                            }

                            Container(members, field.Name.Value, DefaultEntityOnly, depth);
                        }

                        WalkSelections(field.SelectionSet, depth + 1);
                        break;
                    case GraphQLFragmentSpread spread:
                        Count();
                        var name = spread.FragmentName.Name.StringValue;
                        if (!_fragments.TryGetValue(name, out var fragment))
                        {
                            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"Unknown fragment '{name}'.");
                        }

                        if (!_spreadPath.Add(name))
                        {
                            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"Fragment '{name}' spreads itself.");
                        }

                        WalkSelections(fragment.SelectionSet, depth + 1);
                        _spreadPath.Remove(name);
                        break;
                    case GraphQLInlineFragment inline:
                        WalkSelections(inline.SelectionSet, depth + 1);
                        break;
                }
            }
        }

        // One argument list or input object. Returns how many references it (and what is below it) produced.
        private int Container(List<(ROM Name, Value Value)> members, ROM fieldName, List<string?> inherited, int depth)
        {
            CheckDepth(depth);
            List<string?>? entities = null;
            List<string>? projects = null;
            var produced = 0;
            foreach (var (name, value) in members)
            {
                if (_entityNames.Contains(name.Span))
                {
                    entities ??= [];
                    AddStrings(value, name, depth, entities, entity: true);
                }
                else if (IsProjectName(name.Span, fieldName.Span))
                {
                    var found = new List<string?>(1);
                    AddStrings(value, name, depth, found, entity: false);
                    foreach (var text in found)
                    {
                        if (text is not null)
                        {
                            (projects ??= []).Add(text);
                        }
                    }
                }
            }

            var effective = entities is { Count: > 0 } ? entities : inherited;
            if (projects is not null)
            {
                foreach (var project in projects)
                {
                    foreach (var entity in effective)
                    {
                        references.Add(new ScopeReference(entity, project, _action));
                        produced++;
                    }
                }
            }

            foreach (var (name, value) in members)
            {
                if (value.Kind is ValueKind.Object or ValueKind.List or ValueKind.Variable
                    && !_entityNames.Contains(name.Span) && !IsProjectName(name.Span, fieldName.Span))
                {
                    produced += Nested(value, effective, depth + 1);
                }
            }

            if (produced == 0 && entities is { Count: > 0 })
            {
                // An entity with no project anywhere below it: an entity-level reference.
                foreach (var entity in entities)
                {
                    references.Add(new ScopeReference(entity, null, _action));
                    produced++;
                }
            }

            return produced;
        }

        private bool IsProjectName(ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
        {
            if (_projectNames.Contains(name))
            {
                return true;
            }

            if (fieldName.IsEmpty || fieldName.Length + name.Length + 1 > 128)
            {
                return false;
            }

            Span<char> qualified = stackalloc char[fieldName.Length + name.Length + 1];
            fieldName.CopyTo(qualified);
            qualified[fieldName.Length] = '.';
            name.CopyTo(qualified[(fieldName.Length + 1)..]);
            return _projectNames.Contains(qualified);
        }

        private int Nested(Value value, List<string?> inherited, int depth)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.Object:
                    return Container(resolved.Members(), ROM.Empty, inherited, depth);
                case ValueKind.List:
                    var produced = 0;
                    foreach (var item in resolved.Items())
                    {
                        produced += Nested(item, inherited, depth + 1);
                    }

                    return produced;
                default:
                    return 0;
            }
        }

        private void AddStrings(Value value, ROM name, int depth, List<string?> into, bool entity)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.String:
                    into.Add(Checked(resolved.Text, name, entity));
                    break;
                case ValueKind.Null:
                    into.Add(null);
                    break;
                case ValueKind.List:
                    foreach (var item in resolved.Items())
                    {
                        AddStrings(item, name, depth + 1, into, entity);
                    }

                    break;
                default:
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{name}' must be a string.");
            }
        }

        // Variables resolve to their JSON value, else the operation's default, else null.
        private Value Resolve(Value value)
        {
            if (value.Kind != ValueKind.Variable)
            {
                return value;
            }

            var name = value.VariableName;
            if (variables is { } vars && vars.TryGetProperty(name.Span, out var supplied))
            {
                return Value.Of(supplied);
            }

            if (_operation?.Variables is { } definitions)
            {
                foreach (var definition in definitions.Items)
                {
                    if (definition.Variable.Name.Value.Span.SequenceEqual(name.Span))
                    {
                        return definition.DefaultValue is { } fallback ? Value.Of(fallback) : Value.Null;
                    }
                }
            }

            return Value.Null;
        }

        private static string Checked(ReadOnlySpan<char> text, ROM name, bool entity)
        {
            if (entity ? !Names.IsValidEntity(text) : !Names.IsValidProject(text))
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{name}' is not a valid {(entity ? "entity" : "project")} name.");
            }

            return text.ToString();
        }

        private void Count()
        {
            if (++_fields > limits.MaxFields)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooManyFields, $"The document has more than {limits.MaxFields} fields, aliases and fragment spreads.");
            }
        }

        private void CheckDepth(int depth)
        {
            if (depth > limits.MaxDepth)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooDeep, $"The document nests deeper than {limits.MaxDepth}.");
            }
        }
    }

    private enum ValueKind
    {
        Null,
        String,
        Object,
        List,
        Variable,
        Other,
    }

    /// <summary>
    /// A GraphQL literal, a variable reference, or a JSON value from "variables": walked the same way.
    /// Text is materialized only for the values that name an entity or project.
    /// </summary>
    private readonly struct Value
    {
        private readonly GraphQLValue? _ast;
        private readonly JsonElement _json;
        private readonly bool _isJson;

        private Value(ValueKind kind, GraphQLValue? ast, JsonElement json, bool isJson)
        {
            Kind = kind;
            _ast = ast;
            _json = json;
            _isJson = isJson;
        }

        public static readonly Value Null = new(ValueKind.Null, null, default, false);

        public ValueKind Kind { get; }

        public ReadOnlySpan<char> Text => _isJson ? _json.GetString().AsSpan() : ((GraphQLStringValue)_ast!).Value.Span;

        public ROM VariableName => ((GraphQLVariable)_ast!).Name.Value;

        public static Value Of(GraphQLValue value) => value switch
        {
            GraphQLStringValue => new Value(ValueKind.String, value, default, false),
            GraphQLNullValue => Null,
            GraphQLVariable => new Value(ValueKind.Variable, value, default, false),
            GraphQLObjectValue => new Value(ValueKind.Object, value, default, false),
            GraphQLListValue => new Value(ValueKind.List, value, default, false),
            _ => new Value(ValueKind.Other, value, default, false),
        };

        public static Value Of(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => new Value(ValueKind.String, null, value, true),
            JsonValueKind.Null or JsonValueKind.Undefined => Null,
            JsonValueKind.Object => new Value(ValueKind.Object, null, value, true),
            JsonValueKind.Array => new Value(ValueKind.List, null, value, true),
            _ => new Value(ValueKind.Other, null, value, true),
        };

        public List<(ROM Name, Value Value)> Members()
        {
            var members = new List<(ROM, Value)>();
            if (_isJson)
            {
                foreach (var property in _json.EnumerateObject())
                {
                    members.Add((property.Name.AsMemory(), Of(property.Value)));
                }
            }
            else if (((GraphQLObjectValue)_ast!).Fields is { } fields)
            {
                foreach (var field in fields)
                {
                    members.Add((field.Name.Value, Of(field.Value)));
                }
            }

            return members;
        }

        public IEnumerable<Value> Items()
        {
            if (_isJson)
            {
                foreach (var item in _json.EnumerateArray())
                {
                    yield return Of(item);
                }
            }
            else if (((GraphQLListValue)_ast!).Values is { } values)
            {
                foreach (var item in values)
                {
                    yield return Of(item);
                }
            }
        }
    }
}
