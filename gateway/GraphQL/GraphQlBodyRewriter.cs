using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.GraphQL;

/// <summary>
/// Makes defaulted entities explicit in the forwarded body: text edits of the documents (a literal
/// <c>null</c> replaced, a missing argument inserted) and variables set. Only requests with edits are
/// rewritten; all others keep their exact bytes.
/// </summary>
internal static class GraphQlBodyRewriter
{
    public static byte[] Rewrite(ReadOnlyMemory<byte> body, GraphQlAnalysis analysis, string entity)
    {
        var root = JsonNode.Parse(body.Span) ?? throw new InvalidOperationException("A parsed body cannot be null.");
        foreach (var group in analysis.Edits.GroupBy(e => e.Envelope))
        {
            var envelope = (analysis.IsBatch ? root.AsArray()[group.Key] : root)!.AsObject();
            var query = envelope["query"]!.GetValue<string>();
            var text = new StringBuilder(query);
            // Edits from the end backwards, so earlier offsets stay valid; the same spot is edited once.
            foreach (var edit in group.Where(e => e.Text is not null).DistinctBy(e => (e.Start, e.End)).OrderByDescending(e => e.Start))
            {
                text.Remove(edit.Start, edit.End - edit.Start).Insert(edit.Start, edit.Text);
            }

            envelope["query"] = text.ToString();
            foreach (var edit in group.Where(e => e.Variable is not null))
            {
                if (envelope["variables"] is not JsonObject variables)
                {
                    variables = [];
                    envelope["variables"] = variables;
                }

                if (edit.VariablePath is not { Length: > 0 } path)
                {
                    variables[edit.Variable!] = entity;
                    continue;
                }

                var target = variables[edit.Variable!] as JsonObject;
                for (var i = 0; target is not null && i < path.Length - 1; i++)
                {
                    target = target[path[i]] as JsonObject;
                }

                if (target is not null)
                {
                    target[path[^1]] = entity;
                }
            }
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}
