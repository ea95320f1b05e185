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
    public async Task GraphQlIdLookups_UseTheClustersCaBundle_LikeForwardedRequests()
    {
        using var ca = TestCertificates.Ca("Internal CA");
        using var leaf = TestCertificates.Leaf(ca);
        File.WriteAllText(_dir.File("ca.pem"), ca.ExportCertificatePem());
        var lookups = 0;
        var (upstream, address) = await LoopbackHost.StartAsync(app => app.MapPost("/graphql", async (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            if (body.Contains("GatewayRunScope", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref lookups);
                return """{"data":{"run":{"project":{"name":"team-p","entityName":"ml"}}}}""";
            }

            return """{"data":{"deleteRun":{"clientMutationId":null}}}""";
        }), leaf);
        await using var _ = upstream;

        await using var gw = await TestGateway.StartAsync(_ => $$"""
            { "ReverseProxy": { "Routes": {
                "graphql": { "ClusterId": "wandb", "Match": { "Path": "/graphql" }, "Metadata": { "Gateway.Scope": "graphql" } } },
              "Clusters": {
                "wandb": { "Destinations": { "d": { "Address": "https://127.0.0.1:{{address.Port}}/" } }, "Metadata": { "Gateway.UpstreamCaFile": "{{_dir.File("ca.pem")}}" } } } } }
            """);
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" })).Status);
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/teams/ml/projects", gw.RootKey, new { name = "team-p" })).Status);
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/teams/ml/service-accounts", gw.RootKey, new { name = "ci" })).Status);
        var key = (await gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", gw.RootKey, new { name = "k" })).Str("key");
        var delete = new { query = "mutation DeleteRun($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }", variables = new { id = "UnVuOjc3" } };
        var response = await gw.ProxyAsync(HttpMethod.Post, "/graphql", key, delete);
        // The id was resolved over TLS against the internal CA (an own client with the system's roots
        // would have failed the handshake: 503 id_lookup_unavailable), then the mutation was forwarded.
        Assert.True(response.Status == 200, response.ToString());
        Assert.Equal(1, lookups);
        Assert.Contains("deleteRun", response.Text);
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
