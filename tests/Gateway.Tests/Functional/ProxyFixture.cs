using Gateway.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// The gateway in front of a real echo upstream, with routes of every scope kind, and the org of
/// <see cref="OrgFixture"/> built through the admin API.
/// </summary>
public class ProxyFixture : IAsyncLifetime
{
    public const string UpstreamSecret = "upstream-secret-Zq81";

    public EchoUpstream Echo { get; private set; } = null!;

    public TestGateway Gw { get; private set; } = null!;

    public Dictionary<string, string> Keys { get; } = new();

    /// <summary>The proxy listeners besides <see cref="TestGateway.ProxyUrl"/> (HTTP/1.1): plain HTTP/2 with prior knowledge, and TLS (HTTP/1.1 and HTTP/2 by ALPN).</summary>
    public Uri H2cUrl { get; private set; } = null!;

    public Uri TlsUrl { get; private set; } = null!;

    /// <summary>The thumbprint of the TLS listener's certificate (a client trusts exactly it).</summary>
    public string TlsThumbprint { get; private set; } = "";

    private readonly TempDirectory _certificates = new();

    /// <summary>Arguments choosing the store (none: the embedded LiteDB file).</summary>
    protected virtual Task<string[]> StoreArgumentsAsync() => Task.FromResult<string[]>([]);

    public virtual async Task InitializeAsync()
    {
        var store = await StoreArgumentsAsync();
        using (var ca = TestCertificates.Ca("proxy-ca"))
        using (var leaf = TestCertificates.Leaf(ca, "gateway"))
        {
            TestCertificates.WritePem(leaf, _certificates.File("gw.crt"), _certificates.File("gw.key"));
            TlsThumbprint = leaf.Thumbprint;
        }

        Echo = await EchoUpstream.StartAsync();
        Gw = await TestGateway.StartAsync(dir =>
        {
            File.WriteAllText(dir.File("upstream.secret"), UpstreamSecret + "\n");
            return Config(Echo.Url, dir.File("upstream.secret"));
        }, [
            "--Gateway:Store:LastUsedFlushInterval=00:00:01",
            // Tests look for particular sampled audit events (shadow mode): write every one.
            "--Gateway:Limits:AuditedFailuresPerSecond=1000000",
            // Every protocol a client may speak: the first listener is ProxyUrl (HTTP/1.1).
            "--Gateway:Proxy:Urls=http://127.0.0.1:0;h2c://127.0.0.1:0;https://127.0.0.1:0",
            $"--Gateway:Proxy:Certificate:Path={_certificates.File("gw.crt")}",
            $"--Gateway:Proxy:Certificate:KeyPath={_certificates.File("gw.key")}", .. store]);
        var ports = Gw.Services.GetRequiredService<Gateway.Hosting.GatewayListeners>().ProxyPorts;
        H2cUrl = new Uri($"http://127.0.0.1:{ports[1]}");
        TlsUrl = new Uri($"https://127.0.0.1:{ports[2]}");
        await OrgFixture.BuildAsync(Gw, Keys);
    }

    public virtual async Task DisposeAsync()
    {
        await Gw.DisposeAsync();
        await Echo.DisposeAsync();
        _certificates.Dispose();
    }

