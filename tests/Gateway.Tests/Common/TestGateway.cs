using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Tests.Common;

/// <summary>
/// The real gateway in-process: Kestrel on 127.0.0.1 with ephemeral ports for both listeners, a real
/// LiteDB file in a temp directory, the bootstrap org "acme" with admin "root", every log line captured.
/// </summary>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private TestGateway(WebApplication app, TempDirectory dir, CapturingLoggerProvider logs)
    {
        _app = app;
        Directory = dir;
        Logs = logs;
        var listeners = app.Services.GetRequiredService<GatewayListeners>();
        AdminUrl = new Uri($"http://127.0.0.1:{listeners.AdminPorts[0]}");
        ProxyUrl = new Uri($"http://127.0.0.1:{listeners.ProxyPorts[0]}");
        // A gateway joining a shared store that another one bootstrapped has no key file of its own.
        RootKey = File.Exists(dir.File(Bootstrapper.KeyFileName)) ? File.ReadAllText(dir.File(Bootstrapper.KeyFileName)).Trim() : "";
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    public TempDirectory Directory { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri AdminUrl { get; }

    public Uri ProxyUrl { get; }

    public string RootKey { get; }

    public HttpClient Http { get; }

    public string DatabasePath => Directory.File("gateway.db");

    public IServiceProvider Services => _app.Services;

    public static Task<TestGateway> StartAsync(params string[] extraArgs) => StartAsync(null, extraArgs);

    /// <summary>Starts with <paramref name="configJson"/> written to a gateway.json in the temp directory (passed with --config).</summary>
    public static Task<TestGateway> StartAsync(Func<TempDirectory, string>? configJson, params string[] extraArgs) => StartAsync(null, configJson, extraArgs);

    /// <summary>
    /// Starts on <paramref name="time"/> (a fake clock the test moves) instead of the system's, for what
    /// the gateway does per second or per interval: sampling, rate limits, expiries.
    /// </summary>
    public static async Task<TestGateway> StartAsync(TimeProvider? time, Func<TempDirectory, string>? configJson, params string[] extraArgs)
    {
        var dir = new TempDirectory();
        if (configJson is not null)
        {
            await File.WriteAllTextAsync(dir.File("gateway.json"), configJson(dir));
            extraArgs = ["--config", dir.File("gateway.json"), .. extraArgs];
        }

        var logs = new CapturingLoggerProvider();
        string[] args =
        [
            "--Gateway:Proxy:Urls=http://127.0.0.1:0",
            "--Gateway:Admin:Urls=http://127.0.0.1:0",
            $"--Gateway:Store:Path={dir.File("gateway.db")}",
            "--Gateway:Bootstrap:Organization=acme",
            "--Gateway:Bootstrap:AdminUser=root",
            // Functional tests send many bad credentials from one address on purpose; the limits
            // themselves are tested with their own low settings (later arguments win).
            "--Gateway:Limits:FailedAuthenticationsPerAddress=1000000",
            "--Gateway:Limits:FailedAuthenticationsPerKeyId=1000000",
            "--Gateway:Limits:FailedAuthenticationsPerSecond=1000000",
            // The test issuers are served on loopback (the outbound policy itself is tested with this off).
            "--Gateway:Federation:AllowPrivateIssuerAddresses=true",
            .. extraArgs,
        ];
        var app = GatewayApp.Build(args, b =>
        {
            b.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
            if (time is not null)
            {
                b.Services.AddSingleton(time);
            }
        });
        await app.StartAsync();
        return new TestGateway(app, dir, logs);
    }

    public Task<ApiResponse> AdminAsync(HttpMethod method, string path, string? key, object? body = null)
        => SendAsync(new Uri(AdminUrl, path), method, key, body);

    public Task<ApiResponse> GetAsync(string path, string? key) => AdminAsync(HttpMethod.Get, path, key);

    /// <summary>A request to the proxy listener.</summary>
    public Task<ApiResponse> ProxyAsync(HttpMethod method, string path, string? key, object? body = null, Action<HttpRequestMessage>? configure = null)
        => SendAsync(new Uri(ProxyUrl, path), method, key, body, configure);

    public Task<ApiResponse> PostAsync(string path, string? key, object? body) => AdminAsync(HttpMethod.Post, path, key, body ?? new { });

    public Task<ApiResponse> PutAsync(string path, string? key, object body) => AdminAsync(HttpMethod.Put, path, key, body);

    public Task<ApiResponse> PatchAsync(string path, string? key, object body) => AdminAsync(HttpMethod.Patch, path, key, body);

    public Task<ApiResponse> DeleteAsync(string path, string? key) => AdminAsync(HttpMethod.Delete, path, key);

    public async Task<ApiResponse> SendAsync(Uri uri, HttpMethod method, string? key, object? body, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key)));
        }

        if (body is not null)
        {
            var json = body as string ?? JsonSerializer.Serialize(body, JsonOptions);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        configure?.Invoke(request);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse((int)response.StatusCode, text, response.Headers, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>Stops the host (flushing last-used times and closing the store) before the files are inspected.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
        Directory.Dispose();
    }

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}

public sealed record ApiResponse(int Status, string Text, HttpResponseHeaders Headers, string? MediaType)
{
    public JsonElement Json => JsonDocument.Parse(Text).RootElement;

    public string? Code => MediaType == "application/problem+json" ? Json.GetProperty("code").GetString() : null;

    public string Str(string property) => Json.GetProperty(property).GetString()!;

    /// <summary>
    /// The body without a problem's request id (the one part that differs between two requests): what
    /// "the same answer byte for byte" compares. The id must be the one in the X-Request-Id header.
    /// </summary>
    public string WithoutRequestId
    {
        get
        {
            if (MediaType != "application/problem+json")
            {
                return Text;
            }

            var id = Json.GetProperty("requestId").GetString()!;
            Assert.Equal(id, Headers.GetValues("X-Request-Id").Single());
            var suffix = ",\"requestId\":" + JsonSerializer.Serialize(id);
            Assert.EndsWith(suffix + "}", Text, StringComparison.Ordinal);
            return Text[..^(suffix.Length + 1)] + "}";
        }
    }

    public override string ToString() => $"{Status} {Text}";
}
