using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using Gateway.GraphQL;

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
    // Argument lists and input objects, copied for two passes over them: rented, not allocated per field.
    private static readonly System.Buffers.ArrayPool<(ROM Name, Value Value)> Pool = System.Buffers.ArrayPool<(ROM Name, Value Value)>.Shared;
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false, MaxDepth = 64 };

    /// <summary>Every reference of the request, without rules (the argument walk alone).</summary>
    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, BodyLimits limits) => Analyze(body, limits, null, null).References;

    /// <summary>
    /// Walks the request under the route's rule table: each root field's rule decides what is
    /// collected (references, ids, edits for defaulted entities, viewer and listing selections) or
    /// refuses the request. <paramref name="defaultEntity"/> is the entity a null or missing entity
    /// argument is made explicit as.
    /// </summary>
    public static GraphQlAnalysis Analyze(ReadOnlyMemory<byte> body, BodyLimits limits, GraphQlRuleTable? rules, string? defaultEntity)
    {
        Utf8Body.Check(body.Span);
        using var json = ParseJson(body);
        var analysis = new GraphQlAnalysis();
        var root = json.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            if (root.GetArrayLength() is 0 || root.GetArrayLength() > limits.MaxOperations)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooManyOperations, $"A batch holds 1 to {limits.MaxOperations} operations.");
            }

            analysis.IsBatch = true;
            var index = 0;
            foreach (var envelope in root.EnumerateArray())
            {
                ExtractEnvelope(envelope, index++, limits, analysis, rules, defaultEntity);
            }
        }
        else
        {
            ExtractEnvelope(root, 0, limits, analysis, rules, defaultEntity);
        }

        return analysis;
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

    internal static readonly string[] EnvelopeKeys = ["query", "variables", "operationName", "extensions"];

    /// <summary>
    /// The envelope holds known keys only, each once and in exact case. Go servers match keys
    /// case-insensitively with the last one winning (<c>{"query":..., "Query":...}</c> runs the second),
    /// and a key the gateway does not know could mean anything to some server, so both are refused.
    /// Automatic persisted queries are refused too: a server that trusts a cached hash would run a
    /// document other than the one the gateway read.
    /// </summary>
    private static void CheckEnvelopeKeys(JsonElement envelope)
    {
        foreach (var property in envelope.EnumerateObject())
        {
            // Compared in place: the key's name becomes a string only on the way to a refusal.
            if (IsEnvelopeKey(property))
            {
                if (property.NameEquals("extensions") && property.Value.ValueKind == JsonValueKind.Object && property.Value.EnumerateObject().Any(p => p.NameEquals("persistedQuery") || PropertyFolding.IsVariantOf(p.Name, "persistedQuery")))
                {
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "Persisted queries are not accepted: send the document in \"query\".");
                }

                continue;
            }

            var name = property.Name;
            throw EnvelopeKeys.Any(k => PropertyFolding.IsVariantOf(name, k))
                ? new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty, "An envelope key differs from query, variables, operationName or extensions only in case: some servers would read it as that key.")
                : new BodyScopeException(400, BodyScopeCodes.UnknownEnvelopeKey, "The GraphQL request has keys other than query, variables, operationName and extensions.");
        }
    }

    private static bool IsEnvelopeKey(JsonProperty property)
    {
        foreach (var key in EnvelopeKeys)
        {
            if (property.NameEquals(key))
            {
                return true;
            }
        }

        return false;
    }

    private static void ExtractEnvelope(JsonElement envelope, int index, BodyLimits limits, GraphQlAnalysis analysis, GraphQlRuleTable? rules, string? defaultEntity)
    {
        if (envelope.ValueKind == JsonValueKind.Object)
        {
            CheckEnvelopeKeys(envelope);
        }

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

        string? operationName = null;
        if (envelope.TryGetProperty("operationName", out var nameElement))
        {
            if (nameElement.ValueKind == JsonValueKind.String)
            {
                operationName = nameElement.GetString();
            }
            else if (nameElement.ValueKind != JsonValueKind.Null)
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "\"operationName\" must be a string.");
            }
        }

        GraphQLDocument document;
        try
        {
            // The parser counts every AST level (argument, value, object field...): give it room as a
            // recursion guard; the walker enforces the documented, logical depth. Locations are kept
            // under rules: a defaulted entity is made explicit by editing the document's text.
            document = GraphQL.GraphQlDocumentCache.Parse(queryElement, new ParserOptions
            {
                Ignore = rules is null ? IgnoreOptions.All : IgnoreOptions.Comments,
                MaxDepth = limits.MaxDepth * 4 + 16,
            }, rules);
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

        int operations = 0, named = 0, anonymous = 0;
        foreach (var definition in document.Definitions)
        {
            if (definition is GraphQLOperationDefinition operation)
            {
                operations++;
                anonymous += operation.Name is null ? 1 : 0;
                named += operationName is not null && operation.Name?.StringValue == operationName ? 1 : 0;
            }
        }

        analysis.SingleOperation.Add(operations == 1 || (named == 1 && anonymous == 0));
        var walker = new Walker(limits, variables, analysis, document, rules, defaultEntity, index);
        try
        {
            walker.WalkDocument();
        }
        finally
        {
            walker.Release();
        }
    }

    private sealed class Walker(BodyLimits limits, JsonElement? variables, GraphQlAnalysis analysis, GraphQLDocument document,
        GraphQlRuleTable? rules, string? defaultEntity, int envelope)
    {
        private const int MaxIds = 100;
        private static readonly List<string?> DefaultEntityOnly = [null];
        private readonly List<ScopeReference> _references = analysis.References;
        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _entityNames = limits.EntityNames.GetAlternateLookup<ReadOnlySpan<char>>();
        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _projectNames = limits.ProjectNames.GetAlternateLookup<ReadOnlySpan<char>>();
        private readonly Dictionary<string, GraphQLFragmentDefinition> _fragments = new(StringComparer.Ordinal);
        private readonly HashSet<string> _spreadPath = new(StringComparer.Ordinal);
        private GraphQLOperationDefinition? _operation;
        private FrozenSet<string>? _extraProjects;
        private AccessAction _action;
        private int _fields;
        private VariableLookup? _variableLookup;
        private bool _variableLookupBuilt;

        /// <summary>Returns what the walk rented.</summary>
        public void Release() => _variableLookup?.Release();

        private bool TryGetVariable(JsonElement variables, ReadOnlySpan<char> name, out JsonElement value)
        {
            if (!_variableLookupBuilt)
            {
                _variableLookupBuilt = true;
                _variableLookup = VariableLookup.Build(variables);
            }

            return _variableLookup is { } lookup ? lookup.TryGet(name, out value) : variables.TryGetProperty(name, out value);
        }

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
                    analysis.HasMutation |= operation.Operation != OperationType.Query;
                    _action = operation.Operation == OperationType.Query ? AccessAction.Read : AccessAction.Write;
                    if (rules is null)
                    {
                        WalkSelections(operation.SelectionSet, 1, null, DefaultEntityOnly);
                        continue;
                    }

                    if (operation.Operation == OperationType.Subscription)
                    {
                        throw new BodyScopeException(403, GraphQlCodes.FieldRefused, "Subscriptions are not forwarded.");
                    }

                    var table = operation.Operation == OperationType.Query ? rules.Query : rules.Mutation;
                    foreach (var field in RootFields(operation.SelectionSet, 1))
                    {
                        ApplyRule(field, table, operation.Operation == OperationType.Query ? "query" : "mutation");
                    }
                }
            }
        }

        // The root fields of an operation, with fragment spreads and inline fragments at the root expanded.
        private List<GraphQLField> RootFields(GraphQLSelectionSet set, int depth)
        {
            CheckDepth(depth);
            var fields = new List<GraphQLField>();
            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        Count();
                        fields.Add(field);
                        break;
                    case GraphQLFragmentSpread spread:
                        Count();
                        var fragment = Fragment(spread);
                        fields.AddRange(RootFields(fragment.SelectionSet, depth + 1));
                        _spreadPath.Remove(fragment.FragmentName.Name.StringValue);
                        break;
                    case GraphQLInlineFragment inline:
                        fields.AddRange(RootFields(inline.SelectionSet, depth + 1));
                        break;
                }
            }

            return fields;
        }

        private void ApplyRule(GraphQLField field, FrozenDictionary<string, GraphQlRule> table, string type)
        {
            var name = field.Name.StringValue;
            if (!table.TryGetValue(name, out var rule))
            {
                throw new BodyScopeException(403, GraphQlCodes.FieldNotAllowed, $"The gateway has no rule for the {type} field '{name}'; it is not forwarded.");
            }

            var key = field.Alias?.Name.StringValue ?? name;
            if (rule.Kind != GraphQlRuleKind.Viewer && name != "__typename")
            {
                analysis.OnlyLocal = false;
            }

            switch (rule.Kind)
            {
                case GraphQlRuleKind.Refused:
                    throw new BodyScopeException(403, GraphQlCodes.FieldRefused, $"The {type} field '{name}' is not forwarded by this gateway{(rule.Why is null ? "" : ": " + rule.Why)}.");
                case GraphQlRuleKind.None:
                    return;
                case GraphQlRuleKind.Viewer:
                    // Walked first: nested rules apply and fragment cycles are refused before DirectFields expands them.
                    WalkSelections(field.SelectionSet, 2, name, DefaultEntityOnly);
                    analysis.Viewers.Add(new ViewerSelection(envelope, key, field, _fragments, DirectFields(field.SelectionSet)));
                    return;
                case GraphQlRuleKind.Organization:
                    var org = ArgumentValue(field, rule.Argument);
                    analysis.Organizations.Add(org.Kind == ValueKind.String ? org.Text.ToString() : null);
                    WalkSelections(field.SelectionSet, 2, name, DefaultEntityOnly);
                    return;
            }

            var previous = _action;
            _action = rule.Action ?? _action;
            var before = _references.Count;
            _extraProjects = rule.ProjectFields.Count > 0 ? rule.ProjectFields : null;
            WalkField(field, 1, null, DefaultEntityOnly);
            _extraProjects = null;
            var ids = CollectIds(field, rule);
            if (rule.EntityArgument is { } entityPath)
            {
                MakeEntityExplicit(field, entityPath);
            }

            if (_references.Count == before && ids == 0)
            {
                throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound, $"The {type} field '{name}' names no project, entity or id the gateway can authorize.");
            }

            if (rule.Kind == GraphQlRuleKind.ById && ids == 0)
            {
                throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound, $"The {type} field '{name}' names no id.");
            }

            foreach (var learn in rule.Learns)
            {
                analysis.Learnings.Add(new LearningSelection(envelope, key, learn.Path, learn.Type));
            }

            if (rule.Kind == GraphQlRuleKind.Listing)
            {
                var entity = ArgumentAt(field, rule.EntityArgument!);
                CheckFilterable(field, rule);
                analysis.Listings.Add(new ListingSelection(envelope, key, entity, rule));
            }

            _action = previous;
        }

        private void WalkField(GraphQLField field, int depth, string? parent, List<string?> inherited)
        {
            var name = field.Name.StringValue;
            var effective = inherited;
            if (field.Arguments is { Count: > 0 } arguments)
            {
                var members = Pool.Rent(arguments.Count);
                try
                {
                    for (var i = 0; i < arguments.Count; i++)
                    {
                        members[i] = (arguments.Items[i].Name.Value, Value.Of(arguments.Items[i].Value));
                    }

                    Container(members.AsSpan(0, arguments.Count), field.Name.Value, inherited, depth, out effective);
                }
                finally
                {
                    Pool.Return(members, clearArray: true);
                }
            }

            // A field below an entity (entity(name:) { project(name:) }) pairs with that entity.
            WalkSelections(field.SelectionSet, depth + 1, name, effective);
        }

        private void WalkSelections(GraphQLSelectionSet? set, int depth, string? parent, List<string?> inherited)
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
                        WalkField(field, depth, parent, inherited);
                        break;
                    case GraphQLFragmentSpread spread:
                        Count();
                        var fragment = Fragment(spread);
                        WalkSelections(fragment.SelectionSet, depth + 1, parent, inherited);
                        _spreadPath.Remove(fragment.FragmentName.Name.StringValue);
                        break;
                    case GraphQLInlineFragment inline:
                        WalkSelections(inline.SelectionSet, depth + 1, parent, inherited);
                        break;
                }
            }
        }

        private GraphQLFragmentDefinition Fragment(GraphQLFragmentSpread spread)
        {
            var name = spread.FragmentName.Name.StringValue;
            if (!_fragments.TryGetValue(name, out var fragment))
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"Unknown fragment '{name}'.");
            }

            if (!_spreadPath.Add(name))
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"Fragment '{name}' spreads itself.");
            }

            return fragment;
        }

        // A listing is filtered by the node's name at Items: every field on that path must be unaliased,
        // and the name selected unaliased, or the response cannot be read safely.
        private void CheckFilterable(GraphQLField field, GraphQlRule rule)
        {
            var set = field.SelectionSet;
            foreach (var step in rule.Items)
            {
                var next = DirectFields(set).Where(f => f.Name.StringValue == step || f.Alias?.Name.StringValue == step).ToList();
                if (next.Count == 0)
                {
                    return; // nothing listed
                }

                if (next.Any(f => f.Alias is not null && f.Alias.Name.StringValue != f.Name.StringValue) || next.Count > 1)
                {
                    throw new BodyScopeException(403, GraphQlCodes.ListingUnfilterable, $"'{field.Name.StringValue}' lists projects: select '{string.Join(".", rule.Items)}' without aliases.");
                }

                set = next[0].SelectionSet;
            }

            var names = DirectFields(set).Where(f => f.Name.StringValue == rule.NameField || f.Alias?.Name.StringValue == rule.NameField).ToList();
            if (names.Count != 1 || names[0].Alias is not null && names[0].Alias!.Name.StringValue != rule.NameField)
            {
                throw new BodyScopeException(403, GraphQlCodes.ListingUnfilterable, $"'{field.Name.StringValue}' lists projects: select '{rule.NameField}' of each node, unaliased, so the gateway can filter them.");
            }
        }

        private List<GraphQLField> DirectFields(GraphQLSelectionSet? set)
        {
            var fields = new List<GraphQLField>();
            if (set is null)
            {
                return fields;
            }

            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField f: fields.Add(f); break;
                    case GraphQLInlineFragment inline: fields.AddRange(DirectFields(inline.SelectionSet)); break;
                    case GraphQLFragmentSpread spread when _fragments.TryGetValue(spread.FragmentName.Name.StringValue, out var fragment):
                        fields.AddRange(DirectFields(fragment.SelectionSet));
                        break;
                }
            }

            return fields;
        }

        private int CollectIds(GraphQLField field, GraphQlRule rule)
        {
            var found = 0;
            foreach (var id in rule.Ids)
            {
                var argument = Argument(field, id.Path[0]);
                if (argument is null)
                {
                    continue;
                }

                found += Ids(Value.Of(argument.Value), id, 1, 1);
            }

            return found;
        }

        private int Ids(Value value, IdArgument id, int step, int depth)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.List:
                    var count = 0;
                    foreach (var item in resolved.Items())
                    {
                        count += Ids(item, id, step, depth + 1);
                    }

                    return count;
                case ValueKind.Object when step < id.Path.Length:
                    return resolved.TryGetMember(id.Path[step], last: false, out var member) ? Ids(member, id, step + 1, depth + 1) : 0;
                case ValueKind.String when step == id.Path.Length:
                    if (analysis.Ids.Count >= MaxIds)
                    {
                        throw new BodyScopeException(400, GraphQlCodes.TooManyIds, $"A request names at most {MaxIds} ids.");
                    }

                    var text = resolved.Text;
                    if (text.Length is 0 or > 256)
                    {
                        throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{string.Join(".", id.Path)}' is not a valid id.");
                    }

                    analysis.Ids.Add(new IdReference(id.Type, text.ToString(), id.Action ?? _action));
                    return 1;
                case ValueKind.Null:
                    return 0;
                default:
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{string.Join(".", id.Path)}' must be an id string.");
            }
        }

        private Value ArgumentValue(GraphQLField field, string name)
        {
            var argument = Argument(field, name);
            return argument is null ? Value.Null : Resolve(Value.Of(argument.Value));
        }

        // The first argument of that name (as FirstOrDefault did, without a closure per call).
        private static GraphQLArgument? Argument(GraphQLField field, string name)
        {
            if (field.Arguments is { } arguments)
            {
                foreach (var argument in arguments.Items)
                {
                    if (argument.Name.Value.Span.SequenceEqual(name))
                    {
                        return argument;
                    }
                }
            }

            return null;
        }

        // The entity a listing names (null: the default entity).
        private string? ArgumentAt(GraphQLField field, string[] path)
        {
            var value = ArgumentValue(field, path[0]);
            for (var i = 1; i < path.Length && value.Kind == ValueKind.Object; i++)
            {
                value = value.TryGetMember(path[i], last: true, out var member) ? Resolve(member) : Value.Null;
            }

            return value.Kind == ValueKind.String ? value.Text.ToString() : null;
        }

        // A null or missing entity is what the upstream would fill with the shared user's default entity:
        // make the gateway's own default explicit, in the document or in the variables.
        private void MakeEntityExplicit(GraphQLField field, string[] path)
        {
            if (defaultEntity is null)
            {
                return;
            }

            var literal = JsonSerializer.Serialize(defaultEntity);
            var argument = Argument(field, path[0]);
            if (argument is null)
            {
                if (path.Length > 1)
                {
                    return; // the enclosing input is missing: the upstream refuses the request itself
                }

                if (field.Arguments is { Count: > 0 } existing)
                {
                    var at = existing.Items[0].Location.Start;
                    analysis.Edits.Add(new EntityEdit(envelope, at, at, $"{path[0]}: {literal}, ", null, null));
                }
                else
                {
                    var at = field.Name.Location.End;
                    analysis.Edits.Add(new EntityEdit(envelope, at, at, $"({path[0]}: {literal})", null, null));
                }

                return;
            }

            MakeExplicit(argument.Value, path, 1);

            void MakeExplicit(GraphQLValue value, string[] path, int step)
            {
                switch (value)
                {
                    case GraphQLNullValue when step == path.Length:
                        analysis.Edits.Add(new EntityEdit(envelope, value.Location.Start, value.Location.End, literal, null, null));
                        break;
                    case GraphQLVariable variable:
                        var name = variable.Name.StringValue;
                        if (!IsSupplied(name, path.AsSpan(step)))
                        {
                            if (step == path.Length || (variables is { } v && v.TryGetProperty(name, out var supplied) && supplied.ValueKind == JsonValueKind.Object))
                            {
                                analysis.Edits.Add(new EntityEdit(envelope, 0, 0, null, name, path[step..]));
                            }
                            else if ((variables is null || !variables.Value.TryGetProperty(name, out _))
                                && _operation?.Variables?.Items.FirstOrDefault(d => d.Variable.Name.StringValue == name)?.DefaultValue is GraphQLObjectValue fallback)
                            {
                                // Not sent, so the variable's default is what executes
                                // ($input: UpsertBucketInput = {modelName: "p"}): edit the entity into it.
                                MakeExplicit(fallback, path, step);
                            }
                        }

                        break;
                    case GraphQLObjectValue obj when step < path.Length:
                        var member = obj.Fields?.FirstOrDefault(f => f.Name.StringValue == path[step]);
                        if (member is not null)
                        {
                            MakeExplicit(member.Value, path, step + 1);
                        }
                        else if (step == path.Length - 1)
                        {
                            var at = obj.Fields is { Count: > 0 } fields ? fields[0].Location.Start : obj.Location.Start + 1;
                            var text = obj.Fields is { Count: > 0 } ? $"{path[step]}: {literal}, " : $" {path[step]}: {literal} ";
                            analysis.Edits.Add(new EntityEdit(envelope, at, at, text, null, null));
                        }

                        break;
                }
            }
        }

        // True when the variable (at the sub-path) holds a non-null value, or the operation's default does.
        private bool IsSupplied(string variable, ReadOnlySpan<string> subPath)
        {
            if (variables is { } vars && vars.TryGetProperty(variable, out var value))
            {
                foreach (var step in subPath)
                {
                    if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(step, out value))
                    {
                        return false;
                    }
                }

                return value.ValueKind != JsonValueKind.Null;
            }

            if (subPath.Length == 0 && _operation?.Variables is { } definitions)
            {
                return definitions.Items.Any(d => d.Variable.Name.StringValue == variable && d.DefaultValue is not null and not GraphQLNullValue);
            }

            return false;
        }

        // One argument list or input object. Returns how many references it (and what is below it) produced.
        private int Container(ReadOnlySpan<(ROM Name, Value Value)> members, ROM fieldName, List<string?> inherited, int depth, out List<string?> effective)
        {
            CheckDepth(depth);
            List<string?>? entities = null;
            List<string>? projects = null;
            var produced = 0;
            // Each member's role, decided once for both passes below.
            Span<Role> roles = members.Length <= 64 ? stackalloc Role[members.Length] : new Role[members.Length];
            for (var i = 0; i < members.Length; i++)
            {
                var name = members[i].Name.Span;
                roles[i] = IsEntityName(name, fieldName.Span) ? Role.Entity : IsProjectName(name, fieldName.Span) ? Role.Project : Role.Other;
            }

            for (var i = 0; i < members.Length; i++)
            {
                var (name, value) = members[i];
                if (roles[i] == Role.Entity)
                {
                    entities ??= [];
                    AddStrings(value, name, depth, entities, entity: true);
                }
                else if (roles[i] == Role.Project)
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

            effective = entities is { Count: > 0 } ? entities : inherited;
            if (projects is not null)
            {
                foreach (var project in projects)
                {
                    foreach (var entity in effective)
                    {
                        _references.Add(new ScopeReference(entity, project, _action));
                        produced++;
                    }
                }
            }

            for (var i = 0; i < members.Length; i++)
            {
                if (members[i].Value.Kind is ValueKind.Object or ValueKind.List or ValueKind.Variable && roles[i] == Role.Other)
                {
                    produced += Nested(members[i].Value, effective, depth + 1);
                }
            }

            if (produced == 0 && entities is { Count: > 0 })
            {
                // An entity with no project anywhere below it: an entity-level reference.
                foreach (var entity in entities)
                {
                    _references.Add(new ScopeReference(entity, null, _action));
                    produced++;
                }
            }

            return produced;
        }

        private bool IsEntityName(ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
            => _entityNames.Contains(name) || Qualified(_entityNames, name, fieldName);

        private bool IsProjectName(ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
            => _projectNames.Contains(name) || (_extraProjects is { } extra && extra.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
               || Qualified(_projectNames, name, fieldName);

        private static bool Qualified(FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> set, ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
        {
            if (fieldName.IsEmpty || fieldName.Length + name.Length + 1 > 128)
            {
                return false;
            }

            return set.Contains(Dotted(fieldName, name, stackalloc char[fieldName.Length + name.Length + 1]));
        }

        // "first.second" written into <paramref name="into"/> (exactly that long): the key of a qualified
        // argument name and of a nested rule, built on the stack instead of as a string per field.
        private static ReadOnlySpan<char> Dotted(ReadOnlySpan<char> first, ReadOnlySpan<char> second, Span<char> into)
        {
            first.CopyTo(into);
            into[first.Length] = '.';
            second.CopyTo(into[(first.Length + 1)..]);
            return into;
        }

        private int Nested(Value value, List<string?> inherited, int depth)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.Object:
                    var count = resolved.MemberCount;
                    var members = Pool.Rent(count);
                    try
                    {
                        resolved.CopyMembers(members);
                        return Container(members.AsSpan(0, count), ROM.Empty, inherited, depth, out _);
                    }
                    finally
                    {
                        Pool.Return(members, clearArray: true);
                    }

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
            if (variables is { } vars && TryGetVariable(vars, name.Span, out var supplied))
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

    /// <summary>
    /// A request's variables by name, built once per document when there are more than a few: the
    /// walker resolves a variable for every argument or input field that names one (the SDK's
    /// UpsertBucket: nineteen), and <see cref="JsonElement.TryGetProperty(ReadOnlySpan{char}, out JsonElement)"/>
    /// scans the object each time. Names match on the body's raw UTF-8 (GraphQL variable names are
    /// ASCII); a name the body wrote with escapes is not indexed, and a miss then falls back to
    /// TryGetProperty itself, so the answer is always TryGetProperty's. The body was parsed with
    /// duplicate properties refused: one property per name.
    /// </summary>
    private sealed class VariableLookup
    {
        private const int MinProperties = 8;
        private static readonly System.Buffers.ArrayPool<JsonProperty> Properties = System.Buffers.ArrayPool<JsonProperty>.Shared;
        private readonly JsonElement _variables;
        private readonly JsonProperty[] _properties;
        private readonly int[] _slots;
        private readonly int _mask;
        private readonly bool _hasEscapedNames;

        private VariableLookup(JsonElement variables, int count)
        {
            _variables = variables;
            _properties = Properties.Rent(count);
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count * 2);
            _slots = System.Buffers.ArrayPool<int>.Shared.Rent(size);
            Array.Clear(_slots, 0, size);
            _mask = size - 1;
            var i = 0;
            foreach (var property in variables.EnumerateObject())
            {
                var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);
                if (raw.Contains((byte)'\\'))
                {
                    _hasEscapedNames = true;
                    continue;
                }

                _properties[i] = property;
                var slot = (int)Hash(raw) & _mask;
                while (_slots[slot] != 0)
                {
                    slot = (slot + 1) & _mask;
                }

                _slots[slot] = ++i;
            }
        }

        public static VariableLookup? Build(JsonElement variables)
        {
            var count = variables.GetPropertyCount();
            return count < MinProperties ? null : new VariableLookup(variables, count);
        }

        public bool TryGet(ReadOnlySpan<char> name, out JsonElement value)
        {
            if (System.Text.Ascii.IsValid(name))
            {
                for (var slot = (int)Hash(name) & _mask; _slots[slot] != 0; slot = (slot + 1) & _mask)
                {
                    var property = _properties[_slots[slot] - 1];
                    if (System.Text.Ascii.Equals(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property), name))
                    {
                        value = property.Value;
                        return true;
                    }
                }

                if (!_hasEscapedNames)
                {
                    value = default;
                    return false;
                }
            }

            return _variables.TryGetProperty(name, out value);
        }

        public void Release()
        {
            Properties.Return(_properties, clearArray: true);
            System.Buffers.ArrayPool<int>.Shared.Return(_slots);
        }

        // FNV-1a over the name's low bytes: the raw UTF-8 name and the variable's (ASCII) chars hash the same.
        private static uint Hash<T>(ReadOnlySpan<T> name)
            where T : unmanaged, System.Numerics.IBinaryInteger<T>
        {
            var hash = 2166136261u;
            foreach (var unit in name)
            {
                hash = (hash ^ byte.CreateTruncating(unit)) * 16777619u;
            }

            return hash;
        }
    }

    private enum Role : byte
    {
        Other,
        Entity,
        Project,
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

        public int MemberCount => _isJson ? _json.GetPropertyCount() : ((GraphQLObjectValue)_ast!).Fields?.Count ?? 0;

        /// <summary>The members in order, into an array of at least <see cref="MemberCount"/>.</summary>
        public void CopyMembers((ROM Name, Value Value)[] into)
        {
            var i = 0;
            if (_isJson)
            {
                foreach (var property in _json.EnumerateObject())
                {
                    into[i++] = (property.Name.AsMemory(), Of(property.Value));
                }
            }
            else if (((GraphQLObjectValue)_ast!).Fields is { } fields)
            {
                foreach (var field in fields)
                {
                    into[i++] = (field.Name.Value, Of(field.Value));
                }
            }
        }

        /// <summary>The first (or, with <paramref name="last"/>, the last) member of that name.</summary>
        public bool TryGetMember(string name, bool last, out Value member)
        {
            member = Null;
            var found = false;
            if (_isJson)
            {
                foreach (var property in _json.EnumerateObject())
                {
                    if (property.NameEquals(name))
                    {
                        member = Of(property.Value);
                        found = true;
                        if (!last)
                        {
                            return true;
                        }
                    }
                }
            }
            else if (((GraphQLObjectValue)_ast!).Fields is { } fields)
            {
                foreach (var field in fields)
                {
                    if (field.Name.Value.Span.SequenceEqual(name))
                    {
                        member = Of(field.Value);
                        found = true;
                        if (!last)
                        {
                            return true;
                        }
                    }
                }
            }

            return found;
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
