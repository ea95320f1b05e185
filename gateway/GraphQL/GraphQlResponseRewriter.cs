using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Authorization;
using Gateway.Diagnostics;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.GraphQL;

/// <summary>
/// Rewrites the upstream's answer to a forwarded GraphQL request that selected <c>viewer</c> (replaced
/// by the gateway's answer, keeping only the allowlisted upstream fields) or a listing (nodes the caller
/// may not read removed). The body is read under a cap and decompressed; an answer that cannot be read
/// is replaced by a 502, so the shared user's identity or a hidden project never reaches the client.
/// </summary>
internal static class GraphQlResponseRewriter
{
    public const int MaxResponseBytes = 16 * 1024 * 1024;

    public static async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (http.Features.Get<GatewayFeature>() is not { GraphQl: { NeedsResponseRewrite: true } analysis } feature || context.ProxyResponse is null)
        {
            return;
        }

        var facts = feature.Viewer;
        var rewrites = analysis.Viewers.Count > 0 || analysis.Listings.Count > 0;
        if (rewrites && facts is null)
        {
            return;
        }

        context.SuppressResponseBody = true;
        byte[]? rewritten = null;
        try
        {
            if (!MediaType.IsUtf8OrUnstated(context.ProxyResponse.Content.Headers.ContentType?.ToString()))
            {
                throw new InvalidDataException("The answer is declared in another charset than UTF-8.");
            }

            var body = await ReadAsync(context.ProxyResponse, http.RequestAborted);
            if (analysis.Learnings.Count > 0 && context.ProxyResponse.StatusCode == System.Net.HttpStatusCode.OK)
            {
                IdLearning.Learn(body, analysis, feature, http.RequestServices.GetRequiredService<IdResolver>());
            }

            // Learning alone changes nothing: the answer goes on as the upstream wrote it (decoded).
            rewritten = rewrites ? Rewrite(body, analysis, facts!) : body;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException or InvalidOperationException or FormatException)
        {
            rewritten = null;
        }

        var response = http.Response;
        response.Headers.Remove("Content-Encoding");
        response.Headers.ContentLength = null;
        if (rewritten is null)
        {
            response.Headers.Remove("Content-Type");
            await GatewayProblem.WriteAsync(response, 502, ProblemCodes.UpstreamResponseUnreadable, "The upstream's GraphQL answer could not be read safely.");
            return;
        }

