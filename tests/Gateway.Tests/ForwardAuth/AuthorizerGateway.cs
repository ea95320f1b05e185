using System.Text;
using System.Text.Json;
using Gateway.ForwardAuth.Envoy.Auth;
using Gateway.ForwardAuth.Envoy.Core;
using Gateway.Hosting;
using Gateway.Tests.Common;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.ForwardAuth;

/// <summary>One request of the access matrix: who sends it (a fixture key name, "bad" for a broken key, null for none) and what.</summary>
public sealed record MatrixCase(string Name, string? Who, string Method, string PathAndQuery, string? Body = null,
    string ContentType = "application/json", (string Name, string Value)[]? Headers = null)
{
    public override string ToString() => Name;
}

/// <summary>
/// The org gateway with the authorizer listener on: ext_authz over h2c on one port, forward-auth on another.
/// The proxy's answer to each case is what the authorizers must agree with.
/// </summary>
public sealed class AuthorizerGateway : IAsyncLifetime
{
    private OrgGateway? _org;

    public TestGateway Gw => _org!.Gw;

    public EchoUpstream Echo => _org!.Echo;

    public Dictionary<string, string> Keys => _org!.Keys;

    public GrpcChannel Channel { get; private set; } = null!;

    public Gateway.ForwardAuth.Envoy.Auth.Authorization.AuthorizationClient Client { get; private set; } = null!;

