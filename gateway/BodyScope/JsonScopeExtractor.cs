using System.Buffers;
using System.Text;
using System.Text.Json;
using Gateway.Policy.Model;

namespace Gateway.BodyScope;

/// <summary>
/// Weave trace-server bodies: every property named <c>project_id</c> (configurable), at any depth and
/// inside arrays, each <c>entity/project</c>. One streaming pass over the bytes (no document tree);
/// duplicate property names in any object refuse the body. Duplicates are found by a 64-bit hash of
/// the unescaped name: equal names always collide, so none slips through; two different names
/// colliding would only refuse the sender's own request.
/// </summary>
internal static class JsonScopeExtractor
{
    private const int MaxDepth = 64;

    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, BodyLimits limits, AccessAction action)
    {
        Utf8Body.Check(body.Span);
        var field = Encoding.UTF8.GetBytes(limits.ProjectIdField);
        var references = new List<ScopeReference>();
        var seen = new List<HashSet<ulong>>();
        var depth = -1;
        var reader = new Utf8JsonReader(body.Span, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        depth++;
                        if (seen.Count <= depth)
                        {
                            seen.Add([]);
                        }

                        seen[depth].Clear();
                        break;
                    case JsonTokenType.EndObject:
                        depth--;
                        break;
                    case JsonTokenType.PropertyName:
                        if (!seen[depth].Add(NameHash(ref reader)))
                        {
                            throw new BodyScopeException(400, BodyScopeCodes.DuplicateProperty, "The body has a duplicate JSON property.");
                        }

                        if (reader.ValueTextEquals(field))
                        {
                            ReadProjectId(ref reader, limits.ProjectIdField, action, references);
                        }
                        else if (reader.ValueTextEquals("wb_run_id"u8))
                        {
                            ReadRunId(ref reader, references);
                        }
                        else if (IsVariant(ref reader, limits.ProjectIdField) || IsVariant(ref reader, "wb_run_id"))
                        {
                            throw new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty,
                                $"A property name differs from '{limits.ProjectIdField}' or 'wb_run_id' only in case: some servers would read it as that field.");
                        }

                        break;
                    case JsonTokenType.String when reader.ValueSpan.IndexOf("://"u8) >= 0 || reader.ValueIsEscaped:
                        // Refs name other projects (op names, inputs, feedback targets, scorers; also
                        // inside JSON serialized into strings): each is authorized as a read.
                        ScanRefs(ref reader, references);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The body is not valid JSON.");
        }

        return references;
    }

    private static void ReadProjectId(ref Utf8JsonReader reader, string field, AccessAction action, List<ScopeReference> references)
    {
        if (!reader.Read())
        {
            throw new JsonException();
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{field}' must be a string.");
        }

        Span<char> chars = stackalloc char[256];
        var value = reader.ValueIsEscaped || reader.ValueSpan.Length > chars.Length
            ? reader.GetString().AsSpan()
            : chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)];
        ProjectId.Split(value, field, out var entity, out var project);
        ScopeReferences.AddDistinct(references, entity, project, action);
    }

    // wb_run_id is "entity/project/run" (or a bare run id of the request's own project).
    private static void ReadRunId(ref Utf8JsonReader reader, List<ScopeReference> references)
    {
        if (!reader.Read())
        {
            throw new JsonException();
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return;
        }

        var text = reader.GetString()!;
        var parts = text.Split('/');
        if (parts.Length == 1)
        {
            return;
        }

        if (parts.Length != 3)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, "'wb_run_id' is entity/project/run.");
        }

        var (entity, project) = ProjectId.Of(parts[0], parts[1], "wb_run_id");
        references.Add(new ScopeReference(entity, project, AccessAction.Read));
    }

    // Short unescaped values (op names are refs) are scanned from the stack; the rest as strings.
    private static void ScanRefs(ref Utf8JsonReader reader, List<ScopeReference> references)
    {
        if (!reader.ValueIsEscaped && reader.ValueSpan.Length <= 512)
        {
            Span<char> chars = stackalloc char[512];
            Weave.WeaveRefs.Scan(chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)], references);
            return;
        }

        Weave.WeaveRefs.Scan(reader.GetString(), references);
    }

    private static bool IsVariant(ref Utf8JsonReader reader, string known)
        => reader.ValueIsEscaped ? PropertyFolding.IsVariantOf(reader.GetString()!, known) : PropertyFolding.IsVariantOf(reader.ValueSpan, known);

    private static ulong NameHash(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Fnv1a(reader.ValueSpan);
        }

        var rented = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
        try
        {
            var written = reader.CopyString(rented);
            return Fnv1a(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
