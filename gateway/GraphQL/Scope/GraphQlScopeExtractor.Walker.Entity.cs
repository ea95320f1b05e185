using System.Collections.Frozen;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using GraphQLParser;

namespace Gateway.GraphQL.Scope;

internal static partial class GraphQlScopeExtractor
{
    private sealed partial class Walker
    {
        private Value ArgumentValue(GraphQLField field, string name)
        {
            var argument = Argument(field, name);
            return argument is null ? Value.Null : Resolve(Value.Of(argument.Value));
        }

        // The first argument of that name (as FirstOrDefault did, without a closure per call).
        private static GraphQLArgument? Argument(GraphQLField field, string name)
        {
            if (field.Arguments is { } arguments)
            {
                foreach (var argument in arguments.Items)
                {
                    if (argument.Name.Value.Span.SequenceEqual(name))
                    {
                        return argument;
                    }
                }
            }

            return null;
        }

        // The entity a listing names (null: the default entity).
        private string? ArgumentAt(GraphQLField field, string[] path)
        {
            var value = ArgumentValue(field, path[0]);
            for (var i = 1; i < path.Length && value.Kind == ValueKind.Object; i++)
            {
                value = value.TryGetMember(path[i], last: true, out var member) ? Resolve(member) : Value.Null;
            }

            return value.Kind == ValueKind.String ? value.String : null;
        }

        // A null or missing entity is what the upstream would fill with the shared user's default entity:
        // make the gateway's own default explicit, in the document or in the variables.
        private void MakeEntityExplicit(GraphQLField field, string[] path)
        {
            if (defaultEntity is null)
            {
                return;
            }

            var argument = Argument(field, path[0]);
            if (argument is null)
            {
                if (path.Length > 1)
                {
                    return; // the enclosing input is missing: the upstream refuses the request itself
                }

                if (field.Arguments is { Count: > 0 } existing)
                {
                    var at = existing.Items[0].Location.Start;
                    analysis.Add(new EntityEdit(envelope, at, at, $"{path[0]}: {Literal}, ", null, null));
                }
                else
                {
                    var at = field.Name.Location.End;
                    analysis.Add(new EntityEdit(envelope, at, at, $"({path[0]}: {Literal})", null, null));
                }

                return;
            }

            MakeExplicit(argument.Value, path, 1);
        }

        // The default entity as a GraphQL string literal (JSON's escapes are GraphQL's), made when an edit needs it.
        private string Literal => _literal ??= JsonSerializer.Serialize(defaultEntity);

        private string? _literal;

        private void MakeExplicit(GraphQLValue value, string[] path, int step)
        {
            switch (value)
            {
                case GraphQLNullValue when step == path.Length:
                    analysis.Add(new EntityEdit(envelope, value.Location.Start, value.Location.End, Literal, null, null));
                    break;
                case GraphQLVariable variable:
                    var name = variable.Name.StringValue;
                    if (!IsSupplied(name, path.AsSpan(step)))
                    {
                        if (step == path.Length || (variables is { } v && v.TryGetProperty(name, out var supplied) && supplied.ValueKind == JsonValueKind.Object))
                        {
                            analysis.Add(new EntityEdit(envelope, 0, 0, null, name, path[step..]));
                        }
                        else if ((variables is null || !variables.Value.TryGetProperty(name, out _))
                            && VariableDefinitions.Find(_operation, name)?.DefaultValue is GraphQLObjectValue fallback)
                        {
                            // Not sent, so the variable's default is what executes
                            // ($input: UpsertBucketInput = {modelName: "p"}): edit the entity into it.
                            MakeExplicit(fallback, path, step);
                        }
                    }

                    break;
                case GraphQLObjectValue obj when step < path.Length:
                    GraphQLObjectField? member = null;
                    foreach (var field in obj.Fields ?? [])
                    {
                        if (field.Name.Value.Span.SequenceEqual(path[step]))
                        {
                            member = field;
                            break;
                        }
                    }

                    if (member is not null)
                    {
                        MakeExplicit(member.Value, path, step + 1);
                    }
                    else if (step == path.Length - 1)
                    {
                        var at = obj.Fields is { Count: > 0 } fields ? fields[0].Location.Start : obj.Location.Start + 1;
                        var text = obj.Fields is { Count: > 0 } ? $"{path[step]}: {Literal}, " : $" {path[step]}: {Literal} ";
                        analysis.Add(new EntityEdit(envelope, at, at, text, null, null));
                    }

                    break;
            }
        }

        // True when the variable (at the sub-path) holds a non-null value, or the operation's default does.
        private bool IsSupplied(string variable, ReadOnlySpan<string> subPath)
        {
            if (variables is { } vars && vars.TryGetProperty(variable, out var value))
            {
                foreach (var step in subPath)
                {
                    if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(step, out value))
                    {
                        return false;
                    }
                }

                return value.ValueKind != JsonValueKind.Null;
            }

            return subPath.Length == 0 && VariableDefinitions.Find(_operation, variable)?.DefaultValue is not null and not GraphQLNullValue;
        }
    }
}
