using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Tests.Common;

/// <summary>A real upstream on Kestrel at 127.0.0.1 that answers with what it received, and remembers it.</summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoUpstream(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ConcurrentQueue<EchoRequest> Received { get; } = new();

    public static async Task<EchoUpstream> StartAsync()
    {
        EchoUpstream? echo = null;
        var (app, url) = await LoopbackHost.StartAsync(app => app.Run(async context =>
        {
            var request = await EchoRequest.ReadAsync(context);
            echo!.Received.Enqueue(request);
            if (context.Request.Path.StartsWithSegments("/slow"))
            {
                await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(request));
        }));
        echo = new EchoUpstream(app, url);
        return echo;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record EchoRequest(string Method, string Path, string RawTarget, List<KeyValuePair<string, string>> Headers, string Body, string BodyBase64)
{
    /// <summary>What arrived: method, path, raw target, every header value and the body's exact bytes.</summary>
    public static async Task<EchoRequest> ReadAsync(HttpContext context)
    {
        using var bytes = new MemoryStream();
        await context.Request.Body.CopyToAsync(bytes);
        return new EchoRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "",
            context.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? ""))).ToList(),
            System.Text.Encoding.UTF8.GetString(bytes.ToArray()),
            Convert.ToBase64String(bytes.ToArray()));
    }

    public IReadOnlyList<string> Values(string header)
        => Headers.Where(h => string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();

    public string? Single(string header) => Values(header) is [var one] ? one : null;

    public bool Has(string header) => Values(header).Count > 0;
}
