using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Keys;
using Gateway.Policy.Directory;
using Microsoft.Extensions.Logging;

namespace Gateway.GraphQL;

/// <summary>The outcome of resolving one id.</summary>
internal enum IdResolution
{
    Found,
    NotFound,
    Failed,
    Unavailable,
}

/// <summary>
/// Finds the (entity, project) of a W&amp;B id before a request naming it is authorized: the id type's
/// lookup document is sent to the route's upstream with the cluster's own credential, and the answer
/// is cached. Ids never change project in W&amp;B; a moved or deleted object is covered by the cache's
/// lifetime (an id resolved before its project was renamed keeps authorizing the old name for at most
/// that long, and the upstream refuses an id that no longer exists). Anything the lookup cannot
/// establish is refused, never forwarded.
/// </summary>
internal sealed partial class IdResolver(TimeProvider time, ILogger<IdResolver> logger)
{
    private const int MaxResponseBytes = 256 * 1024;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TwoGenerationCache<(string Type, string Id), Entry> _cache = new(50_000);

    private sealed record Entry(string Entity, string Project, DateTimeOffset Expires);

    public async ValueTask<(IdResolution Outcome, string? Entity, string? Project)> ResolveAsync(
        IdTypeLookup lookup, string id, HttpMessageInvoker http, Uri endpoint, string? authorization, CancellationToken cancel)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGet((lookup.Type, id), out var cached, out _) && cached.Expires > now)
        {
            return (IdResolution.Found, cached.Entity, cached.Project);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query = lookup.Document, variables = new { id } }), Encoding.UTF8, "application/json"),
        };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        byte[] body;
        HttpStatusCode status;
        try
        {
            // The cluster's own client (YARP's): the lookup meets the upstream exactly as forwarded requests
            // do, with the cluster's CA bundle and connection settings. It has no timeout of its own.
            using var timeout = new CancellationTokenSource(Timeout, time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
            using var response = await http.SendAsync(request, linked.Token);
            status = response.StatusCode;
            body = await ReadCappedAsync(response, linked.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or InvalidDataException && !cancel.IsCancellationRequested)
        {
            Log.LookupUnavailable(logger, lookup.Type, ex.GetType().Name);
            return (IdResolution.Unavailable, null, null);
        }

        if ((int)status >= 500)
        {
            Log.LookupFailed(logger, lookup.Type, (int)status);
            return (IdResolution.Unavailable, null, null);
        }

        if (status != HttpStatusCode.OK)
        {
            Log.LookupFailed(logger, lookup.Type, (int)status);
            return (IdResolution.Failed, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
            {
                return (IdResolution.Failed, null, null);
            }

            var entity = At(data, lookup.EntityPath);
            var project = At(data, lookup.ProjectPath);
            if (entity is null && project is null)
            {
                return (IdResolution.NotFound, null, null);
            }

            if (entity is null || project is null || !Names.IsValidEntity(entity) || !Names.IsValidProject(project))
            {
                return (IdResolution.Failed, null, null);
            }

            _cache.Set((lookup.Type, id), new Entry(entity, project, now + Lifetime));
            return (IdResolution.Found, entity, project);
        }
        catch (JsonException)
        {
            return (IdResolution.Failed, null, null);
        }
    }

    private static string? At(JsonElement data, string[] path)
    {
        var current = data;
        foreach (var step in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(step, out current))
            {
                return null;
            }
        }

        return current.ValueKind == JsonValueKind.String ? current.GetString() : null;
    }

    private static async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancel);
        return await CappedRead.ReadAsync(stream, MaxResponseBytes, cancel);
    }


    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.IdLookupFailed, EventName = "IdLookupFailed", Level = LogLevel.Warning,
            Message = "Looking up a {IdType} id upstream answered {Status}; the request is refused.")]
        public static partial void LookupFailed(ILogger logger, string idType, int status);

        [LoggerMessage(EventId = Diagnostics.EventIds.IdLookupUnavailable, EventName = "IdLookupUnavailable", Level = LogLevel.Warning,
            Message = "Looking up a {IdType} id upstream failed ({Error}); the request is refused with 503.")]
        public static partial void LookupUnavailable(ILogger logger, string idType, string error);
    }
}
