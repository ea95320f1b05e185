using System.Text.Json;
using Gateway.Policy.Model;

namespace Gateway.BodyScope;

/// <summary>
/// Weave trace-server bodies: every property named <c>project_id</c> (configurable), at any depth and
/// inside arrays, each <c>entity/project</c>. Duplicate property names anywhere refuse the body.
/// </summary>
internal static class JsonScopeExtractor
{
    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, BodyLimits limits, AccessAction action)
    {
        using var json = GraphQlScopeExtractor.ParseJson(body);
        var references = new List<ScopeReference>();
        Walk(json.RootElement, limits.ProjectIdField, action, references);
        return references;
    }

    private static void Walk(JsonElement element, string field, AccessAction action, List<ScopeReference> references)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals(field))
                    {
                        if (property.Value.ValueKind == JsonValueKind.String)
                        {
                            var (entity, project) = ProjectId.Parse(property.Value.GetString(), field);
                            references.Add(new ScopeReference(entity, project, action));
                        }
                        else if (property.Value.ValueKind != JsonValueKind.Null)
                        {
                            throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{field}' must be a string.");
                        }
                    }
                    else
                    {
                        Walk(property.Value, field, action, references);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, field, action, references);
                }

                break;
        }
    }
}
