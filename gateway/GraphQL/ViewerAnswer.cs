using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>
/// Answers <c>viewer</c> for the gateway's principal, from the directory: with one shared upstream
/// key the upstream's viewer is the shared user, whose entity the SDKs would adopt. Identity fields
/// come from here; key lists show key ids and names, never secrets; fields the gateway cannot know are
/// null, except the harmless upstream fields in <see cref="UpstreamFields"/>, which are taken from the
/// upstream's answer when the document is forwarded.
/// </summary>
internal static class ViewerAnswer
{
    /// <summary>Upstream viewer fields that say nothing about the shared user's identity.</summary>
    public static readonly FrozenSet<string> UpstreamFields = FrozenSet.ToFrozenSet(["flags"], StringComparer.Ordinal);

    /// <summary>What the answer is built from, read once per request.</summary>
    internal sealed record Facts(Principal Principal, DirectorySnapshot Directory, IReadOnlyList<(string Id, string Name)> Keys);

    public static void Write(Utf8JsonWriter writer, ViewerSelection selection, Facts facts)
        => WriteObject(writer, selection.Field.SelectionSet, selection.Fragments, (w, name, field) => WriteViewerField(w, name, field, selection.Fragments, facts));

    private static void WriteViewerField(Utf8JsonWriter writer, string name, GraphQLField field, IReadOnlyDictionary<string, GraphQLFragmentDefinition> fragments, Facts facts)
    {
        var principal = facts.Principal;
        var user = principal as User;
        var entity = AccessEvaluator.DefaultEntity(principal) ?? "";
        switch (name)
        {
            case "id": writer.WriteStringValue(GlobalId("User", principal.Id)); break;
            case "__typename": writer.WriteStringValue("User"); break;
            case "entity": writer.WriteStringValue(entity); break;
            case "username": writer.WriteStringValue(principal.DisplayName); break;
            case "name": writer.WriteStringValue(user is null ? ((ServiceAccount)principal).Name : user.FullName ?? user.Username); break;
            case "email": if (user is null) { writer.WriteNullValue(); } else { writer.WriteStringValue(user.Email); } break;
            case "admin": writer.WriteBooleanValue(user?.OrgRole == OrgRole.Admin); break;
            case "defaultEntity":
                WriteObject(writer, field.SelectionSet, fragments, (w, n, _) => WriteEntity(w, n, entity));
                break;
            case "teams":
                WriteConnection(writer, field.SelectionSet, fragments, Teams(facts), (w, n, team) => WriteEntity(w, n, team));
                break;
            case "apiKeys":
                WriteConnection(writer, field.SelectionSet, fragments, facts.Keys, (w, n, key) =>
                {
                    switch (n)
                    {
                        case "id": w.WriteStringValue(key.Id); break;
                        case "name": w.WriteStringValue(key.Name); break;
                        case "__typename": w.WriteStringValue("ApiKey"); break;
                        default: w.WriteNullValue(); break;
                    }
                });
                break;
            case "organizations":
                writer.WriteStartArray();
                WriteObject(writer, field.SelectionSet, fragments, (w, n, f) =>
                {
                    switch (n)
                    {
                        case "name": w.WriteStringValue(principal.Org); break;
                        case "id": w.WriteStringValue(GlobalId("Organization", principal.Org)); break;
                        case "orgEntity": WriteObject(w, f.SelectionSet, fragments, (w2, n2, _) => WriteEntity(w2, n2, principal.Org)); break;
                        default: w.WriteNullValue(); break;
                    }
                });
                writer.WriteEndArray();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static void WriteEntity(Utf8JsonWriter writer, string name, string entity)
    {
        switch (name)
        {
            case "name": writer.WriteStringValue(entity); break;
            case "id": writer.WriteStringValue(GlobalId("Entity", entity)); break;
            case "__typename": writer.WriteStringValue("Entity"); break;
            default: writer.WriteNullValue(); break;
        }
    }

    private static List<string> Teams(Facts facts) => facts.Principal switch
    {
        User user => [.. user.Teams.Keys.Order(StringComparer.Ordinal)],
        ServiceAccount { Scope: ServiceAccountScope.Team } account => [account.Team],
        ServiceAccount account => [.. facts.Directory.Teams.Values.Where(t => t.Org == account.Org).Select(t => t.Name).Order(StringComparer.Ordinal)],
        _ => [],
    };

    // A Relay-style connection: { edges { node { ... } } }.
    private static void WriteConnection<T>(Utf8JsonWriter writer, GraphQLSelectionSet? set, IReadOnlyDictionary<string, GraphQLFragmentDefinition> fragments,
        IReadOnlyList<T> items, Action<Utf8JsonWriter, string, T> node)
    {
        WriteObject(writer, set, fragments, (w, name, field) =>
        {
            if (name != "edges")
            {
                w.WriteNullValue();
                return;
            }

            w.WriteStartArray();
            foreach (var item in items)
            {
                WriteObject(w, field.SelectionSet, fragments, (w2, n2, f2) =>
                {
                    if (n2 == "node")
                    {
                        WriteObject(w2, f2.SelectionSet, fragments, (w3, n3, _) => node(w3, n3, item));
                    }
                    else
                    {
                        w2.WriteNullValue();
                    }
                });
            }

            w.WriteEndArray();
        });
    }

    // Writes one object for a selection set: each field under its response key (aliases respected),
    // fragments expanded (the gateway answers for one type, so every type condition applies).
    private static void WriteObject(Utf8JsonWriter writer, GraphQLSelectionSet? set, IReadOnlyDictionary<string, GraphQLFragmentDefinition> fragments,
        Action<Utf8JsonWriter, string, GraphQLField> value)
    {
        if (set is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        var written = new HashSet<string>(StringComparer.Ordinal);
        WriteFields(writer, set, fragments, value, written, 0);
        writer.WriteEndObject();
    }

    private static void WriteFields(Utf8JsonWriter writer, GraphQLSelectionSet set, IReadOnlyDictionary<string, GraphQLFragmentDefinition> fragments,
        Action<Utf8JsonWriter, string, GraphQLField> value, HashSet<string> written, int depth)
    {
        if (depth > 32)
        {
            return;
        }

        foreach (var selection in set.Selections)
        {
            switch (selection)
            {
                case GraphQLField field:
                    var key = field.Alias?.Name.StringValue ?? field.Name.StringValue;
                    if (written.Add(key))
                    {
                        writer.WritePropertyName(key);
                        value(writer, field.Name.StringValue, field);
                    }

                    break;
                case GraphQLInlineFragment inline:
                    WriteFields(writer, inline.SelectionSet, fragments, value, written, depth + 1);
                    break;
                case GraphQLFragmentSpread spread when fragments.TryGetValue(spread.FragmentName.Name.StringValue, out var fragment):
                    WriteFields(writer, fragment.SelectionSet, fragments, value, written, depth + 1);
                    break;
            }
        }
    }

    private static string GlobalId(string type, string id) => Convert.ToBase64String(Encoding.UTF8.GetBytes(type + ":gateway:" + id));
}
