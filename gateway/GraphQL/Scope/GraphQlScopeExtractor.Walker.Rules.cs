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
        // A listing is filtered by the node's name at Items: every field on that path must be unaliased,
        // and the name selected unaliased, or the response cannot be read safely.
        private void CheckFilterable(GraphQLField field, GraphQlRule rule)
        {
            var set = field.SelectionSet;
            foreach (var step in rule.Items)
            {
                var next = DirectFields(set).Where(f => f.Name.StringValue == step || f.Alias?.Name.StringValue == step).ToList();
                if (next.Count == 0)
                {
                    return; // nothing listed
                }

                if (next.Any(f => f.Alias is not null && f.Alias.Name.StringValue != f.Name.StringValue) || next.Count > 1)
                {
                    throw new BodyScopeException(403, GraphQlCodes.ListingUnfilterable, $"'{field.Name.StringValue}' lists projects: select '{string.Join(".", rule.Items)}' without aliases.");
                }

                set = next[0].SelectionSet;
            }

            var names = DirectFields(set).Where(f => f.Name.StringValue == rule.NameField || f.Alias?.Name.StringValue == rule.NameField).ToList();
            if (names.Count != 1 || names[0].Alias is not null && names[0].Alias!.Name.StringValue != rule.NameField)
            {
                throw new BodyScopeException(403, GraphQlCodes.ListingUnfilterable, $"'{field.Name.StringValue}' lists projects: select '{rule.NameField}' of each node, unaliased, so the gateway can filter them.");
            }
        }

        // An id is learned only from an answer the caller cannot shape: the document's one operation, the
        // create selected once and unaliased, and every field on the path to the id unaliased and selected
        // once (an alias such as "id: host" would make the answer carry a value of the caller's choosing).
        private bool Learnable(GraphQLField field, string[] path)
        {
            if (field.Alias is not null || document.Definitions.Count(d => d is GraphQLOperationDefinition) != 1
                || _rootFields.Count(f => (f.Alias?.Name.StringValue ?? f.Name.StringValue) == field.Name.StringValue) != 1)
            {
                return false;
            }

            var set = field.SelectionSet;
            foreach (var step in path)
            {
                var matches = DirectFields(set).Where(f => (f.Alias?.Name.StringValue ?? f.Name.StringValue) == step).ToList();
                if (matches is not [{ Alias: null } only] || only.Name.StringValue != step)
                {
                    return false;
                }

                set = only.SelectionSet;
            }

            return true;
        }

        private List<GraphQLField> DirectFields(GraphQLSelectionSet? set)
        {
            var fields = new List<GraphQLField>();
            if (set is null)
            {
                return fields;
            }

            foreach (var selection in set.Selections)
            {
                switch (selection)
                {
                    case GraphQLField f: fields.Add(f); break;
                    case GraphQLInlineFragment inline: fields.AddRange(DirectFields(inline.SelectionSet)); break;
                    case GraphQLFragmentSpread spread when _fragments.TryGetValue(spread.FragmentName.Name.StringValue, out var fragment):
                        fields.AddRange(DirectFields(fragment.SelectionSet));
                        break;
                }
            }

            return fields;
        }

        private int CollectIds(GraphQLField field, GraphQlRule rule)
        {
            var found = 0;
            foreach (var id in rule.Ids)
            {
                var argument = Argument(field, id.Path[0]);
                if (argument is null)
                {
                    continue;
                }

                found += Ids(Value.Of(argument.Value), id, 1, 1);
            }

            return found;
        }

        private int Ids(Value value, IdArgument id, int step, int depth)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.List:
                    var count = 0;
                    foreach (var item in resolved.Items())
                    {
                        count += Ids(item, id, step, depth + 1);
                    }

                    return count;
                case ValueKind.Object when step < id.Path.Length:
                    return resolved.TryGetMember(id.Path[step], last: false, out var member) ? Ids(member, id, step + 1, depth + 1) : 0;
                case ValueKind.String when step == id.Path.Length:
                    if (analysis.Ids.Count >= MaxIds)
                    {
                        throw new BodyScopeException(400, GraphQlCodes.TooManyIds, $"A request names at most {MaxIds} ids.");
                    }

                    var text = resolved.String;
                    if (text.Length is 0 or > 256)
                    {
                        throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{string.Join(".", id.Path)}' is not a valid id.");
                    }

                    analysis.Add(new IdReference(id.Type, text, id.Action ?? _action));
                    return 1;
                case ValueKind.Null:
                    return 0;
                default:
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{string.Join(".", id.Path)}' must be an id string.");
            }
        }
    }
}