    public static string Config(Uri echo, string secretFile) => $$"""
    {
      "ReverseProxy": {
        "Routes": {
          "files": { "ClusterId": "echo", "Match": { "Path": "/files/{entity}/{project}/{run}/file_stream" },
                     "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project", "Gateway.Action": "write" } },
          "read": { "ClusterId": "echo", "Match": { "Path": "/read/{entity}/{project}/{**rest}" },
                    "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } },
          "artifacts": { "ClusterId": "echo", "Match": { "Path": "/artifacts/{entity}/{**rest}" },
                         "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Action": "read" } },
          "graphql": { "ClusterId": "echo", "Match": { "Path": "/graphql" }, "Metadata": { "Gateway.Scope": "authenticated" } },
          "public": { "ClusterId": "echo", "Match": { "Path": "/public/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } },
          "query": { "ClusterId": "echo", "Match": { "Path": "/q" },
                     "Metadata": { "Gateway.Scope": "query", "Gateway.Entity": "entity", "Gateway.Project": "project" } },
          "header": { "ClusterId": "echo", "Match": { "Path": "/h" },
                      "Metadata": { "Gateway.Scope": "header", "Gateway.Entity": "X-Entity", "Gateway.Project": "X-Project" } },
          "traces": { "ClusterId": "echo", "Match": { "Path": "/traces/v2/{entity}/{project}/{**rest}" },
                      "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" },
                      "Transforms": [ { "PathRemovePrefix": "/traces" } ] },
          "swap": { "ClusterId": "echo-with-credential", "Match": { "Path": "/swap/{entity}/{project}" },
                    "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } },
          "slow": { "ClusterId": "echo-impatient", "Match": { "Path": "/slow/{entity}/{project}" },
                    "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } },
          "gql": { "ClusterId": "echo", "Match": { "Path": "/gql" }, "Metadata": { "Gateway.Scope": "graphql" } },
          "gql-small": { "ClusterId": "echo", "Match": { "Path": "/gql-small" },
                         "Metadata": { "Gateway.Scope": "graphql", "Gateway.Body.MaxBytes": "2048", "Gateway.Body.MaxDecompressedBytes": "4096",
                                       "Gateway.GraphQL.MaxOperations": "2", "Gateway.GraphQL.MaxFields": "20", "Gateway.GraphQL.MaxDepth": "8" } },
          "shadow": { "ClusterId": "echo-with-credential", "Match": { "Path": "/shadow/{entity}/{project}/{**rest}" },
                      "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project", "Gateway.Mode": "shadow" } },
          "gql-get": { "ClusterId": "echo", "Match": { "Path": "/gql-get" }, "Metadata": { "Gateway.Scope": "graphql", "Gateway.GraphQL.AllowGet": "true" } },
          "public-cred": { "ClusterId": "echo-with-credential", "Match": { "Path": "/public-cred/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } },
          "public-send": { "ClusterId": "echo-anonymous-credential", "Match": { "Path": "/public-send/{**rest}" }, "Metadata": { "Gateway.Scope": "anonymous" } },
          "weave-json": { "ClusterId": "echo", "Match": { "Path": "/weave/{**op}", "Methods": [ "POST" ] },
                          "Metadata": { "Gateway.Scope": "json", "Gateway.Action": "write" } },
          "weave-file": { "ClusterId": "echo", "Match": { "Path": "/weave-file/create" }, "Metadata": { "Gateway.Scope": "multipart" } },
          "otlp": { "ClusterId": "echo", "Match": { "Path": "/otlp/v1/traces", "Methods": [ "POST" ] }, "Metadata": { "Gateway.Scope": "otlp" } },
          "weave-read": { "ClusterId": "echo", "Match": { "Path": "/weave-read" }, "Metadata": { "Gateway.Scope": "query", "Gateway.ProjectId": "project_id" } },
          "down": { "ClusterId": "nowhere", "Match": { "Path": "/down/{entity}/{project}" },
                    "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project" } }
        },
        "Clusters": {
          "echo": { "Destinations": { "d1": { "Address": "{{echo}}" } } },
          "echo-with-credential": { "Destinations": { "d1": { "Address": "{{echo}}" } },
                                    "Metadata": { "Gateway.UpstreamAuth": "bearer", "Gateway.UpstreamSecretFile": "{{secretFile}}" } },
          "echo-anonymous-credential": { "Destinations": { "d1": { "Address": "{{echo}}" } },
                                         "Metadata": { "Gateway.UpstreamAuth": "bearer", "Gateway.UpstreamSecretFile": "{{secretFile}}", "Gateway.UpstreamAuthAnonymous": "send" } },
          "echo-impatient": { "Destinations": { "d1": { "Address": "{{echo}}" } }, "HttpRequest": { "ActivityTimeout": "00:00:01" } },
          "nowhere": { "Destinations": { "d1": { "Address": "http://127.0.0.1:9/" } } }
        }
      }
    }
    """;
}
