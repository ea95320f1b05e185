using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.GraphQL.Schema;
using GraphQLParser;
using GraphQLParser.AST;

namespace Gateway.Fuzz;

/// <summary>
/// The <c>graphqltypes</c> target: a document (the input's text) under the shipped schema and rules,
/// decided by the gateway's type walk (memoized, cached with the parse) and by this plain reference
/// walk of the same rules (every fragment expanded where it is spread, nothing cached). Both must
/// agree on the first refusal, or on none; anything else is a crash.
/// </summary>
public static class GraphQlTypeReference
{
    private const int MaxExpansion = 20_000;
    private static GraphQlRuleTable? _rules;

    private static GraphQlRuleTable Rules => SharedRules;

    /// <summary>The shipped rules, loaded once for the GraphQL targets.</summary>
    internal static GraphQlRuleTable SharedRules => _rules ??= GraphQlRuleTable.Load("fuzz", GraphQlRuleTable.BuiltinWandb, ".", []) ?? throw new InvalidOperationException("The shipped rules do not load.");

    public static void Run(byte[] input)
    {
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(input);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return;
        }

        GraphQLDocument document;
        try
        {
            document = Parser.Parse(text, new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 64 });
            DocumentUniqueness.Check(document);
        }
        catch (Exception ex) when (ex is GraphQLParser.Exceptions.GraphQLParserException or IndexOutOfRangeException or ArgumentException or InvalidOperationException or BodyScopeException)
        {
            return;
        }

        string? walked = null;
        try
        {
            Gateway.GraphQL.Plan.TypeWalk.Check(document, Rules);
        }
        catch (BodyScopeException ex)
        {
            walked = ex.Code;
        }

        string? reference;
        try
        {
            reference = new Walker(document, Rules).Run();
        }
        catch (TooLarge)
        {
            return; // the reference expands fragments: past a bound, no verdict to compare
        }

        if (walked != reference)
        {
            throw new InvalidOperationException($"The type walk says {walked ?? "allowed"}, the reference walk {reference ?? "allowed"}.");
        }
    }

    private sealed class TooLarge : Exception;

    private sealed class Walker(GraphQLDocument document, GraphQlRuleTable rules)
    {
        private readonly Dictionary<string, GraphQLFragmentDefinition> _fragments = document.Definitions.OfType<GraphQLFragmentDefinition>()
            .GroupBy(f => f.FragmentName.Name.StringValue).ToDictionary(g => g.Key, g => g.First());
        private readonly ScopeSchema _schema = rules.Schema;
        private readonly TypeAnnotations _annotations = rules.Annotations;
        private int _visits;

        // States: "unknown", "known", "entityOf", "viewer".
        public string? Run()
        {
            foreach (var operation in document.Definitions.OfType<GraphQLOperationDefinition>())
            {
                if (operation.Operation == OperationType.Subscription)
                {
                    return GraphQlCodes.FieldRefused;
                }

                var root = operation.Operation == OperationType.Query ? "Query" : "Mutation";
                if (Root(operation.SelectionSet, root, []) is { } refused)
                {
                    return refused;
                }
            }

            return null;
        }

        private string? Root(GraphQLSelectionSet set, string root, List<string> path)
        {
            foreach (var selection in set.Selections)
            {
                string? refused = selection switch
                {
                    GraphQLField field => RootField(field, root),
                    GraphQLInlineFragment inline => Root(inline.SelectionSet, root, path),
                    GraphQLFragmentSpread spread => Spread(spread, path, (fragment, inner) => Root(fragment.SelectionSet, root, inner)),
                    _ => null,
                };
                if (refused is not null)
                {
                    return refused;
                }
            }

            return null;
        }

        private string? RootField(GraphQLField field, string root)
        {
            var name = field.Name.StringValue;
            if (name == "__typename")
            {
                return null;
            }

            var table = root == "Query" ? rules.Query : rules.Mutation;
            if (!table.TryGetValue(name, out var rule))
            {
                return GraphQlCodes.FieldNotAllowed;
            }

            if (rule.Kind == GraphQlRuleKind.Refused)
            {
                return GraphQlCodes.FieldRefused;
            }

            if (name is "__schema" or "__type")
            {
                return null;
            }

            if (!_schema.TryGetField(root, name, out var f))
            {
                return GraphQlCodes.FieldNotAllowed;
            }

            var state = rule.Kind switch { GraphQlRuleKind.Viewer => "viewer", GraphQlRuleKind.None or GraphQlRuleKind.Organization => "unknown", _ => "known" };
            if (rule.Kind == GraphQlRuleKind.Scoped && _annotations.KindOf(f.ReturnType) == TypeScopeKind.Project && !NamesAProject(field))
            {
                return BodyScopeCodes.ScopeNotFound;
            }

            return Set(field.SelectionSet, f.ReturnType, state, []);
        }

        private string? Set(GraphQLSelectionSet? set, string type, string state, List<string> path)
        {
            foreach (var selection in set?.Selections ?? [])
            {
                if (++_visits > MaxExpansion)
                {
                    throw new TooLarge();
                }

                string? refused = selection switch
                {
                    GraphQLField field => Field(field, type, state, path),
                    GraphQLInlineFragment inline => Set(inline.SelectionSet, inline.TypeCondition?.Type.Name.StringValue ?? type, state, path),
                    GraphQLFragmentSpread spread => Spread(spread, path, (fragment, inner) => Set(fragment.SelectionSet, fragment.TypeCondition.Type.Name.StringValue, state, inner)),
                    _ => null,
                };
                if (refused is not null)
                {
                    return refused;
                }
            }

            return null;
        }

        private static bool NamesAProject(GraphQLField field)
            => field.Arguments?.Items.FirstOrDefault(a => a.Name.StringValue == "name")?.Value is GraphQLStringValue { Value.Length: > 0 } or GraphQLVariable;

        private string? Spread(GraphQLFragmentSpread spread, List<string> path, Func<GraphQLFragmentDefinition, List<string>, string?> walk)
        {
            var name = spread.FragmentName.Name.StringValue;
            if (!_fragments.TryGetValue(name, out var fragment) || path.Contains(name))
            {
                return BodyScopeCodes.InvalidGraphQl;
            }

            return walk(fragment, [.. path, name]);
        }

        private string? Field(GraphQLField field, string type, string state, List<string> path)
        {
            var name = field.Name.StringValue;
            if (name == "__typename")
            {
                return null;
            }

            if (!_schema.TryGetField(type, name, out var f))
            {
                return GraphQlCodes.FieldNotAllowed;
            }

            var kind = _annotations.KindOf(type);
            var bound = kind is TypeScopeKind.Project or TypeScopeKind.Entity;
            var annotation = _annotations.For(f);
            string next;
            if (state == "names" && annotation.Kind != FieldScopeKind.Refused)
            {
                var allowed = f.IsLeaf ? name is "id" or "name" or "entityName" or "versionIndex" : (name is "project" && kind != TypeScopeKind.Entity) || name is "entity" or "latestArtifact";
                return allowed ? Set(field.SelectionSet, f.ReturnType, "names", path) : GraphQlCodes.ScopeLeft;
            }

            switch (annotation.Kind)
            {
                case FieldScopeKind.Refused:
                    return GraphQlCodes.FieldRefused;
                case FieldScopeKind.ViewerOnly:
                    if (state != "viewer") { return GraphQlCodes.FieldRefused; }
                    next = "unknown";
                    break;
                case FieldScopeKind.Inherit:
                    return state == "known" ? null : GraphQlCodes.ScopeLeft;
                case FieldScopeKind.Free:
                    next = "unknown";
                    break;
                case FieldScopeKind.Same:
                    if (bound && state != "known") { return GraphQlCodes.ScopeLeft; }
                    next = state == "viewer" ? "unknown" : state;
                    break;
                case FieldScopeKind.Leave:
                    if (bound && state != "known") { return GraphQlCodes.ScopeLeft; }
                    next = "unknown";
                    break;
                case FieldScopeKind.EntityOf:
                    if (state != "known") { return GraphQlCodes.ScopeLeft; }
                    next = "entityOf";
                    break;
                case FieldScopeKind.Names:
                    if (bound && state != "known") { return GraphQlCodes.ScopeLeft; }
                    next = "names";
                    break;
                default:
                    if (state != "known" || kind != TypeScopeKind.Entity) { return GraphQlCodes.ScopeLeft; }
                    if (!NamesAProject(field)) { return BodyScopeCodes.ScopeNotFound; }
                    next = "known";
                    break;
            }

            return Set(field.SelectionSet, f.ReturnType, next, path);
        }
    }
}
