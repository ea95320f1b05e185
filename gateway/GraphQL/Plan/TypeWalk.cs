using Gateway.BodyScope;
using Gateway.GraphQL.Schema;
using GraphQLParser.AST;

namespace Gateway.GraphQL.Plan;

/// <summary>
/// Walks a document by type, as the upstream executes it: every selected field, at every depth and
/// through every fragment, must be a field of the schema on the type it is selected on (default deny),
/// and must be allowed where it stands. The scope a root field establishes (the entity and project its
/// rule authorizes) passes down through fields that stay with the same owner; a field that leads to an
/// object of another or unknown owner (a run's user, a user's teams, an organization's entity) leaves it,
/// and below it only free fields (names, ids, flags of that object) may be selected. Independent of
/// variables: a document that passes passes for every request, so the result is cached with the parse.
/// </summary>
internal static class TypeWalk
{
    public static DocumentPlan Check(GraphQLDocument document, GraphQlRuleTable rules)
    {
        var walker = new Walker(document, rules, rules.Schema, rules.Annotations);
        walker.Run();
        return walker.Plan();
    }

    // Leaves that name an object, and fields that lead to the names of its project or entity (or its
    // latest version's): all that may be selected below a field that may lead to another project's
    // object. The SDK reads an artifact's sequence, type and collections this way.
    private static readonly System.Collections.Frozen.FrozenSet<string> NameLeaves = System.Collections.Frozen.FrozenSet.ToFrozenSet(["id", "name", "entityName", "versionIndex"], StringComparer.Ordinal);
    private static readonly System.Collections.Frozen.FrozenSet<string> NamePaths = System.Collections.Frozen.FrozenSet.ToFrozenSet(["project", "entity", "latestArtifact"], StringComparer.Ordinal);

    private enum Scope : byte
    {
        /// <summary>No owner known: only free fields.</summary>
        Unknown,
        /// <summary>The owner the root field's rule authorizes.</summary>
        Known,
        /// <summary>The entity of a project in scope: its free fields only, not the entity's own data.</summary>
        EntityOfProject,
        /// <summary>Directly under <c>viewer</c>, which the gateway answers.</summary>
        ViewerRoot,
        /// <summary>An object that may be another project's: its names only.</summary>
        Names,
    }

    private sealed class Walker(GraphQLDocument document, GraphQlRuleTable rules, ScopeSchema schema, TypeAnnotations annotations)
    {
        private readonly Dictionary<string, GraphQLFragmentDefinition> _fragments = new(StringComparer.Ordinal);
        private readonly HashSet<string> _spreadPath = new(StringComparer.Ordinal);
        // Each fragment is walked once per scope it is spread in: a document spreading fragments into
        // fragments costs its size, not the size of its expansion.
        private readonly HashSet<(string Fragment, Scope Scope)> _walked = [];
        private readonly Dictionary<string, bool> _projectVariables = new(StringComparer.Ordinal);
        private GraphQLOperationDefinition? _operation;

        public DocumentPlan Plan() => _projectVariables.Count == 0 ? DocumentPlan.Empty : new DocumentPlan(System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(_projectVariables, StringComparer.Ordinal));

        public void Run()
        {
            foreach (var definition in document.Definitions)
            {
                if (definition is GraphQLFragmentDefinition fragment)
                {
                    _fragments[fragment.FragmentName.Name.StringValue] = fragment;
                }
            }

            foreach (var definition in document.Definitions)
            {
                if (definition is not GraphQLOperationDefinition operation)
                {
                    continue;
                }

                if (operation.Operation == OperationType.Subscription)
                {
                    throw new BodyScopeException(403, GraphQlCodes.FieldRefused, "Subscriptions are not forwarded.");
                }

                var query = operation.Operation == OperationType.Query;
                _operation = operation;
                // Fragments are walked again for each operation: what they require (a project variable
                // with or without a default) depends on the operation's variable definitions.
                _walked.Clear();
                WalkRoot(operation.SelectionSet, query ? "Query" : "Mutation", query ? rules.Query : rules.Mutation);
            }
        }