        response.ContentLength = rewritten.Length;
        await response.Body.WriteAsync(rewritten, http.RequestAborted);
    }

    private static async Task<byte[]> ReadAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        await using var raw = await response.Content.ReadAsStreamAsync(cancel);
        var encoding = response.Content.Headers.ContentEncoding.ToList();
        Stream stream = encoding switch
        {
            [] or ["identity"] => raw,
            ["gzip"] => new GZipStream(raw, CompressionMode.Decompress),
            ["deflate"] => new ZLibStream(raw, CompressionMode.Decompress),
            ["br"] => new BrotliStream(raw, CompressionMode.Decompress),
            _ => throw new InvalidDataException("Unsupported content encoding."),
        };
        await using var _ = stream;
        return await CappedRead.ReadAsync(stream, MaxResponseBytes, cancel);
    }

    internal static byte[] Rewrite(byte[] body, GraphQlAnalysis analysis, ViewerAnswer.Facts facts)
    {
        // Duplicate keys are read differently by different clients (first or last wins): unreadable.
        var root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) ?? throw new InvalidDataException("null answer");
        CheckShape(root, analysis);
        foreach (var viewer in analysis.Viewers)
        {
            DropErrors(root, analysis, viewer.Envelope, viewer.ResponseKey);
            var data = Data(root, analysis, viewer.Envelope);
            if (data is null)
            {
                continue; // no data at all: the upstream answered with errors only
            }

            var upstream = data[viewer.ResponseKey] as JsonObject;
            var answer = Answer(viewer, facts);
            foreach (var field in viewer.UpstreamFields)
            {
                var key = field.Alias?.Name.StringValue ?? field.Name.StringValue;
                if (upstream?[key] is { } value)
                {
                    answer[key] = value.DeepClone();
                }
            }

            data[viewer.ResponseKey] = answer;
        }

        foreach (var listing in analysis.Listings)
        {
            var data = Data(root, analysis, listing.Envelope);
            if (data?[listing.ResponseKey] is JsonObject node)
            {
                var entity = listing.Entity ?? AccessEvaluator.DefaultEntity(facts.Principal)!;
                Filter(node, listing.Rule.Items, 0, listing.Rule.NameField, entity, facts);
            }
        }

        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>
    /// The answer must have the request's shape, or nothing below can be trusted to find what it must
    /// filter or replace: an array of one response per operation for a batch (an object there would
    /// pass every listing and viewer through untouched), an object otherwise; each response an object
    /// with <c>data</c> (an object, or null beside <c>errors</c>) or <c>errors</c>.
    /// </summary>
    private static void CheckShape(JsonNode root, GraphQlAnalysis analysis)
    {
        var responses = analysis.IsBatch
            ? root is JsonArray array && array.Count == analysis.SingleOperation.Count ? array.ToList() : throw new InvalidDataException("A batch was not answered by one response per operation.")
            : [root];
        foreach (var response in responses)
        {
            if (response is not JsonObject item)
            {
                throw new InvalidDataException("A response is not an object.");
            }

            var hasData = item.TryGetPropertyValue("data", out var data);
            var hasErrors = item.TryGetPropertyValue("errors", out var errors) && errors is JsonArray;
            if ((!hasData && !hasErrors) || (hasData && data is not (null or JsonObject)) || (hasData && data is null && !hasErrors))
            {
                throw new InvalidDataException("A response has neither data nor errors of the expected kinds.");
            }
        }
    }

    private static JsonObject Answer(ViewerSelection viewer, ViewerAnswer.Facts facts)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ViewerAnswer.Write(writer, viewer, facts);
        }

        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }

    private static JsonObject? Data(JsonNode root, GraphQlAnalysis analysis, int envelope)
    {
        var response = analysis.IsBatch ? (root as JsonArray)?[envelope] : root;
        return response?["data"] as JsonObject;
    }

    private static void DropErrors(JsonNode root, GraphQlAnalysis analysis, int envelope, string key)
    {
        var response = analysis.IsBatch ? (root as JsonArray)?[envelope] : root;
        if (response?["errors"] is JsonArray errors)
        {
            for (var i = errors.Count - 1; i >= 0; i--)
            {
                if (errors[i]?["path"] is JsonArray path && path.Count > 0 && path[0]?.GetValueKind() == JsonValueKind.String && path[0]!.GetValue<string>() == key)
                {
                    errors.RemoveAt(i);
                }
            }
        }
    }

    // Walks the items path; at the first list, keeps only the elements whose node names a project the caller may read.
    private static void Filter(JsonNode? node, string[] path, int step, string nameField, string entity, ViewerAnswer.Facts facts)
    {
        if (node is JsonArray list)
        {
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (!Readable(list[i], path, step, nameField, entity, facts))
                {
                    list.RemoveAt(i);
                }
            }

            return;
        }

        if (step < path.Length && node is JsonObject obj)
        {
            Filter(obj[path[step]], path, step + 1, nameField, entity, facts);
        }
    }

    private static bool Readable(JsonNode? element, string[] path, int step, string nameField, string entity, ViewerAnswer.Facts facts)
    {
        var node = element;
        for (var i = step; i < path.Length && node is not null; i++)
        {
            node = node is JsonObject o ? o[path[i]] : null;
        }

        if (node is not JsonObject item || item[nameField] is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
        {
            return false; // cannot tell which project it is: dropped
        }

        var project = name.GetValue<string>();
        var decision = AccessEvaluator.Evaluate(new AccessRequest(facts.Principal, entity, project, AccessAction.Read, default), facts.Directory);
        return decision.IsAllowed;
    }
}
