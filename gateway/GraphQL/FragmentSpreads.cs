using Gateway.BodyScope;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>Following a fragment spread, for every walk of a document: the fragment must exist and not spread itself.</summary>
internal static class FragmentSpreads
{
    /// <summary>The spread fragment, added to <paramref name="path"/> (the caller removes it when done with it).</summary>
    public static GraphQLFragmentDefinition Enter(Dictionary<string, GraphQLFragmentDefinition> fragments, HashSet<string> path, GraphQLFragmentSpread spread)
    {
        var name = spread.FragmentName.Name.StringValue;
        if (!fragments.TryGetValue(name, out var fragment))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"Unknown fragment '{name}'.");
        }

        if (!path.Add(name))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"Fragment '{name}' spreads itself.");
        }

        return fragment;
    }
}
