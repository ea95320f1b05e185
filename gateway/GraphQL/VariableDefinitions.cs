using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>An operation's variable definitions, read the one way every step of the analysis needs them.</summary>
internal static class VariableDefinitions
{
    /// <summary>The definition of <paramref name="name"/> in <paramref name="operation"/> (names are unique there: DocumentUniqueness).</summary>
    public static GraphQLVariableDefinition? Find(GraphQLOperationDefinition? operation, ReadOnlySpan<char> name)
    {
        if (operation?.Variables is { } definitions)
        {
            foreach (var definition in definitions.Items)
            {
                if (definition.Variable.Name.Value.Span.SequenceEqual(name))
                {
                    return definition;
                }
            }
        }

        return null;
    }

    /// <summary>The named type below the list and non-null wrappers (<c>[String!]!</c>: <c>String</c>).</summary>
    public static string NamedType(GraphQLType type) => type switch
    {
        GraphQLNonNullType nonNull => NamedType(nonNull.Type),
        GraphQLListType list => NamedType(list.Type),
        GraphQLNamedType named => named.Name.StringValue,
        _ => "",
    };
}
