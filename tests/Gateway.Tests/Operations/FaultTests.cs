using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Operations;

/// <summary>Faults on real processes and real files: a full disk, SIGTERM under load.</summary>
public sealed class FaultTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task DiskFull_AdminWritesFailClosedWith503_NothingAcknowledgedIsLost_AndItRecoversByItself()
    {
        var mount = _dir.File("small");
        System.IO.Directory.CreateDirectory(mount);
        Run("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount);
        try
        {
            var db = Path.Combine(mount, "gateway.db");
            string root;
            using (var gateway = GatewayProcess.Start(_dir.Path, db))
            {
                Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(30)), gateway.Output);
                root = (await File.ReadAllTextAsync(Path.Combine(mount, "bootstrap-admin.key"))).Trim();
                using var http = Client(root);
                Assert.Equal(201, await CreateTeamAsync(http, gateway, "before"));
                var unused = await http.PostAsync(new Uri(gateway.AdminUrl, "/admin/v1/users/root/keys"), new StringContent("""{"name":"unused"}""", Encoding.UTF8, "application/json"));
                var uncachedKey = JsonDocument.Parse(await unused.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;

                // Fill what is left of the disk.
                var filler = Path.Combine(mount, "filler");
                using (var handle = File.OpenHandle(filler, FileMode.Create, FileAccess.Write))
                {
                    // Unbuffered, so nothing is left to flush (and fail) when the handle closes.
                    var block = new byte[16 * 1024];
                    long offset = 0;
                    try
                    {
                        while (true)
                        {
                            RandomAccess.Write(handle, block, offset);
                            offset += block.Length;
                        }
                    }
                    catch (IOException)
                    {
                        // ENOSPC: the disk is full.
                    }
                }

                var refused = 0;
                for (var i = 0; i < 20; i++)
                {
                    var status = await CreateTeamAsync(http, gateway, $"full{i}");
                    Assert.True(status is 201 or 503, $"a write on a full disk answered {status}");
                    refused += status == 503 ? 1 : 0;
                }

                Assert.True(refused > 0, "no write was refused on a full disk");
                // The cached admin key still authenticates. A key that needs a store read either works
                // or fails closed with 503 and Retry-After (the store may be reopening): never a 401 or 500.
                Assert.Equal(200, (int)(await http.GetAsync(new Uri(gateway.AdminUrl, "/admin/v1/whoami"))).StatusCode);
                using var uncached = Client(uncachedKey);
                var read = await uncached.GetAsync(new Uri(gateway.AdminUrl, "/admin/v1/whoami"));
                Assert.True((int)read.StatusCode is 200 or 503, $"a store read on a full disk answered {(int)read.StatusCode}");
                if ((int)read.StatusCode == 503)
                {
                    Assert.NotNull(read.Headers.RetryAfter);
                }

                // The disk has room again: the next write succeeds, with no restart and no operator.
                File.Delete(filler);
                Assert.Equal(200, (int)(await uncached.GetAsync(new Uri(gateway.AdminUrl, "/admin/v1/whoami"))).StatusCode);
                var after = await CreateTeamAsync(http, gateway, "after");
                Assert.True(after == 201, $"after the disk was freed: {after}\n{gateway.Output}");
                gateway.Kill();
            }

            // Every acknowledged write is there after a crash; no refused one is.
            using var restarted = GatewayProcess.Start(_dir.Path, db);
            Assert.True(await restarted.WaitReadyAsync(TimeSpan.FromSeconds(30)), restarted.Output);
            using var check = Client(root);
            var audit = await check.GetStringAsync(new Uri(restarted.AdminUrl, "/admin/v1/audit?action=team.create&limit=1000"));
            var created = JsonDocument.Parse(audit).RootElement.EnumerateArray().Select(e => e.GetProperty("target").GetString()).ToHashSet();
            Assert.Contains("before", created);
            Assert.Contains("after", created);
            foreach (var team in created)
            {
                var status = (int)(await check.PostAsync(new Uri(restarted.AdminUrl, "/admin/v1/orgs/acme/teams"),
                    new StringContent(JsonSerializer.Serialize(new { name = team }), Encoding.UTF8, "application/json"))).StatusCode;
                Assert.Equal(409, status); // it exists: the acknowledged write survived
            }
        }
        finally
        {
            Run("umount", "-l", mount);
        }
    }

    [Fact]
    public async Task Sigterm_UnderLoad_DrainsInFlightRequests_FlushesLastUsed_AndReleasesTheLock()
    {
        await using var echo = await EchoUpstream.StartAsync();
        var config = _dir.File("gateway.json");
        await File.WriteAllTextAsync(config, $$"""
        { "ReverseProxy": {
            "Routes": { "slow": { "ClusterId": "echo", "Match": { "Path": "/slow/{entity}/{project}" },
                                  "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } } },
            "Clusters": { "echo": { "Destinations": { "d": { "Address": "{{echo.Url}}" } } } } } }
        """);
        var db = _dir.File("gateway.db");
        string root;
        string key;
        using (var gateway = GatewayProcess.Start(_dir.Path, db, null, "--config", config, "--Gateway:Store:LastUsedFlushInterval=00:01:00"))
        {
            Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(30)), gateway.Output);
            root = (await File.ReadAllTextAsync(_dir.File("bootstrap-admin.key"))).Trim();
            using var admin = Client(root);
            Assert.Equal(201, await CreateTeamAsync(admin, gateway, "ml"));
            Assert.Equal(201, (int)(await admin.PostAsync(new Uri(gateway.AdminUrl, "/admin/v1/teams/ml/projects"),
                new StringContent("""{"name":"p","visibility":"open"}""", Encoding.UTF8, "application/json"))).StatusCode);
            var created = await admin.PostAsync(new Uri(gateway.AdminUrl, "/admin/v1/users/root/keys"), new StringContent("""{"name":"load"}""", Encoding.UTF8, "application/json"));
            key = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("key").GetString()!;

            // Requests that take 5 s upstream; SIGTERM arrives while all of them are in flight.
            using var client = Client(key);
            client.Timeout = TimeSpan.FromSeconds(60);
            var inFlight = Enumerable.Range(0, 8).Select(_ => client.GetAsync(new Uri(gateway.ProxyUrl, "/slow/ml/p"))).ToList();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (echo.Received.Count(r => r.Path == "/slow/ml/p") < 8 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            gateway.Terminate();
            var responses = await Task.WhenAll(inFlight);
            Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
            Assert.True(gateway.WaitForExit(TimeSpan.FromSeconds(30)), "the gateway did not exit after SIGTERM");
            Assert.Equal(0, gateway.ExitCode);
        }

        // The lock is released at once, and the last-used time (never flushed while running, the
        // interval being a minute) was written at shutdown.
        using var next = GatewayProcess.Start(_dir.Path, db);
        Assert.True(await next.WaitReadyAsync(TimeSpan.FromSeconds(30)), next.Output);
        using var check = Client(root);
        var keys = JsonDocument.Parse(await check.GetStringAsync(new Uri(next.AdminUrl, "/admin/v1/keys?owner=root"))).RootElement;
        var used = keys.EnumerateArray().Single(k => k.GetProperty("name").GetString() == "load");
        Assert.Equal(JsonValueKind.String, used.GetProperty("lastUsedAt").ValueKind);
    }

    private static HttpClient Client(string key)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key)));
        return http;
    }

    private static async Task<int> CreateTeamAsync(HttpClient http, GatewayProcess gateway, string name)
        => (int)(await http.PostAsync(new Uri(gateway.AdminUrl, "/admin/v1/orgs/acme/teams"),
            new StringContent(JsonSerializer.Serialize(new { name }), Encoding.UTF8, "application/json"))).StatusCode;

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()} (the fault tests need root to mount a small tmpfs)");
    }
}
