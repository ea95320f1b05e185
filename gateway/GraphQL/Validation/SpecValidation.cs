using Gateway.BodyScope;
using Gateway.GraphQL.Schema;
using GraphQL;
using GraphQL.Validation;
using GraphQLParser.AST;

namespace Gateway.GraphQL.Validation;

/// <summary>
/// The GraphQL specification's validation rules (§5) over a document and the route's schema, with
/// graphql-dotnet's <see cref="DocumentValidator"/>: unique operation names, lone anonymous operation,
/// known and unique arguments and input fields, variables defined, used and in allowed positions,
/// fragments on composite types and without cycles, known directives... What a spec-following upstream
/// would refuse is refused here, before anything is forwarded, so that the two never read one document
/// differently. Variable values are the upstream's to coerce: only the document is validated, once per
/// document text (the result is cached with the parse).
/// </summary>
internal static class SpecValidation
{
    private static readonly DocumentValidator Validator = new();

    // The library's rules, and the part of §5.8.5 it lets through (VariableNamedTypes).
    private static readonly IValidationRule[] Rules = [.. DocumentValidator.CoreRules, VariableNamedTypes.Instance];

    public static void Check(GraphQLDocument document, ScopeSchema schema)
    {
        var any = false;
        // Each operation is validated as the one the request runs: a server picks one by operationName,
        // and some rules (variables and their positions) are checked for the selected operation only.
        foreach (var operation in document.Definitions.OfType<GraphQLOperationDefinition>())
        {
            any = true;
            Check(document, operation, schema);
        }

        if (!any)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "The document holds no operation.");
        }
    }

    private static void Check(GraphQLDocument document, GraphQLOperationDefinition operation, ScopeSchema schema)
    {
        var result = Validator.ValidateAsync(new ValidationOptions
        {
            Schema = schema.GraphSchema,
            Document = document,
            Rules = Rules,
            Operation = operation,
            Variables = Inputs.Empty,
            Extensions = Inputs.Empty,
            UserContext = new Dictionary<string, object?>(),
            RequestServices = null,
        }).GetAwaiter().GetResult();
        if (result.IsValid)
        {
            return;
        }

        // Coercing variable values (a missing non-null variable...) belongs to the request, not the document.
        var error = result.Errors.FirstOrDefault(e => e is not InvalidVariableError);
        if (error is null)
        {
            return;
        }

        var rule = error is ValidationError validation ? $"{validation.Number} ({error.Code})" : error.Code;
        var at = error.Locations is { Count: > 0 } locations ? $" at line {locations[0].Line}, column {locations[0].Column}" : "";
        var message = error.Message.Length > 300 ? error.Message[..300] + "…" : error.Message;
        throw new BodyScopeException(400, GraphQlCodes.Invalid, $"The document breaks GraphQL validation rule {rule}{at}: {message}");
    }
}
