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
    /// <summary>Only asked of the cache and the learned ids (explain never asks the upstream), and in neither.</summary>
    NotCached,
}

/// <summary>
/// Finds the (entity, project) of a W&amp;B id before a request naming it is authorized: the id type's
/// lookup document is sent to the route's upstream with the cluster's own credential, and the answer
/// is cached. Ids never change project in W&amp;B; a moved or deleted object is covered by the cache's
/// lifetime (an id resolved before its project was renamed keeps authorizing the old name for at most
/// that long, and the upstream refuses an id that no longer exists). Anything the lookup cannot
/// establish is refused, never forwarded.
/// </summary>
internal sealed partial class IdResolver(TimeProvider time, ILogger<IdResolver> logger, Store.IGatewayStore store)
{
    private const int MaxResponseBytes = 256 * 1024;
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TwoGenerationCache<(string Type, string Id), Entry> _cache = new(50_000);

    private sealed record Entry(string Entity, string Project, DateTimeOffset Expires);

    public async ValueTask<(IdResolution Outcome, string? Entity, string? Project)> ResolveAsync(
        IdTypeLookup lookup, string id, HttpMessageInvoker http, Uri endpoint, string? authorization, CancellationToken cancel, bool localOnly = false)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGet((lookup.Type, id), out var cached, out _) && cached.Expires > now)
        {
            return (IdResolution.Found, cached.Entity, cached.Project);
        }

        if (lookup.Learned)
        {
            // Known only from answers this gateway (or another replica) saw: never guessed, never looked up.
            Store.LearnedId? bound;
            try
            {
                bound = store.FindLearnedId(lookup.Type, id);
            }
            catch (Store.StoreUnavailableException)
            {
                return (IdResolution.Unavailable, null, null);
            }

            if (bound is null)
            {
                return (IdResolution.NotFound, null, null);
            }

            _cache.Set((lookup.Type, id), new Entry(bound.Entity, bound.Project, DateTimeOffset.MaxValue));
            return (IdResolution.Found, bound.Entity, bound.Project);
        }

        if (localOnly)
        {
            return (IdResolution.NotCached, null, null);
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

    /// <summary>
    /// Binds an id an authorized create returned to that request's project, in the store (other replicas,
    /// restarts) and the cache. The first binding of an id stands: an id the upstream hands out once
    /// cannot be moved to another project by a later answer.
    /// </summary>
    public void Learn(string type, string id, string entity, string project)
    {
        if (!Names.IsValidEntity(entity) || !Names.IsValidProject(project))
        {
            return;
        }

        Store.LearnedId stood;
        try
        {
            stood = store.BindLearnedId(new Store.LearnedId(type, id, entity, project, time.GetUtcNow()));
        }
        catch (Store.StoreUnavailableException ex)
        {
            // The request has been answered; a later request naming the id is refused until it can be resolved.
            Log.LearnFailed(logger, type, ex.GetType().Name);
            return;
        }

        if (stood.Entity != entity || stood.Project != project)
        {
            Log.RebindRefused(logger, type);
        }

        _cache.Set((type, id), new Entry(stood.Entity, stood.Project, DateTimeOffset.MaxValue));
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
        [LoggerMessage(EventId = Diagnostics.EventIds.IdLearnFailed, EventName = "IdLearnFailed", Level = LogLevel.Warning,
            Message = "A new {IdType} id could not be kept ({Error}); requests naming it are refused until it is.")]
        public static partial void LearnFailed(ILogger logger, string idType, string error);

        [LoggerMessage(EventId = Diagnostics.EventIds.IdRebindRefused, EventName = "IdRebindRefused", Level = LogLevel.Warning,
            Message = "An answer returned a {IdType} id already bound to another project; the first binding stands.")]
        public static partial void RebindRefused(ILogger logger, string idType);

        [LoggerMessage(EventId = Diagnostics.EventIds.IdLookupFailed, EventName = "IdLookupFailed", Level = LogLevel.Warning,
            Message = "Looking up a {IdType} id upstream answered {Status}; the request is refused.")]
        public static partial void LookupFailed(ILogger logger, string idType, int status);

        [LoggerMessage(EventId = Diagnostics.EventIds.IdLookupUnavailable, EventName = "IdLookupUnavailable", Level = LogLevel.Warning,
            Message = "Looking up a {IdType} id upstream failed ({Error}); the request is refused with 503.")]
        public static partial void LookupUnavailable(ILogger logger, string idType, string error);
    }
}
