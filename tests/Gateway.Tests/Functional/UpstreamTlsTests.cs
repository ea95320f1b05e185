using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Hosting;
using Gateway.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>An https upstream signed by an internal CA: trusted through the cluster's CA bundle only.</summary>
public sealed class UpstreamTlsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AClustersCaBundle_TrustsItsInternalCa_AndNothingElse()
    {
        using var ca = TestCertificates.Ca("Internal CA");
        using var otherCa = TestCertificates.Ca("Other CA");
        using var leaf = TestCertificates.Leaf(ca);
        File.WriteAllText(_dir.File("ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(_dir.File("other.pem"), otherCa.ExportCertificatePem());

        var (upstream, address) = await LoopbackHost.StartAsync(app => app.MapFallback(() => "upstream-ok"), leaf);
        await using var _ = upstream;
        var https = $"https://127.0.0.1:{address.Port}/";

        await using var gw = await TestGateway.StartAsync(_ => $$"""
            { "ReverseProxy": { "Routes": {
                "a": { "ClusterId": "trusted", "Match": { "Path": "/a/{**rest}" }, "Metadata": { "Gateway.Scope": "authenticated" } },
                "b": { "ClusterId": "system", "Match": { "Path": "/b/{**rest}" }, "Metadata": { "Gateway.Scope": "authenticated" } },
                "c": { "ClusterId": "other", "Match": { "Path": "/c/{**rest}" }, "Metadata": { "Gateway.Scope": "authenticated" } } },
              "Clusters": {
                "trusted": { "Destinations": { "d": { "Address": "{{https}}" } }, "Metadata": { "Gateway.UpstreamCaFile": "{{_dir.File("ca.pem")}}" } },
                "system": { "Destinations": { "d": { "Address": "{{https}}" } } },
                "other": { "Destinations": { "d": { "Address": "{{https}}" } }, "Metadata": { "Gateway.UpstreamCaFile": "{{_dir.File("other.pem")}}" } } } } }
            """);
        var trusted = await gw.ProxyAsync(HttpMethod.Get, "/a/x", gw.RootKey);
        Assert.Equal(200, trusted.Status);
        Assert.Equal("upstream-ok", trusted.Text);
        Assert.Equal(502, (await gw.ProxyAsync(HttpMethod.Get, "/b/x", gw.RootKey)).Status); // not in the system's roots
        Assert.Equal(502, (await gw.ProxyAsync(HttpMethod.Get, "/c/x", gw.RootKey)).Status); // another CA
    }

    [Fact]
    public void AMissingOrEmptyCaBundle_IsAStartupError()
    {
        File.WriteAllText(_dir.File("empty.pem"), "not a certificate");
        foreach (var (file, message) in new[] { (_dir.File("missing.pem"), "cannot be read"), (_dir.File("empty.pem"), "holds no certificate") })
        {
            File.WriteAllText(_dir.File("gateway.json"), $$"""
                { "ReverseProxy": { "Routes": {}, "Clusters": { "c": { "Destinations": { "d": { "Address": "https://127.0.0.1:9/" } },
                  "Metadata": { "Gateway.UpstreamCaFile": "{{file}}" } } } } }
                """);
            var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
                ["--config", _dir.File("gateway.json"), "--Gateway:Store:Path=" + _dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0"]));
            Assert.Contains(ex.Errors, e => e.Contains("Gateway.UpstreamCaFile") && e.Contains(message));
        }
    }
}
