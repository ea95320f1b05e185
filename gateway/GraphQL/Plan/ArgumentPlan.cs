using Gateway.BodyScope;
using Gateway.Policy.Model;
using GraphQLParser;
using GraphQLParser.AST;

namespace Gateway.GraphQL.Scope;

internal static partial class GraphQlScopeExtractor
{
    /// <summary>
    /// What a request of one document under one route must still read, compiled once per document text
    /// (kept with its parse): the root fields with their rules, and, below each, only the fields that
    /// carry arguments, each argument's role (entity, project, other) decided and every input object
    /// written in the document taken apart. A request then reads its variables and nothing else of the
    /// document: no selection set is walked, no fragment followed, no name compared.
    /// <para>
    /// The plan is evaluated by the walker's own code for values (<c>Container</c>, <c>AddStrings</c>,
    /// ids, edits), in the walk's order, so a request gets the walk's answer, refusal included; only
    /// what the walk does with the document alone (field count, depth of selections, fragments, refused
    /// arguments, listings' shape, which answers may teach an id) is done here, once. A document the walk
    /// would refuse on those grounds gets no plan (<see cref="Compilable"/> false) and is walked each time,
    /// to be refused exactly as before. The fuzz target <c>graphqlplan</c> compares the two on random
    /// documents and variables.
    /// </para>
    /// </summary>
    internal sealed class ArgumentPlan
    {
        internal ArgumentPlan(BodyLimits limits, Dictionary<string, GraphQLFragmentDefinition>? fragments, PlanOperation[] operations, string?[] names, int anonymous, bool compilable = true)
        {
            Limits = limits;
            Compilable = compilable;
            Fragments = fragments!;
            Operations = operations;
            _names = names;
            _anonymous = anonymous;
        }

        private readonly string?[] _names;
        private readonly int _anonymous;

        /// <summary>
        /// About how many variable reads a request makes (variables in entity, project and other non-leaf
        /// positions, two per root field for ids and the entity edit): below eight, the request's variables
        /// are read in place, without the index <c>VariableLookup</c> builds.
        /// </summary>
        public int VariableReads { get; init; }

        /// <summary>The route limits the plan was compiled under (roles depend on its entity and project names).</summary>
        public BodyLimits Limits { get; }

        /// <summary>False when the walk refuses the document whatever its variables: it is walked (and refused) instead.</summary>
        public bool Compilable { get; }

        internal Dictionary<string, GraphQLFragmentDefinition> Fragments { get; }

        internal PlanOperation[] Operations { get; }

        internal static ArgumentPlan NotCompilable(BodyLimits limits) => new(limits, null, [], [], 0, compilable: false);

        /// <summary>True when exactly one operation of the document can run: the only one, or the one <paramref name="operationName"/> names.</summary>
        public bool SingleOperation(string? operationName)
        {
            if (_names.Length == 1)
            {
                return true;
            }

            var named = 0;
            foreach (var name in _names)
            {
                named += operationName is not null && name == operationName ? 1 : 0;
            }

            return named == 1 && _anonymous == 0;
        }
    }

    internal sealed record PlanOperation(GraphQLOperationDefinition Definition, AccessAction Action, string Type, PlanRoot[] Roots);

    /// <summary>A root field: its rule, response key, whether the gateway answers it, and the argument-carrying fields below it.</summary>
    internal sealed record PlanRoot(GraphQLField Field, GraphQlRule Rule, string Key, bool Local, PlanField[] Walk, List<GraphQLField>? ViewerFields, LearnedIdPath[] Learnings);

    /// <summary>A field with arguments (or with such fields below it); <see cref="Objects"/> holds, per argument, its literal input object compiled.</summary>
    internal sealed record PlanField(ROM FieldName, int Depth, (ROM Name, Value Value)[] Members, Role[] Roles, PlanObject?[] Objects, PlanField[] Children);

    /// <summary>An input object written in the document, its members' roles decided.</summary>
    internal sealed record PlanObject((ROM Name, Value Value)[] Members, Role[] Roles, PlanObject?[] Objects);

    /// <summary>
    /// The plan of <paramref name="document"/> under the route's <paramref name="limits"/> and
    /// <paramref name="rules"/>, or one that is not <see cref="ArgumentPlan.Compilable"/>.
    /// </summary>
    internal static ArgumentPlan Compile(GraphQLDocument document, BodyLimits limits, GraphQlRuleTable rules)
        => new Walker(limits, null, new GraphQlAnalysis(), document, rules, null, 0).Compile();

    private sealed partial class Walker
    {
        public ArgumentPlan Compile()
        {
            try
            {
                CollectFragments();
                var operations = new List<PlanOperation>();
                var names = new List<string?>();
                var anonymous = 0;
                foreach (var definition in document.Definitions)
                {
                    if (definition is not GraphQLOperationDefinition operation)
                    {
                        continue;
                    }

                    _operation = operation;
                    names.Add(operation.Name?.StringValue);
                    anonymous += operation.Name is null ? 1 : 0;
                    var query = operation.Operation == OperationType.Query;
                    var table = query ? rules!.Query : rules!.Mutation;
                    var type = query ? "query" : "mutation";
                    _rootFields = RootFields(operation.SelectionSet, 1);
                    var roots = new PlanRoot[_rootFields.Count];
                    for (var i = 0; i < roots.Length; i++)
                    {
                        roots[i] = CompileRoot(_rootFields[i], table[_rootFields[i].Name.StringValue], type);
                    }

                    operations.Add(new PlanOperation(operation, query ? AccessAction.Read : AccessAction.Write, type, roots));
                }

                return new ArgumentPlan(limits, _fragments, [.. operations], [.. names], anonymous)
                {
                    VariableReads = operations.Sum(o => o.Roots.Sum(r => 2 + Reads(r.Walk))),
                };
            }
            catch (BodyScopeException)
            {
                return ArgumentPlan.NotCompilable(limits);
            }
        }

