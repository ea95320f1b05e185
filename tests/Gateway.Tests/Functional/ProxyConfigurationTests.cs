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
        // Logged per bad reload, not per request. One write can raise one or two file-change events
        // (truncate, then write: the OS decides), so the count is taken once the reloads have settled
        // and must not grow with requests.
        await Task.Delay(1000);
        int Logged() => gw.Logs.Lines.Count(l => l.Contains("Gateway.Scope 'anywhere': unknown kind") && l.StartsWith("Error", StringComparison.Ordinal));
        var settled = Logged();
        Assert.InRange(settled, 1, 2);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/public/x", null)).Status);
        }

        Assert.Equal(settled, Logged());
    }
}
