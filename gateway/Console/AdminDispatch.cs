using System.Collections.Frozen;
using System.Text.Json;
using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.OperatorConsole;

/// <summary>What an admin endpoint answered: its status and JSON body (a problem on failure).</summary>
internal sealed record AdminReply(int Status, JsonElement Body)
{
    private static readonly JsonSerializerOptions Read = new(JsonSerializerDefaults.Web);

    public bool Ok => Status is >= 200 and < 300;

    public string? Code => !Ok && Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("code", out var c) ? c.GetString() : null;

    public string? Detail => !Ok && Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("detail", out var d) ? d.GetString() : null;

    /// <summary>Per-field messages of a 400, field name to messages.</summary>
    public IReadOnlyDictionary<string, string[]> FieldErrors => !Ok && Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("errors", out var e)
        ? e.Deserialize<Dictionary<string, string[]>>(Read) ?? []
        : new Dictionary<string, string[]>();

    public T As<T>() => Body.Deserialize<T>(Read) ?? throw new InvalidOperationException("The admin API answered null.");
}

/// <summary>
/// Runs admin API endpoints in process for the console, as the signed-in caller: the very endpoint
/// delegates (validation, authorization, audit, problem codes) that answer <c>/admin/v1</c>, found by
/// their route pattern, so the console has no rule of its own to get wrong. Only the credential
/// check differs: the console sets the <see cref="AdminCaller"/> from its session, and the admin
/// authentication filter accepts a caller already set that way (a client can never set a feature).
/// </summary>
internal sealed class AdminDispatch(EndpointDataSource endpoints)
{
    private FrozenDictionary<string, RouteEndpoint>? _byPattern;

    public Task<AdminReply> GetAsync(HttpContext page, AdminCaller caller, string pattern, object? route = null, IEnumerable<KeyValuePair<string, string?>>? query = null)
        => SendAsync(page, caller, HttpMethods.Get, pattern, route, query, null);

    public async Task<AdminReply> SendAsync(HttpContext page, AdminCaller caller, string method, string pattern, object? route,
        IEnumerable<KeyValuePair<string, string?>>? query, object? body)
    {
        var endpoint = Find(method, "/admin/v1" + pattern);
        var values = new RouteValueDictionary(route);
        var context = new DefaultHttpContext { RequestServices = page.RequestServices };
        context.Features.Set(caller);
        context.SetEndpoint(endpoint);
        var request = context.Request;
        request.Method = method;
        request.Scheme = page.Request.Scheme;
        request.Host = page.Request.Host;
        request.Path = "/admin/v1" + Expand(pattern, values);
        request.RouteValues = values;
        if (query is not null)
        {
            request.QueryString = QueryString.Create(query.Where(q => !string.IsNullOrEmpty(q.Value)));
        }

        if (body is not null)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(body, AdminJson.Options);
            request.ContentType = "application/json";
            request.ContentLength = bytes.Length;
            request.Body = new MemoryStream(bytes, writable: false);
        }

        context.Connection.RemoteIpAddress = page.Connection.RemoteIpAddress;
        context.RequestAborted = page.RequestAborted;
        var response = new MemoryStream();
        context.Response.Body = response;
        await endpoint.RequestDelegate!(context);
        await context.Response.BodyWriter.FlushAsync(page.RequestAborted);
        var json = response.Length == 0
            ? default
            : JsonDocument.Parse(response.ToArray()).RootElement.Clone();
        return new AdminReply(context.Response.StatusCode, json);
    }

    private RouteEndpoint Find(string method, string pattern)
    {
        _byPattern ??= endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/admin/v1", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Key: m + " " + e.RoutePattern.RawText, Endpoint: e)))
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.First().Endpoint, StringComparer.Ordinal);
        return _byPattern.TryGetValue(method + " " + pattern, out var found)
            ? found
            : throw new InvalidOperationException($"No admin endpoint {method} {pattern}.");
    }

    private static string Expand(string pattern, RouteValueDictionary values)
    {
        foreach (var (name, value) in values)
        {
            pattern = pattern.Replace("{" + name + "}", Uri.EscapeDataString(value?.ToString() ?? ""), StringComparison.Ordinal);
        }

        return pattern;
    }
}
