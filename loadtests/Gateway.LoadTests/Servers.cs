using System.Text;

namespace Gateway.LoadTests;

/// <summary>
/// The processes under test, all on 127.0.0.1: an nginx upstream answering a fixed small JSON, plain
/// YARP, the gateway (Release builds, published here), and nginx as a key-checking peer proxy.
/// Pinned (the default), servers run on CPU 0 and wrk and the upstream on CPU 1, so the proxy under
/// test has a core to itself and is the bottleneck; unpinned, everything shares both cores.
/// </summary>
internal sealed class Servers(bool pinned) : IAsyncDisposable
{
    /// <summary>The proxies' CPU, or null when unpinned.</summary>
    public string? ServerCpus { get; } = pinned && Tools.HasTaskset ? "0" : null;

    /// <summary>wrk's and the upstream's CPU, or null when unpinned.</summary>
    public string? LoadCpus { get; } = pinned && Tools.HasTaskset ? "1" : null;

    private readonly List<ManagedProcess> _processes = [];

    public int UpstreamPort { get; } = Tools.FreePort();
    public int YarpPort { get; } = Tools.FreePort();
    public int GatewayPort { get; } = Tools.FreePort();
    public int GatewayAdminPort { get; } = Tools.FreePort();
    public int NginxPeerPort { get; } = Tools.FreePort();

    public ManagedProcess? Gateway { get; private set; }

    public ManagedProcess? Yarp { get; private set; }

    public TimeSpan GatewayStartup { get; private set; }

    public static void Publish(string root, string output, bool readyToRun)
    {
        Console.WriteLine($"Publishing the gateway and plain YARP in Release{(readyToRun ? ", ReadyToRun" : "")}...");
        // Both proxies the same way: ReadyToRun changes how long each takes to reach full speed.
        string[] extra = readyToRun ? ["-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true"] : [];
        Tools.Run("dotnet", ["publish", Path.Combine(root, "gateway", "Gateway.csproj"), "-c", "Release", "-o", Path.Combine(output, "bin", "gateway"), "--nologo", "-v", "q", .. extra]);
        Tools.Run("dotnet", ["publish", Path.Combine(root, "loadtests", "PlainYarp", "PlainYarp.csproj"), "-c", "Release", "-o", Path.Combine(output, "bin", "yarp"), "--nologo", "-v", "q", .. extra]);
    }

    public async Task StartAsync(string output, string storePath, IReadOnlyList<LoadKey> keys)
    {
        var logs = Path.Combine(output, "logs");
        System.IO.Directory.CreateDirectory(logs);

        var upstreamDir = Path.Combine(output, "nginx-upstream");
        WriteNginx(upstreamDir, $$"""
            server {
              listen 127.0.0.1:{{UpstreamPort}} reuseport backlog=4096;
              location / { default_type application/json; return 200 '{"ok":true}'; }
            }
            """);
        _processes.Add(StartNginx("nginx-upstream", upstreamDir, logs, LoadCpus));

        var peerDir = Path.Combine(output, "nginx-peer");
        var map = new StringBuilder();
        foreach (var key in keys)
        {
            map.Append('"').Append(key.Authorization).Append("\" 1;\n");
        }

        System.IO.Directory.CreateDirectory(peerDir);
        await File.WriteAllTextAsync(Path.Combine(peerDir, "keys.map"), map.ToString());
        WriteNginx(peerDir, $$"""
            map_hash_max_size 262144;
            map_hash_bucket_size 256;
            map $http_authorization $gw_allowed { default 0; include {{Path.Combine(peerDir, "keys.map")}}; }
            upstream tracking { server 127.0.0.1:{{UpstreamPort}}; keepalive 64; }
            server {
              listen 127.0.0.1:{{NginxPeerPort}} backlog=4096;
              location / {
                if ($gw_allowed = 0) { return 401; }
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header Authorization "";
                proxy_pass http://tracking;
              }
            }
            """);
        _processes.Add(StartNginx("nginx-peer", peerDir, logs, ServerCpus));

        var bin = Path.Combine(output, "bin");
        var yarpConfig = Path.Combine(output, "yarp.json");
        await File.WriteAllTextAsync(yarpConfig, ProxyConfig(withScopes: false));
        var yarp = ManagedProcess.Start("yarp", "dotnet", [Path.Combine(bin, "yarp", "PlainYarp.dll"), $"--urls=http://127.0.0.1:{YarpPort}", $"--routes={yarpConfig}"],
            Path.Combine(logs, "yarp.log"), ServerCpus);
        _processes.Add(yarp);
        Yarp = yarp;

        var gatewayConfig = Path.Combine(output, "gateway.json");
        await File.WriteAllTextAsync(gatewayConfig, GatewayConfig(storePath));
        var gatewayStarted = System.Diagnostics.Stopwatch.StartNew();
        Gateway = ManagedProcess.Start("gateway", "dotnet", [Path.Combine(bin, "gateway", "Gateway.dll"), "--config", gatewayConfig],
            Path.Combine(logs, "gateway.log"), ServerCpus, workingDirectory: output);
        _processes.Add(Gateway);

        await Tools.WaitForAsync($"http://127.0.0.1:{UpstreamPort}/", TimeSpan.FromSeconds(20));
        await Tools.WaitForAsync($"http://127.0.0.1:{YarpPort}/healthz", TimeSpan.FromSeconds(60), yarp);
        await Tools.WaitForAsync($"http://127.0.0.1:{GatewayPort}/readyz", TimeSpan.FromSeconds(120), Gateway);
        GatewayStartup = gatewayStarted.Elapsed;
    }

