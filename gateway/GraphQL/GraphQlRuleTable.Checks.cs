using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.GraphQL;

/// <summary>What the rules must say about the schema: every root field has a rule, and every id a rule's field takes is accounted for.</summary>
internal sealed partial class GraphQlRuleTable
{
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
}
