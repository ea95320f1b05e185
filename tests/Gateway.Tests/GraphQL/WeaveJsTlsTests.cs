using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// The unmodified <c>weave</c> npm client (pinned in tests/js) against the gateway over TLS. The client
/// derives <c>https://&lt;host&gt;/graphql</c> and <c>https://&lt;host&gt;/traces</c> from the host of
/// WANDB_BASE_URL whatever its scheme, so without TLS on the gateway a bare project cannot be resolved.
/// Here the gateway's certificate is signed by an internal CA handed to node by NODE_EXTRA_CA_CERTS; the
/// gateway answers the client's <c>viewer</c> itself and forwards the traced call over https to a fake
/// trace server trusted through the cluster's CA bundle.
/// </summary>
public sealed class WeaveJsTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly ConcurrentQueue<EchoRequest> _received = new();
    private WebApplication _traceServer = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _upstreamCertificate = null!;
    private TestGateway _gw = null!;
    private readonly Dictionary<string, string> _keys = new();

    public async Task InitializeAsync()
    {
        using var ca = TestCertificates.Ca("Gateway Test CA");
        File.WriteAllText(_dir.File("ca.pem"), ca.ExportCertificatePem());
        using var gatewayCertificate = TestCertificates.Leaf(ca, "gateway");
        var (cert, key) = TestCertificates.WritePem(gatewayCertificate, _dir.File("gw.crt"), _dir.File("gw.key"));
        // Kept until the server stops: Kestrel uses its key for every handshake.
        _upstreamCertificate = TestCertificates.Leaf(ca, "trace-server");
        Uri upstream;
        (_traceServer, upstream) = await LoopbackHost.StartAsync(app => app.Run(AnswerAsync), _upstreamCertificate);
        File.WriteAllText(_dir.File("upstream.secret"), "shared-trace-key-4471\n");
        _gw = await TestGateway.StartAsync(_ => Config(upstream, _dir.File("upstream.secret"), _dir.File("ca.pem")),
            "--Gateway:Proxy:Urls=https://127.0.0.1:0", $"--Gateway:Proxy:Certificate:Path={cert}", $"--Gateway:Proxy:Certificate:KeyPath={key}");
        await OrgFixture.BuildAsync(_gw, _keys);
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _traceServer.DisposeAsync();
        _upstreamCertificate.Dispose();
        _dir.Dispose();
    }

    // What a Weave trace server answers to the calls one traced op makes.
    private async Task AnswerAsync(HttpContext context)
    {
        var request = await EchoRequest.ReadAsync(context);
        _received.Enqueue(request);
        context.Response.ContentType = "application/json";
        switch (context.Request.Path.Value)
        {
            case "/file/create":
                await context.Response.WriteAsync("""{"digest":"f1le"}""");
                break;
            case "/obj/create":
                await context.Response.WriteAsync("""{"digest":"0bjd1gest"}""");
                break;
            case "/call/upsert_batch":
                await context.Response.WriteAsync("{}");
                break;
            default:
                context.Response.StatusCode = 404;
                break;
        }
    }

    private static string Config(Uri upstream, string secretFile, string caFile) => $$"""
    {
      "ReverseProxy": {
        "Routes": {
          "graphql": { "ClusterId": "wandb", "Match": { "Path": "/graphql" }, "Metadata": { "Gateway.Scope": "graphql" } },
          "file-create": { "ClusterId": "trace", "Match": { "Path": "/traces/file/create", "Methods": [ "POST" ] },
                           "Metadata": { "Gateway.Scope": "multipart", "Gateway.Action": "write" }, "Transforms": [ { "PathRemovePrefix": "/traces" } ] },
          "obj-create": { "ClusterId": "trace", "Match": { "Path": "/traces/obj/create", "Methods": [ "POST" ] },
                          "Metadata": { "Gateway.Scope": "json", "Gateway.Action": "write" }, "Transforms": [ { "PathRemovePrefix": "/traces" } ] },
          "upsert-batch": { "ClusterId": "trace", "Match": { "Path": "/traces/call/upsert_batch", "Methods": [ "POST" ] },
                            "Metadata": { "Gateway.Scope": "json", "Gateway.Action": "write" }, "Transforms": [ { "PathRemovePrefix": "/traces" } ] }
        },
        "Clusters": {
          "wandb": { "Destinations": { "d1": { "Address": "https://127.0.0.1:{{upstream.Port}}/" } },
                     "Metadata": { "Gateway.UpstreamAuth": "basic", "Gateway.UpstreamSecretFile": "{{secretFile}}", "Gateway.UpstreamCaFile": "{{caFile}}" } },
          "trace": { "Destinations": { "d1": { "Address": "https://127.0.0.1:{{upstream.Port}}/" } },
                     "Metadata": { "Gateway.UpstreamAuth": "basic", "Gateway.UpstreamSecretFile": "{{secretFile}}", "Gateway.UpstreamCaFile": "{{caFile}}" } }
        }
      }
    }
    """;

    private Dictionary<string, string> Environment(bool trustCa) => new()
    {
        ["WANDB_BASE_URL"] = $"https://127.0.0.1:{_gw.ProxyUrl.Port}",
        ["WANDB_API_KEY"] = _keys["ci@ml"],
        [trustCa ? "NODE_EXTRA_CA_CERTS" : "WEAVE_UNUSED"] = _dir.File("ca.pem"),
        ["WEAVE_PRINT_CALL_LINK"] = "false",
    };

    [Fact]
    public async Task WeaveInit_WithABareProject_OverTls_TracesIntoTheServiceAccountsTeam()
    {
        await NodeClients.EnsureInstalledAsync();
        var (exit, output, errors) = await NodeClients.RunAsync("node", ["weave-trace.mjs", "team-p"], Environment(trustCa: true));
        Assert.True(exit == 0, $"node exited {exit}: {output}\n{errors}");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{'));
        using (var result = JsonDocument.Parse(line))
        {
            // The viewer the gateway answered: the team service account's default entity is its team.
            Assert.Equal("ml/team-p", result.RootElement.GetProperty("projectId").GetString());
            Assert.Equal(5, result.RootElement.GetProperty("sum").GetInt32());
        }

        // The viewer never reached the shared-credential upstream; the op's code, the op object and the
        // call batch did, for ml/team-p, attributed to the service account, with the upstream's own key.
        Assert.DoesNotContain(_received, r => r.Path == "/graphql");
        var paths = _received.Select(r => r.Path).ToList();
        Assert.Contains("/file/create", paths);
        Assert.Contains("/obj/create", paths);
        var batch = _received.Last(r => r.Path == "/call/upsert_batch");
        Assert.Contains("\"project_id\":\"ml/team-p\"", batch.Body, StringComparison.Ordinal);
        Assert.Contains("weave:///ml/team-p/op/add:0bjd1gest", batch.Body, StringComparison.Ordinal);
        foreach (var request in _received)
        {
            Assert.Equal("ci@ml", request.Single("X-Gateway-Principal"));
            Assert.Equal("Basic " + Convert.ToBase64String("api:shared-trace-key-4471"u8.ToArray()), request.Single("Authorization"));
        }
    }

    [Fact]
    public async Task WithoutTheCa_TheClientRefusesTheGatewaysCertificate_AndNothingIsSent()
    {
        await NodeClients.EnsureInstalledAsync();
        var (exit, output, errors) = await NodeClients.RunAsync("node", ["weave-trace.mjs", "team-p"], Environment(trustCa: false));
        Assert.NotEqual(0, exit);
        Assert.Contains("certificate", output + errors, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_received);
    }
}
