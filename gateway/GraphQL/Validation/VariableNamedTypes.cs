using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Gateway.GraphQL.Validation;

/// <summary>
/// The specification's "All Variable Usages Are Allowed" (§5.8.5) for the part the gateway relies on: a
/// variable is used only where the position's named type is its own declared named type. graphql-dotnet
/// 8.8.5 lets a non-null scalar variable through at a non-null input-object or list position
/// (<c>linkArtifact(input: $x)</c> with <c>$x: String!</c>); the gateway reads a scalar variable as a leaf
/// (never walked for entity or project fields), so such a document would hide the project inside its
/// value. Refused here, with the rule's number, as the specification refuses it.
/// </summary>
internal sealed class VariableNamedTypes : IValidationRule
{
    public static readonly VariableNamedTypes Instance = new();

    private static readonly INodeVisitor Visitor = new MatchingNodeVisitor<GraphQLVariable>((node, context) =>
    {
        if (context.TypeInfo.GetInputType() is not { } expected
            || VariableDefinitions.Find(context.Operation, node.Name.Value.Span) is not { } definition || ReferenceEquals(definition.Variable, node))
        {
            return; // not a value position, undefined (NoUndefinedVariables reports it), or the definition itself
        }

        var declared = VariableDefinitions.NamedType(definition.Type);
        var position = global::GraphQL.GraphQLExtensions.GetNamedType(expected).Name;
        if (declared != position)
        {
            context.ReportError(new ValidationError(context.Document.Source, "5.8.5",
                $"Variable '${node.Name.StringValue}' of type '{declared}' is used in a position expecting type '{position}'.", node)
            {
                Code = "VARIABLES_IN_ALLOWED_POSITION",
            });
        }
    });

    public ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => new(Visitor);

    public ValueTask<IVariableVisitor?> GetVariableVisitorAsync(ValidationContext context) => default;

    public ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => default;
}