        private void WalkRoot(GraphQLSelectionSet set, string rootType, IReadOnlyDictionary<string, GraphQlRule> table)
        {
            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        RootField(field, rootType, table);
                        break;
                    case GraphQLInlineFragment inline:
                        WalkRoot(inline.SelectionSet, rootType, table);
                        break;
                    case GraphQLFragmentSpread spread:
                        var fragment = Enter(spread);
                        WalkRoot(fragment.SelectionSet, rootType, table);
                        _spreadPath.Remove(fragment.FragmentName.Name.StringValue);
                        break;
                }
            }
        }

        private void RootField(GraphQLField field, string rootType, IReadOnlyDictionary<string, GraphQlRule> table)
        {
            var name = field.Name.StringValue;
            if (name == "__typename")
            {
                return;
            }

            if (!table.TryGetValue(name, out var rule))
            {
                throw new BodyScopeException(403, GraphQlCodes.FieldNotAllowed, $"The gateway has no rule for the field '{rootType}.{name}'; it is not forwarded.");
            }

            if (rule.Kind == GraphQlRuleKind.Refused)
            {
                throw new BodyScopeException(403, GraphQlCodes.FieldRefused, $"The field '{rootType}.{name}' is not forwarded by this gateway{(rule.Why is null ? "" : ": " + rule.Why)}.");
            }

            if (name is "__schema" or "__type")
            {
                // Introspection describes the schema, not data; the spec validation checks its fields.
                return;
            }

            if (!schema.TryGetField(rootType, name, out var schemaField))
            {
                throw NotInSchema(rootType, name);
            }

            var scope = rule.Kind switch
            {
                GraphQlRuleKind.Viewer => Scope.ViewerRoot,
                GraphQlRuleKind.None or GraphQlRuleKind.Organization => Scope.Unknown,
                _ => Scope.Known,
            };
            if (rule.Kind is GraphQlRuleKind.Scoped && annotations.KindOf(schemaField.ReturnType) == TypeScopeKind.Project)
            {
                // project(name:, entityName:): the project's fields are walked as the named project's.
                ProjectNamed(field, rootType, name);
            }

            WalkSet(field.SelectionSet, schemaField.ReturnType, scope);
        }

        private void WalkSet(GraphQLSelectionSet? set, string type, Scope scope)
        {
            if (set is null)
            {
                return;
            }

            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        Field(field, type, scope);
                        break;
                    case GraphQLInlineFragment inline:
                        WalkSet(inline.SelectionSet, inline.TypeCondition?.Type.Name.StringValue ?? type, scope);
                        break;
                    case GraphQLFragmentSpread spread:
                        var fragment = Enter(spread);
                        var name = fragment.FragmentName.Name.StringValue;
                        if (_walked.Add((name, scope)))
                        {
                            WalkSet(fragment.SelectionSet, fragment.TypeCondition.Type.Name.StringValue, scope);
                        }

                        _spreadPath.Remove(name);
                        break;
                }
            }
        }

        private void Field(GraphQLField field, string type, Scope scope)
        {
            var name = field.Name.StringValue;
            if (name == "__typename")
            {
                return;
            }

            if (!schema.TryGetField(type, name, out var schemaField))
            {
                throw NotInSchema(type, name);
            }

            var annotation = annotations.For(schemaField);
            var bound = annotations.KindOf(type) is TypeScopeKind.Project or TypeScopeKind.Entity;
            Scope child;
            if (scope == Scope.Names && annotation.Kind != FieldScopeKind.Refused)
            {
                // An entity's project is entered by name, never as a name path.
                var named = schemaField.IsLeaf ? NameLeaves.Contains(name) : NamePaths.Contains(name) && !(name == "project" && annotations.KindOf(type) == TypeScopeKind.Entity);
                Require(named, type, name);
                WalkSet(field.SelectionSet, schemaField.ReturnType, Scope.Names);
                return;
            }

            switch (annotation.Kind)
            {
                case FieldScopeKind.Refused:
                    throw new BodyScopeException(403, GraphQlCodes.FieldRefused, $"The field '{type}.{name}' is not forwarded by this gateway{(annotation.Why is null ? "" : ": " + annotation.Why)}.");
                case FieldScopeKind.ViewerOnly:
                    if (scope != Scope.ViewerRoot)
                    {
                        throw new BodyScopeException(403, GraphQlCodes.FieldRefused, $"The field '{type}.{name}' is answered by the gateway under viewer only{(annotation.Why is null ? "" : ": " + annotation.Why)}.");
                    }

                    child = Scope.Unknown;
                    break;
                case FieldScopeKind.Inherit:
                    Require(scope == Scope.Known, type, name);
                    return;
                case FieldScopeKind.Free:
                    child = Scope.Unknown;
                    break;
                case FieldScopeKind.Same:
                    Require(!bound || scope == Scope.Known, type, name);
                    child = scope == Scope.ViewerRoot ? Scope.Unknown : scope;
                    break;
                case FieldScopeKind.Leave:
                    Require(!bound || scope == Scope.Known, type, name);
                    child = Scope.Unknown;
                    break;
                case FieldScopeKind.EntityOf:
                    Require(scope == Scope.Known, type, name);
                    child = Scope.EntityOfProject;
                    break;
                case FieldScopeKind.Names:
                    Require(!bound || scope == Scope.Known, type, name);
                    child = Scope.Names;
                    break;
                default: // Enter
                    Require(scope == Scope.Known && annotations.KindOf(type) == TypeScopeKind.Entity, type, name);
                    ProjectNamed(field, type, name);
                    child = Scope.Known;
                    break;
            }

            WalkSet(field.SelectionSet, schemaField.ReturnType, child);
        }

        // The field's project is its 'name' argument: a non-empty string literal, or a variable each request must give.
        private void ProjectNamed(GraphQLField field, string type, string name)
        {
            var argument = field.Arguments?.Items.FirstOrDefault(a => a.Name.StringValue == "name");
            switch (argument?.Value)
            {
                case GraphQLStringValue { Value.Length: > 0 }:
                    return;
                case GraphQLVariable variable:
                    var variableName = variable.Name.StringValue;
                    var definition = VariableDefinitions.Find(_operation, variableName);
                    var defaulted = definition?.DefaultValue is GraphQLStringValue { Value.Length: > 0 };
                    // A variable used by several operations counts as defaulted only if every one defaults it.
                    _projectVariables[variableName] = defaulted && _projectVariables.GetValueOrDefault(variableName, true);
                    return;
                default:
                    throw new BodyScopeException(400, BodyScopeCodes.ScopeNotFound,
                        $"The field '{type}.{name}' enters a project but names none: give its name (a string or a variable).");
            }
        }

        private static void Require(bool inScope, string type, string name)
        {
            if (!inScope)
            {
                throw new BodyScopeException(403, GraphQlCodes.ScopeLeft,
                    $"The field '{type}.{name}' needs the scope the request names, but it is selected below a field that leads to another owner's data (a user, a team, an organization, or the entity of a project); query it from a root field that names its entity and project.");
            }
        }

        private GraphQLFragmentDefinition Enter(GraphQLFragmentSpread spread) => FragmentSpreads.Enter(_fragments, _spreadPath, spread);

        private static BodyScopeException NotInSchema(string type, string name)
            => new(403, GraphQlCodes.FieldNotAllowed, $"The field '{type}.{name}' is not in the gateway's GraphQL schema; it is not forwarded.");
    }
}
