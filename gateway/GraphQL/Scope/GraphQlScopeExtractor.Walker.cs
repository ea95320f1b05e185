using System.Collections.Frozen;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using GraphQLParser;

namespace Gateway.GraphQL.Scope;

internal static partial class GraphQlScopeExtractor
{
    /// <summary>
    /// The walk of one envelope's document under the route's rules: root fields by their rules, every
    /// argument and input object for the names it carries. Split by step: this file walks selections,
    /// <c>Walker.Rules.cs</c> applies rule details (listings, ids), <c>Walker.Entity.cs</c> makes a
    /// defaulted entity explicit, <c>Walker.Containers.cs</c> reads argument lists and input objects.
    /// </summary>
    private sealed partial class Walker(BodyLimits limits, JsonElement? variables, GraphQlAnalysis analysis, GraphQLDocument document,
        GraphQlRuleTable? rules, string? defaultEntity, int envelope)
    {
        // The constructor's parameters as fields, so that every part of the class reads them.
        private readonly BodyLimits limits = limits;
        private readonly JsonElement? variables = variables;
        private readonly GraphQlAnalysis analysis = analysis;
        private readonly GraphQLDocument document = document;
        private readonly GraphQlRuleTable? rules = rules;
        private readonly string? defaultEntity = defaultEntity;
        private readonly int envelope = envelope;

        private const int MaxIds = 100;
        private static readonly List<string?> DefaultEntityOnly = [null];
        private readonly List<ScopeReference> _references = analysis.References;
        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _entityNames = limits.EntityNames.GetAlternateLookup<ReadOnlySpan<char>>();
        private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _projectNames = limits.ProjectNames.GetAlternateLookup<ReadOnlySpan<char>>();
        // Built by the walk of a whole document (or taken from a compiled plan): a plan's evaluation needs neither.
        private Dictionary<string, GraphQLFragmentDefinition> _fragments = null!;
        private HashSet<string>? _spreadPath;
        private GraphQLOperationDefinition? _operation;
        private List<GraphQLField> _rootFields = null!;
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
            CollectFragments();

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

                    var table = operation.Operation == OperationType.Query ? rules.Query : rules.Mutation;
                    _rootFields = RootFields(operation.SelectionSet, 1);
                    foreach (var field in _rootFields)
                    {
                        ApplyRule(field, table, operation.Operation == OperationType.Query ? "query" : "mutation");
                    }
                }
            }
        }

        private void CollectFragments()
        {
            _fragments = new(StringComparer.Ordinal);
            foreach (var definition in document.Definitions)
            {
                if (definition is GraphQLFragmentDefinition fragment)
                {
                    _fragments[fragment.FragmentName.Name.StringValue] = fragment;
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
                        _spreadPath!.Remove(fragment.FragmentName.Name.StringValue);
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
            // The type walk (with the parse) refused subscriptions and root fields without a rule or refused by it.
            var name = field.Name.StringValue;
            var rule = table[name];
            CheckRefusedArguments(field, rule, type);

            var key = field.Alias?.Name.StringValue ?? name;
            if (rule.Kind != GraphQlRuleKind.Viewer && name != "__typename")
            {
                analysis.OnlyLocal = false;
            }

            switch (rule.Kind)
            {
                case GraphQlRuleKind.None:
                    return;
                case GraphQlRuleKind.Viewer:
                    // Walked first: fragment cycles are refused before DirectFields expands them.
                    WalkSelections(field.SelectionSet, 2, name, DefaultEntityOnly);
                    analysis.Add(new ViewerSelection(envelope, key, field, _fragments, DirectFields(field.SelectionSet)));
                    return;
                case GraphQlRuleKind.Organization:
                    var org = ArgumentValue(field, rule.Argument);
                    analysis.AddOrganization(org.Kind == ValueKind.String ? org.String : null);
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

            RequireScope(field, rule, type, before, ids);

            foreach (var learn in rule.Learns)
            {
                if (Learnable(field, learn.Path))
                {
                    analysis.Add(new LearningSelection(envelope, key, learn.Path, learn.Type));
                }
            }

            if (rule.Kind == GraphQlRuleKind.Listing)
            {
                var entity = ArgumentAt(field, rule.EntityArgument!);
                CheckFilterable(field, rule);
                analysis.Add(new ListingSelection(envelope, key, entity, rule));
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
                        _spreadPath!.Remove(fragment.FragmentName.Name.StringValue);
                        break;
                    case GraphQLInlineFragment inline:
                        WalkSelections(inline.SelectionSet, depth + 1, parent, inherited);
                        break;
                }
            }
        }

        // A refused argument given (a literal other than null, or a variable): the field is refused whatever it holds.
        private static void CheckRefusedArguments(GraphQLField field, GraphQlRule rule, string type)
        {
            foreach (var refused in rule.RefusedArguments)
            {
                if (Argument(field, refused) is { Value: not GraphQLNullValue })
                {
                    throw new BodyScopeException(403, GraphQlCodes.FieldRefused, $"The argument '{refused}' of the {type} field '{field.Name.StringValue}' is not accepted by this gateway.");
                }
            }
        }

        // A scoped root field must have named something to authorize since <paramref name="before"/> references; a by-id one, an id.
        private void RequireScope(GraphQLField field, GraphQlRule rule, string type, int before, int ids)
        {
            if (_references.Count == before && ids == 0)
            {
                throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound, $"The {type} field '{field.Name.StringValue}' names no project, entity or id the gateway can authorize.");
            }

            if (rule.Kind == GraphQlRuleKind.ById && ids == 0)
            {
                throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound, $"The {type} field '{field.Name.StringValue}' names no id.");
            }
        }

        private GraphQLFragmentDefinition Fragment(GraphQLFragmentSpread spread) => FragmentSpreads.Enter(_fragments, _spreadPath ??= new(StringComparer.Ordinal), spread);
    }
}