        // What ApplyRule does with the document alone; it throws where ApplyRule would, whatever the variables.
        private PlanRoot CompileRoot(GraphQLField field, GraphQlRule rule, string type)
        {
            var name = field.Name.StringValue;
            CheckRefusedArguments(field, rule, type);

            var key = field.Alias?.Name.StringValue ?? name;
            var local = rule.Kind == GraphQlRuleKind.Viewer || name == "__typename";
            switch (rule.Kind)
            {
                case GraphQlRuleKind.None:
                    return new PlanRoot(field, rule, key, local, [], null, []);
                case GraphQlRuleKind.Viewer:
                    var viewerWalk = CompileSelections(field.SelectionSet, 2, []);
                    return new PlanRoot(field, rule, key, local, [.. viewerWalk], DirectFields(field.SelectionSet), []);
                case GraphQlRuleKind.Organization:
                    return new PlanRoot(field, rule, key, local, [.. CompileSelections(field.SelectionSet, 2, [])], null, []);
            }

            _extraProjects = rule.ProjectFields.Count > 0 ? rule.ProjectFields : null;
            var node = CompileField(field, 1);
            _extraProjects = null;
            var learnings = rule.Learns.Where(learn => Learnable(field, learn.Path)).ToArray();
            if (rule.Kind == GraphQlRuleKind.Listing)
            {
                CheckFilterable(field, rule);
            }

            return new PlanRoot(field, rule, key, local, node is null ? [] : [node], null, learnings);
        }

        // WalkSelections over the document alone: counts and depths as the walk checks them, fragments
        // followed, and only the fields that carry arguments (at any depth below them) kept, in walk order.
        private List<PlanField> CompileSelections(GraphQLSelectionSet? set, int depth, List<PlanField> into)
        {
            if (set is null)
            {
                return into;
            }

            CheckDepth(depth);
            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField field:
                        Count();
                        if (CompileField(field, depth) is { } node)
                        {
                            into.Add(node);
                        }

                        break;
                    case GraphQLFragmentSpread spread:
                        Count();
                        var fragment = Fragment(spread);
                        CompileSelections(fragment.SelectionSet, depth + 1, into);
                        _spreadPath!.Remove(fragment.FragmentName.Name.StringValue);
                        break;
                    case GraphQLInlineFragment inline:
                        CompileSelections(inline.SelectionSet, depth + 1, into);
                        break;
                }
            }

            return into;
        }

        private PlanField? CompileField(GraphQLField field, int depth)
        {
            (ROM Name, Value Value)[] members = [];
            Role[] roles = [];
            PlanObject?[] objects = [];
            if (field.Arguments is { Count: > 0 } arguments)
            {
                CheckDepth(depth);
                members = new (ROM Name, Value Value)[arguments.Count];
                for (var i = 0; i < members.Length; i++)
                {
                    members[i] = (arguments.Items[i].Name.Value, Value.Of(arguments.Items[i].Value));
                }

                (roles, objects) = CompileMembers(members, field.Name.Value);
            }

            var children = CompileSelections(field.SelectionSet, depth + 1, []);
            return members.Length == 0 && children.Count == 0 ? null : new PlanField(field.Name.Value, depth, members, roles, objects, [.. children]);
        }

        private (Role[] Roles, PlanObject?[] Objects) CompileMembers((ROM Name, Value Value)[] members, ROM fieldName)
        {
            var roles = new Role[members.Length];
            Roles(members, fieldName, roles);
            PlanObject?[] objects = [];
            for (var i = 0; i < members.Length; i++)
            {
                // Only what Container hands to Nested: an input object in a member that names neither.
                if (roles[i] == Role.Other && members[i].Value.Kind == ValueKind.Object)
                {
                    if (objects.Length == 0)
                    {
                        objects = new PlanObject?[members.Length];
                    }

                    objects[i] = CompileObject(members[i].Value);
                }
            }

            return (roles, objects);
        }

        private static int Reads(PlanField[] fields) => fields.Sum(f => Reads(f.Members, f.Roles, f.Objects) + Reads(f.Children));

        private static int Reads((ROM Name, Value Value)[] members, Role[] roles, PlanObject?[] objects)
        {
            var reads = 0;
            for (var i = 0; i < members.Length; i++)
            {
                reads += members[i].Value.Kind == ValueKind.Variable && roles[i] != Role.Leaf ? 1 : 0;
                reads += objects.Length > 0 && objects[i] is { } inner ? Reads(inner.Members, inner.Roles, inner.Objects) : 0;
            }

            return reads;
        }

        private PlanObject CompileObject(Value value)
        {
            var members = new (ROM Name, Value Value)[value.MemberCount];
            value.CopyMembers(members);
            var (roles, objects) = CompileMembers(members, ROM.Empty);
            return new PlanObject(members, roles, objects);
        }
    }
}