    public Uri VerifyUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _org = await OrgGateway.StartAsync("--Gateway:Authorizer:Urls=h2c://127.0.0.1:0;http://127.0.0.1:0");
        var ports = Gw.Services.GetRequiredService<GatewayListeners>().AuthorizerPorts;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ports[0]}");
        Client = new Gateway.ForwardAuth.Envoy.Auth.Authorization.AuthorizationClient(Channel);
        VerifyUrl = new Uri($"http://127.0.0.1:{ports[1]}/verify");
    }

    private NginxAuthRequest? _nginx;
    private readonly SemaphoreSlim _nginxStart = new(1, 1);

    /// <summary>nginx asking this gateway's forward-auth, started once for the tests that use it.</summary>
    internal async Task<NginxAuthRequest> NginxAsync()
    {
        await _nginxStart.WaitAsync();
        try
        {
            var ports = Gw.Services.GetRequiredService<GatewayListeners>().AuthorizerPorts;
            return _nginx ??= await NginxAuthRequest.StartAsync(ports[1], Echo.Url);
        }
        finally
        {
            _nginxStart.Release();
        }
    }

    public async Task DisposeAsync()
    {
        _nginx?.Dispose();
        Channel.Dispose();
        await _org!.DisposeAsync();
    }

    public string? Credential(string? who) => who switch
    {
        null => null,
        "bad" => "gw_AAAAAAAAAAAAAAAA_" + new string('x', 43),
        _ => Keys[who],
    };

    /// <summary>What the proxy answers, and what the upstream received when it forwarded.</summary>
    public async Task<(ApiResponse Response, EchoRequest? Upstream)> ProxyAsync(MatrixCase c)
    {
        var marker = Guid.NewGuid().ToString("N");
        // Sent as written: HttpClient would otherwise resolve dot segments before the gateway sees them.
        using var request = new HttpRequestMessage(new HttpMethod(c.Method),
            new Uri(Gw.ProxyUrl.ToString().TrimEnd('/') + c.PathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        request.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
        AddCase(request, c);
        using var response = await Gw.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (new ApiResponse((int)response.StatusCode, text, response.Headers, response.Content.Headers.ContentType?.MediaType),
            Echo.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    /// <summary>The case's credential, headers and body on a request (to the proxy, to nginx, or to /verify as Traefik forwards them).</summary>
    public void AddCase(HttpRequestMessage request, MatrixCase c)
    {
        if (Credential(c.Who) is { } key)
        {
            request.Headers.TryAddWithoutValidation("Authorization", Basic(key));
        }

        foreach (var (name, value) in c.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (c.Body is not null)
        {
            request.Content = new StringContent(c.Body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(c.ContentType);
        }
    }

    public static string Basic(string key) => "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key));

    /// <summary>
    /// The CheckRequest Envoy's ext_authz filter sends for this request: lower-case headers (pseudo-headers
    /// included) in attributes.request.http.headers, the request target in path, :authority in host, the
    /// downstream address in source; HTTP/1.1 carries content-length, HTTP/2 need not; the body only with
    /// with_request_body (UTF-8 in body, or raw_body with pack_as_bytes).
    /// </summary>
    public CheckRequest Envoy(MatrixCase c, bool http2, bool withBody, bool packAsBytes = false, string client = "127.0.0.1")
    {
        var http = new AttributeContext.Types.HttpRequest
        {
            Id = "4148521730918419254", Method = c.Method, Path = c.PathAndQuery, Host = "tracking.example", Scheme = "http",
            Protocol = http2 ? "HTTP/2" : "HTTP/1.1",
        };
        http.Headers[":authority"] = "tracking.example";
        http.Headers[":method"] = c.Method;
        http.Headers[":path"] = c.PathAndQuery;
        http.Headers[":scheme"] = "http";
        http.Headers["user-agent"] = "wandb/0.19.1";
        http.Headers["x-forwarded-proto"] = "http";
        http.Headers["x-request-id"] = Guid.NewGuid().ToString();
        if (Credential(c.Who) is { } key)
        {
            http.Headers["authorization"] = Basic(key);
        }

        foreach (var (name, value) in c.Headers ?? [])
        {
            http.Headers[name.ToLowerInvariant()] = value;
        }

        var bytes = c.Body is null ? [] : Encoding.UTF8.GetBytes(c.Body);
        http.Size = c.Body is null ? 0 : http2 ? -1 : bytes.Length;
        if (c.Body is not null)
        {
            http.Headers["content-type"] = c.ContentType;
            if (!http2)
            {
                http.Headers["content-length"] = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (withBody)
            {
                if (packAsBytes)
                {
                    http.RawBody = Google.Protobuf.ByteString.CopyFrom(bytes);
                }
                else
                {
                    http.Body = c.Body;
                }
            }
        }

        return new CheckRequest
        {
            Attributes = new AttributeContext
            {
                Source = new AttributeContext.Types.Peer { Address = new Address { SocketAddress = new SocketAddress { Address = client, PortValue = 51234 } } },
                Destination = new AttributeContext.Types.Peer { Address = new Address { SocketAddress = new SocketAddress { Address = "127.0.0.1", PortValue = 10000 } } },
                Request = new AttributeContext.Types.Request { Http = http, Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow) },
            },
        };
    }

    /// <summary>The problem code of a body, or null when it is none.</summary>
    public static string? CodeOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The identity headers the upstream received from the proxy (the gateway's namespace), by lower-case name.</summary>
    public static SortedDictionary<string, string> IdentityOf(EchoRequest upstream)
        => new(upstream.Headers.Where(h => h.Key.StartsWith("X-Gateway-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value), StringComparer.Ordinal);

    public static SortedDictionary<string, string> IdentityOf(IEnumerable<KeyValuePair<string, string>> headers)
        => new(headers.Where(h => h.Key.StartsWith("X-Gateway-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value), StringComparer.Ordinal);

    /// <summary>The access matrix: principals x projects x read/write on path routes, and every other scope kind.</summary>
    public static IEnumerable<MatrixCase> Matrix()
    {
        string[] principals = ["bob", "vic", "dave", "ci@ml", "cvbot@cv", "bot@acme", "nep@acme"];
        string[] projects = ["open-p", "pub-p", "team-p", "secret", "late-p"];
        foreach (var who in principals)
        {
            foreach (var project in projects)
            {
                yield return new MatrixCase($"{who} reads ml/{project}", who, "GET", $"/read/ml/{project}/data.json");
                yield return new MatrixCase($"{who} writes ml/{project}", who, "POST", $"/files/ml/{project}/run-7/file_stream", "{}");
            }
        }

        yield return new MatrixCase("no credential", null, "GET", "/read/ml/team-p/x");
        yield return new MatrixCase("a broken key", "bad", "GET", "/read/ml/team-p/x");
        yield return new MatrixCase("query scope allowed", "bob", "GET", "/q?entity=ml&project=team-p");
        yield return new MatrixCase("query scope refused", "dave", "GET", "/q?entity=ml&project=team-p");
        yield return new MatrixCase("query scope, a hidden project", "bob", "GET", "/q?entity=ml&project=secret");
        yield return new MatrixCase("header scope allowed", "ci@ml", "GET", "/h", Headers: [("X-Entity", "ml"), ("X-Project", "team-p")]);
        yield return new MatrixCase("header scope refused", "cvbot@cv", "GET", "/h", Headers: [("X-Entity", "ml"), ("X-Project", "team-p")]);
        yield return new MatrixCase("authenticated route", "dave", "GET", "/graphql");
        yield return new MatrixCase("anonymous route", null, "GET", "/public/readme");
        yield return new MatrixCase("an entity of another org", "bob", "GET", "/artifacts/cv/x");
        yield return new MatrixCase("a dot segment", "bob", "GET", "/read/ml/team-p/../secret/x");
        yield return new MatrixCase("an encoded slash", "bob", "GET", "/read/ml%2Fsecret/team-p/x");
        yield return new MatrixCase("no route", "bob", "GET", "/nowhere/at/all");
        yield return new MatrixCase("a spoofed identity header", "vic", "GET", "/read/ml/team-p/x", Headers: [("X-Gateway-Principal", "erin"), ("X-Gateway-Entity", "cv")]);
        yield return new MatrixCase("an underscore twin", "vic", "GET", "/read/ml/team-p/x", Headers: [("X_Gateway_Principal", "erin")]);
        yield return new MatrixCase("GraphQL allowed", "bob", "POST", "/gql", "{\"query\":\"query { project(entityName: \\\"ml\\\", name: \\\"team-p\\\") { id } }\"}");
        yield return new MatrixCase("GraphQL refused", "cvbot@cv", "POST", "/gql", "{\"query\":\"query { project(entityName: \\\"ml\\\", name: \\\"team-p\\\") { id } }\"}");
        yield return new MatrixCase("GraphQL hidden", "bob", "POST", "/gql", "{\"query\":\"query { project(entityName: \\\"ml\\\", name: \\\"secret\\\") { id } }\"}");
        yield return new MatrixCase("GraphQL mutation by a viewer", "vic", "POST", "/gql",
            "{\"query\":\"mutation { upsertBucket(input: {entityName: \\\"ml\\\", project: \\\"team-p\\\", name: \\\"r1\\\"}) { bucket { id } } }\"}");
        yield return new MatrixCase("GraphQL over GET", "bob", "GET", "/gql-get?query=" + Uri.EscapeDataString("query { project(entityName: \"ml\", name: \"team-p\") { id } }"));
        yield return new MatrixCase("invalid GraphQL", "bob", "POST", "/gql", "{\"query\":\"query {\"}");
        yield return new MatrixCase("Weave JSON allowed", "ci@ml", "POST", "/weave/call/start", "{\"start\":{\"project_id\":\"ml/team-p\"}}");
        yield return new MatrixCase("Weave JSON refused", "vic", "POST", "/weave/call/start", "{\"start\":{\"project_id\":\"ml/team-p\"}}");
        yield return new MatrixCase("shadow route, would be refused", "dave", "GET", "/shadow/ml/team-p/x");
    }
}
