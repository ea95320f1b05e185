using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;

namespace Gateway.Tests.Replicas;

/// <summary>
/// Several gateway processes (<c>dotnet Gateway.dll</c>) on one PostgreSQL database, each with a data
/// directory of its own, in front of one echo upstream; the first bootstraps the organization.
/// </summary>
public sealed class ReplicaSet : IAsyncDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<GatewayProcess> _replicas = [];

    private ReplicaSet(EchoUpstream echo, string connectionString)
    {
        Echo = echo;
        ConnectionString = connectionString;
    }

    public EchoUpstream Echo { get; }

    public string ConnectionString { get; }

    public IReadOnlyList<GatewayProcess> Replicas => _replicas;

    public GatewayProcess this[int index] => _replicas[index];

    public string RootKey { get; private set; } = "";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    public static async Task<ReplicaSet> StartAsync(PostgresServer server, int count, params string[] extraArgs)
    {
        var set = new ReplicaSet(await EchoUpstream.StartAsync(), await server.CreateDatabaseAsync());
        File.WriteAllText(set._dir.File("upstream.secret"), ProxyFixture.UpstreamSecret + "\n");
        File.WriteAllText(set._dir.File("gateway.json"), ProxyFixture.Config(set.Echo.Url, set._dir.File("upstream.secret")));
        // The first one alone: it migrates and bootstraps; the others join a ready database.
        await set.AddAsync(extraArgs);
        set.RootKey = (await File.ReadAllTextAsync(Path.Combine(set._dir.Path, "r0", "bootstrap-admin.key"))).Trim();
        await Task.WhenAll(Enumerable.Range(1, count - 1).Select(_ => set.AddAsync(extraArgs)));
        return set;
    }

    /// <summary>Starts one more replica on the same database.</summary>
    public async Task<GatewayProcess> AddAsync(params string[] extraArgs)
    {
        string name;
        lock (_replicas)
        {
            name = "r" + _replicas.Count;
            _replicas.Add(null!);
        }

        var work = Path.Combine(_dir.Path, name);
        System.IO.Directory.CreateDirectory(work);
        var replica = GatewayProcess.Start(work, Path.Combine(work, "gateway.db"), null,
        [
            "--config", _dir.File("gateway.json"),
            "--Gateway:Store:Provider=postgres", "--Gateway:Store:ConnectionString=" + ConnectionString,
            "--Gateway:Store:PollInterval=00:00:00.5", "--Gateway:Store:LastUsedFlushInterval=00:00:01",
            "--Gateway:Limits:FailedAuthenticationsPerAddress=1000000", "--Gateway:Limits:FailedAuthenticationsPerKeyId=1000000",
            "--Gateway:Limits:FailedAuthenticationsPerSecond=1000000", "--Gateway:Limits:AuditedFailuresPerSecond=1000000",
            .. extraArgs,
        ]);
        lock (_replicas)
        {
            _replicas[int.Parse(name[1..], System.Globalization.CultureInfo.InvariantCulture)] = replica;
        }

        if (!await replica.WaitReadyAsync(TimeSpan.FromSeconds(60)))
        {
            throw new InvalidOperationException($"replica {name} did not start:\n{replica.Output}");
        }

        return replica;
    }

    public async Task<(int Status, JsonElement Json)> AdminAsync(GatewayProcess replica, HttpMethod method, string path, string key, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(replica.AdminUrl, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 && text[0] is '{' or '[' ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    /// <summary>Writes to ml/<paramref name="project"/> through <paramref name="replica"/>'s proxy listener; the status.</summary>
    public async Task<int> WriteAsync(GatewayProcess replica, string key, string project = "p")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(replica.ProxyUrl, $"/files/ml/{project}/r/file_stream"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await Http.SendAsync(request);
        return (int)response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas.Where(r => r is not null))
        {
            replica.Dispose();
        }

        await Echo.DisposeAsync();
        Http.Dispose();
        _dir.Dispose();
    }
}
