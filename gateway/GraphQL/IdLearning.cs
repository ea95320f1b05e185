using System.Text.Json;
using Gateway.Authorization;

namespace Gateway.GraphQL;

/// <summary>
/// Reads the ids an authorized create's answer returns (a sweep agent's id from <c>createAgent</c>, a
/// run-queue item's from <c>pushToRunQueueByName</c>...) and binds each to the project the request was
/// authorized on, so that later requests naming only the id (<c>agentHeartbeat</c>, <c>ackRunQueueItem</c>)
/// are authorized on that project. Only a request authorized on exactly one (entity, project) teaches
/// anything; an answer the gateway cannot read teaches nothing (and is passed on unchanged).
/// </summary>
internal static class IdLearning
{
    public static void Learn(byte[] body, GraphQlAnalysis analysis, GatewayFeature feature, IdResolver ids)
    {
        if (feature.Entity is not { } entity || feature.Project is not { } project)
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 64 });
            foreach (var learning in analysis.Learnings)
            {
                var response = analysis.IsBatch
                    ? document.RootElement.ValueKind == JsonValueKind.Array && learning.Envelope < document.RootElement.GetArrayLength() ? document.RootElement[learning.Envelope] : default
                    : document.RootElement;
                if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("data", out var node) || node.ValueKind != JsonValueKind.Object
                    || !node.TryGetProperty(learning.ResponseKey, out node))
                {
                    continue;
                }

                foreach (var step in learning.Path)
                {
                    if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(step, out node))
                    {
                        break;
                    }
                }

                if (node.ValueKind == JsonValueKind.String && node.GetString() is { Length: > 0 and <= 256 } id)
                {
                    ids.Learn(learning.Type, id, entity, project);
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON, or duplicate keys: nothing is learned.
        }
    }
}
