using Gateway.BodyScope;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>
/// The GraphQL specification's uniqueness rules (§5.2.1.1 operation names, §5.4.2 argument names,
/// §5.5.2.1 fragment names, §5.6.3 input object field names, §5.8.1 variable names). A document that
/// breaks one is invalid, but servers do not all refuse it: graphql-js executes <c>f(input: {id: "a",
/// id: "b"})</c> with the last <c>id</c>, while a reader that takes the first would authorize the
/// other. Checked once per parsed document (the parse is cached), before anything reads it.
/// </summary>
internal static class DocumentUniqueness
{
    public static void Check(GraphQLDocument document)
    {
        var operations = new HashSet<string>(StringComparer.Ordinal);
        var fragments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var definition in document.Definitions)
        {
            switch (definition)
            {
                case GraphQLOperationDefinition operation:
                    if (operation.Name is { } name && !operations.Add(name.StringValue))
                    {
                        throw Duplicate($"operation '{name.StringValue}'");
                    }

                    if (operation.Variables is { } variables)
                    {
                        var seen = new HashSet<string>(StringComparer.Ordinal);
                        foreach (var variable in variables)
                        {
                            if (!seen.Add(variable.Variable.Name.StringValue))
                            {
                                throw Duplicate($"variable '${variable.Variable.Name.StringValue}'");
                            }

                            if (variable.DefaultValue is { } value)
                            {
                                Value(value);
                            }

                            Directives(variable.Directives);
                        }
                    }

                    Directives(operation.Directives);
                    Selections(operation.SelectionSet);
                    break;
                case GraphQLFragmentDefinition fragment:
                    if (!fragments.Add(fragment.FragmentName.Name.StringValue))
                    {
                        throw Duplicate($"fragment '{fragment.FragmentName.Name.StringValue}'");
                    }

                    Directives(fragment.Directives);
                    Selections(fragment.SelectionSet);
                    break;
            }
        }
    }

    private static void Selections(GraphQLSelectionSet? set)
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
                    Arguments(field.Arguments, field.Name.StringValue);
                    Directives(field.Directives);
                    Selections(field.SelectionSet);
                    break;
                case GraphQLFragmentSpread spread:
                    Directives(spread.Directives);
                    break;
                case GraphQLInlineFragment inline:
                    Directives(inline.Directives);
                    Selections(inline.SelectionSet);
                    break;
            }
        }
    }

    private static void Directives(GraphQLDirectives? directives)
    {
        if (directives is null)
        {
            return;
        }

        foreach (var directive in directives)
        {
            Arguments(directive.Arguments, "@" + directive.Name.StringValue);
        }
    }

    private static void Arguments(GraphQLArguments? arguments, string owner)
    {
        if (arguments is null)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            if (!seen.Add(argument.Name.StringValue))
            {
                throw Duplicate($"argument '{argument.Name.StringValue}' of {owner}");
            }

            Value(argument.Value);
        }
    }

    private static void Value(GraphQLValue value)
    {
        switch (value)
        {
            case GraphQLObjectValue { Fields: { } fields }:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var field in fields)
                {
                    if (!seen.Add(field.Name.StringValue))
                    {
                        throw Duplicate($"input field '{field.Name.StringValue}'");
                    }

                    Value(field.Value);
                }

                break;
            case GraphQLListValue { Values: { } values }:
                foreach (var item in values)
                {
                    Value(item);
                }

                break;
        }
    }

    private static BodyScopeException Duplicate(string what)
        => new(400, BodyScopeCodes.InvalidGraphQl, $"The document names {what} more than once (GraphQL requires each to be unique).");
}
