using Gateway.GraphQL.Scope;
using System.Text.Json;
using Gateway.BodyScope;

namespace Gateway.Weave;

/// <summary>
/// <c>POST /refs/read_batch</c>: <c>{"refs": [...]}</c> and nothing else (the server's model forbids
/// other properties); at most 1000 refs (the server's own limit); each one authorized (read).
/// </summary>
internal static class RefsReadBatchScopeExtractor
{
    public const int MaxRefs = 1000;

    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body)
    {
        Utf8Body.Check(body.Span);
        using var json = GraphQlScopeExtractor.ParseJson(body);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("refs", out var refs) || refs.ValueKind != JsonValueKind.Array
            || root.EnumerateObject().Count() != 1)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The body is {\"refs\": [...]}.");
        }

        if (refs.GetArrayLength() > MaxRefs)
        {
            throw new BodyScopeException(400, WeaveCodes.TooManyRefs, $"At most {MaxRefs} refs per batch.");
        }

        // Refs of one batch mostly share a few projects: each distinct project is authorized once.
        var references = new HashSet<ScopeReference>();
        foreach (var item in refs.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new BodyScopeException(400, WeaveCodes.InvalidRef, "Each ref is a string.");
            }

            references.Add(WeaveRefs.ParseRef(item.GetString()!));
        }

        return [.. references];
    }
}
