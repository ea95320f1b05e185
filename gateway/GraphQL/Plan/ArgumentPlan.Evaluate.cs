using Gateway.BodyScope;
using Gateway.Policy.Model;

namespace Gateway.GraphQL.Scope;

internal static partial class GraphQlScopeExtractor
{
    private sealed partial class Walker
    {
        /// <summary>
        /// One request of a compiled document: ApplyRule for each root field, in the walk's order, with
        /// what depends on the document alone already decided; the values (variables, their defaults,
        /// the literals beside them) read by the walk's own code.
        /// </summary>
        public void Evaluate(ArgumentPlan plan)
        {
            _fragments = plan.Fragments;
            _variableLookupBuilt = plan.VariableReads < 8; // no index: a few reads in place cost less than building it
            foreach (var operation in plan.Operations)
            {
                _operation = operation.Definition;
                analysis.HasMutation |= operation.Action == AccessAction.Write;
                _action = operation.Action;
                foreach (var root in operation.Roots)
                {
                    Evaluate(root, operation.Type);
                }
            }
        }

        private void Evaluate(PlanRoot root, string type)
        {
            var rule = root.Rule;
            if (!root.Local)
            {
                analysis.OnlyLocal = false;
            }

            switch (rule.Kind)
            {
                case GraphQlRuleKind.None:
                    return;
                case GraphQlRuleKind.Viewer:
                    Evaluate(root.Walk, DefaultEntityOnly);
                    analysis.Add(new ViewerSelection(envelope, root.Key, root.Field, _fragments, root.ViewerFields!));
                    return;
                case GraphQlRuleKind.Organization:
                    var org = ArgumentValue(root.Field, rule.Argument);
                    analysis.AddOrganization(org.Kind == ValueKind.String ? org.String : null);
                    Evaluate(root.Walk, DefaultEntityOnly);
                    return;
            }

            var previous = _action;
            _action = rule.Action ?? _action;
            var before = _references.Count;
            _extraProjects = rule.ProjectFields.Count > 0 ? rule.ProjectFields : null;
            Evaluate(root.Walk, DefaultEntityOnly);
            _extraProjects = null;
            var ids = CollectIds(root.Field, rule);
            if (rule.EntityArgument is { } entityPath)
            {
                MakeEntityExplicit(root.Field, entityPath);
            }

            RequireScope(root.Field, rule, type, before, ids);

            foreach (var learn in root.Learnings)
            {
                analysis.Add(new LearningSelection(envelope, root.Key, learn.Path, learn.Type));
            }

            if (rule.Kind == GraphQlRuleKind.Listing)
            {
                analysis.Add(new ListingSelection(envelope, root.Key, ArgumentAt(root.Field, rule.EntityArgument!), rule));
            }

            _action = previous;
        }

        private void Evaluate(PlanField[] fields, List<string?> inherited)
        {
            foreach (var field in fields)
            {
                var effective = inherited;
                if (field.Members.Length > 0)
                {
                    Container(field.Members, field.Roles, field.Objects, inherited, field.Depth, out effective);
                }

                Evaluate(field.Children, effective);
            }
        }

        // Nested, for an input object compiled with the plan.
        private int NestedObject(PlanObject compiled, List<string?> inherited, int depth)
        {
            CheckDepth(depth);
            return Container(compiled.Members, compiled.Roles, compiled.Objects, inherited, depth, out _);
        }
    }
}
