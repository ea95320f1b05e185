using Gateway.Hosting;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Route configuration: every error at startup at once; an invalid reload keeps the last good config.</summary>
public sealed class ProxyConfigurationTests
{
    [Fact]
    public void ThreeBrokenRoutes_RefuseStartup_NamingAllThree()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("gateway.json"), """
        {
          "ReverseProxy": {
            "Routes": {
              "no-scope": { "ClusterId": "c", "Match": { "Path": "/a/{entity}" } },
              "typo-kind": { "ClusterId": "c", "Match": { "Path": "/b/{entity}" }, "Metadata": { "Gateway.Scope": "projet" } },
              "missing-value": { "ClusterId": "c", "Match": { "Path": "/c/{entity}" },
                                 "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } },
              "fine": { "ClusterId": "c", "Match": { "Path": "/d/{entity}" }, "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity" } }
            },
            "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:9/" } } } }
          }
        }
        """);
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
        [
            "--config", dir.File("gateway.json"), "--Gateway:Store:Path=" + dir.File("gateway.db"),
            "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0",
        ]));
        Assert.Equal(3, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Contains("Route 'no-scope' has no 'Gateway.Scope'"));
        Assert.Contains(ex.Errors, e => e.Contains("Route 'typo-kind' has Gateway.Scope 'projet': unknown kind"));
        Assert.Contains(ex.Errors, e => e.Contains("Route 'missing-value' has Gateway.Project 'project', but its path '/c/{entity}' has no such value"));
        Assert.False(File.Exists(dir.File("gateway.db")), "the store must not be touched by a refused start");
    }

    [Fact]
    public void MisspelledYarpKeys_RefuseStartup_NamingEachWithTheKnownOnes()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("gateway.json"), """
        { "ReverseProxy": {
            "Routes": { "r": { "ClusterId": "c", "Match": { "Paths": "/a/{**rest}" }, "Metdata": { "Gateway.Scope": "authenticated" } } },
            "Clusters": { "c": { "Destinatons": { "d": { "Address": "http://127.0.0.1:9/" } } },
                          "ok": { "Destinations": { "d": { "Adress": "http://127.0.0.1:9/" } } } },
            "Cluster": { "x": "y" } } }
        """);
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
            ["--config", dir.File("gateway.json"), "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0"]));
        Assert.Contains(ex.Errors, e => e.StartsWith("ReverseProxy:Routes:r:Metdata is not a known setting there. Known: ClusterId, Match,", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("ReverseProxy:Routes:r:Match:Paths is not a known setting there. Known: Path,", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("ReverseProxy:Clusters:c:Destinatons is not a known setting there.", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("ReverseProxy:Clusters:c has no Destinations", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("ReverseProxy:Clusters:ok:Destinations:d:Adress is not a known setting there. Known: Address,", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("ReverseProxy:Cluster is not a known setting there. Known: Routes, Clusters.", StringComparison.Ordinal));
        Assert.False(File.Exists(dir.File("gateway.db")), "the store must not be touched by a refused start");
    }

    [Fact]
    public void ClusterSecretsWrittenInline_AreRefused()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("gateway.json"), """
        { "ReverseProxy": { "Routes": {}, "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:9/" } },
          "Metadata": { "Gateway.UpstreamAuth": "bearer", "Gateway.UpstreamSecret": "hunter2" } } } } }
        """);
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
            ["--config", dir.File("gateway.json"), "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0"]));
        Assert.Contains(ex.Errors, e => e.Contains("never written inline"));
        Assert.DoesNotContain(ex.Errors, e => e.Contains("hunter2"));
    }

    [Fact]
    public async Task AnInvalidReload_KeepsTheLastGoodConfigServing()
    {
        await using var echo = await EchoUpstream.StartAsync();
        string Routes(string scope) => $$"""
        { "ReverseProxy": { "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/public/{**rest}" }, "Metadata": { "Gateway.Scope": "{{scope}}" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "{{echo.Url}}" } } } } } }
        """;
        await using var gw = await TestGateway.StartAsync(_ => Routes("anonymous"));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/public/x", null)).Status);

        await File.WriteAllTextAsync(gw.Directory.File("gateway.json"), Routes("anywhere"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!gw.Logs.Lines.Any(l => l.Contains("'anywhere'")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Contains(gw.Logs.Lines, l => l.Contains("Gateway.Scope 'anywhere': unknown kind"));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/public/x", null)).Status);
        var settleDeadline = DateTime.UtcNow.AddSeconds(10);
        while (!gw.Logs.Lines.Any(l => l.Contains("Configuration change refused", StringComparison.Ordinal)) && DateTime.UtcNow < settleDeadline)
        {
            await Task.Delay(100);
        }

        // Logged per bad reload, not per request. One write can raise one or two file-change events
        // (truncate, then write: the OS decides), so the count is taken once the reloads have settled
        // and must not grow with requests.
        await Task.Delay(1000);
        int Logged() => gw.Logs.Lines.Count(l => l.Contains("Gateway.Scope 'anywhere': unknown kind") && l.Contains("Configuration change refused", StringComparison.Ordinal));
        var settled = Logged();
        Assert.InRange(settled, 1, 2);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/public/x", null)).Status);
        }

        Assert.Equal(settled, Logged());
    }

    [Fact]
    public async Task Reloads_AreCheckedAsStartupIs_LoggedAndShown()
    {
        await using var echo = await EchoUpstream.StartAsync();
        string Config(string cluster, string path) => $$"""
        { "ReverseProxy": { "Routes": { "r": { "ClusterId": "{{cluster}}", "Match": { "Path": "{{path}}/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "{{echo.Url}}" } } } } } }
        """;
        await using var gw = await TestGateway.StartAsync(_ => Config("c", "/public"));
        var file = gw.Directory.File("gateway.json");

        async Task<string> Ready() => (await gw.GetAsync("/readyz", null)).Text;
        async Task WaitFor(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (!condition() && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.True(condition());
        }

        int Count(string text) => gw.Logs.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

        // Whole files only (written beside, then moved over): a truncated file seen mid-write would be a
        // refusal of its own, racing with the one under test.
        async Task Write(string text)
        {
            await File.WriteAllTextAsync(file + ".next", text);
            File.Move(file + ".next", file, overwrite: true);
        }

        // A route naming a cluster that does not exist: startup refuses it, and so does a reload now.
        await Write(Config("neptun", "/public"));
        await WaitFor(() => Count("names cluster 'neptun'") > 0 && Count("Configuration change refused") > 0);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/public/x", null)).Status);
        Assert.StartsWith("ready; the configuration change at ", await Ready());
        Assert.Contains("gateway_config_reload_refused 1", (await gw.GetAsync("/metrics", null)).Text);

        // Not JSON: refused and said so; the last good routes keep serving.
        await Write("{ \"ReverseProxy\": { \"Routes\": ");
        await WaitFor(() => gw.Logs.Lines.Any(l => l.Contains("Configuration change refused", StringComparison.Ordinal) && l.Contains("gateway.json: ", StringComparison.Ordinal)));
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/public/x", null)).Status);

        // A good change is taken and logged with what it holds; the refusal clears.
        await Write(Config("c", "/open"));
        await WaitFor(() => Count("Configuration reloaded: 1 routes, 1 clusters (r)") > 0);
        await WaitFor(() => gw.ProxyAsync(HttpMethod.Get, "/open/x", null).GetAwaiter().GetResult().Status == 200);
        await WaitFor(() => Ready().GetAwaiter().GetResult() == "ready");
        Assert.Contains("gateway_config_reload_refused 0", (await gw.GetAsync("/metrics", null)).Text);
    }
}

/// <summary><c>gateway config check</c>: the startup checks, without the store or a listener.</summary>
public sealed class ConfigCheckCommandTests
{
    [Fact]
    public void AValidFile_Passes_AndABrokenOne_ListsEveryError()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("good.json"), """
        { "ReverseProxy": { "Routes": { "r": { "ClusterId": "c", "Match": { "Path": "/p/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:9/" } } } } } }
        """);
        var (code, output, _) = Run("config", "check", "--config", dir.File("good.json"), "--Gateway:Store:Path=" + dir.File("gateway.db"));
        Assert.Equal(0, code);
        Assert.Contains("valid: 1 routes (r), 1 clusters", output);
        Assert.False(File.Exists(dir.File("gateway.db"))); // the store is never opened

        File.WriteAllText(dir.File("bad.json"), """
        { "ReverseProxy": { "Routes": { "r": { "ClusterId": "neptun", "Match": { "Path": "/p/{**rest}" }, "Metadata": { "Gateway.Scope": "anywhere" } } },
          "Clusters": { "c": { "Destinatons": { "d": { "Address": "http://127.0.0.1:9/" } } } } } }
        """);
        (code, _, var errors) = Run("config", "check", "--config", dir.File("bad.json"));
        Assert.Equal(1, code);
        Assert.Contains("names cluster 'neptun'", errors);
        Assert.Contains("Destinatons", errors);
        Assert.Contains("'anywhere'", errors);

        File.WriteAllText(dir.File("syntax.json"), "{ \"ReverseProxy\": ");
        (code, _, errors) = Run("config", "check", "--config", dir.File("syntax.json"));
        Assert.Equal(1, code);
        Assert.Contains("syntax.json: ", errors);
        Assert.DoesNotContain("   at ", errors); // no stack trace
    }

    private static (int Code, string Output, string Errors) Run(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = Gateway.Cli.ConfigCheckCommand.Run(args, output, errors);
        return (code, output.ToString(), errors.ToString());
    }
}