    public string ProxyConfig(bool withScopes)
    {
        string Meta(string scope) => withScopes ? $", \"Metadata\": {scope}" : "";
        return $$"""
            { "ReverseProxy": {
                "Routes": {
                  "files": { "ClusterId": "tracking", "Match": { "Path": "/files/{entity}/{project}/{run}/file_stream" }
                             {{Meta("""{ "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project", "Gateway.Action": "write" }""")}} },
                  "graphql": { "ClusterId": "tracking", "Match": { "Path": "/graphql" } {{Meta("""{ "Gateway.Scope": "graphql" }""")}} },
                  "anonymous": { "ClusterId": "tracking", "Match": { "Path": "/anonymous/{**rest}" } {{Meta("""{ "Gateway.Scope": "anonymous" }""")}} }
                },
                "Clusters": { "tracking": { "Destinations": { "d": { "Address": "http://127.0.0.1:{{UpstreamPort}}/" } } } } } }
            """;
    }

    private string GatewayConfig(string storePath)
    {
        var proxy = ProxyConfig(withScopes: true).Trim()[1..^1];
        return $$"""
            {
              "Logging": { "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning" } },
              "Gateway": {
                "Proxy": { "Urls": "http://127.0.0.1:{{GatewayPort}}" },
                "Admin": { "Urls": "http://127.0.0.1:{{GatewayAdminPort}}" },
                "Store": { "Path": "{{storePath}}" },
                "Limits": { "FailedAuthenticationsPerAddress": 1000000, "FailedAuthenticationsPerKeyId": 1000000, "FailedAuthenticationsPerSecond": 10000000 }
              },
              {{proxy}}
            }
            """;
    }

    private static void WriteNginx(string dir, string server)
    {
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "nginx.conf"), $$"""
            worker_processes 1;
            daemon off;
            master_process off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 4096; }
            http {
              access_log off;
              keepalive_requests 10000000;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              fastcgi_temp_path {{dir}}/fastcgi;
              uwsgi_temp_path {{dir}}/uwsgi;
              scgi_temp_path {{dir}}/scgi;
              {{server}}
            }
            """);
    }

    private static ManagedProcess StartNginx(string name, string dir, string logs, string? cpus)
        => ManagedProcess.Start(name, Tools.Nginx, ["-p", dir, "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log")],
            Path.Combine(logs, name + ".log"), cpus);

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
