using Gateway.Hosting;
using Gateway.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// Forward-auth against the proxy path: the access matrix asked of <c>/verify</c> as Traefik's forwardAuth
/// asks (X-Forwarded-* and the body), and sent through a real nginx whose auth_request asks
/// <c>/verify/auth-request</c> and sets the identity headers it is given on the request to the recording
/// upstream. The answers are the proxy's, but where a proxy cannot carry them (nginx passes 401 and 403 only;
/// it never sends a body to its auth request).
/// </summary>
public sealed class ForwardAuthTests(AuthorizerGateway fixture) : IClassFixture<AuthorizerGateway>
{
    public static TheoryData<MatrixCase> Cases() => ExtAuthzTests.Cases();

    // Where the route reads its scope from the body (GraphQL over POST, Weave JSON).
    private static bool ReadsBody(MatrixCase c) => c.Method == "POST" && (c.PathAndQuery.StartsWith("/gql", StringComparison.Ordinal) || c.PathAndQuery.StartsWith("/weave/", StringComparison.Ordinal));

    private static bool SpoofsNamespace(MatrixCase c) => c.Headers?.Any(h => h.Name.StartsWith("X-Gateway-", StringComparison.OrdinalIgnoreCase)) ?? false;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Traefik_EveryCase_IsAnsweredAsTheProxyAnswersIt(MatrixCase c)
    {
        var (proxy, upstream) = await fixture.ProxyAsync(c);
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), fixture.VerifyUrl);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Method", c.Method);
        request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", "http");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Host", "tracking.example");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Uri", c.PathAndQuery);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "127.0.0.1");
        // forwardBody: the original body is the asking request's own.
        fixture.AddCase(request, c);

        using var verify = await fixture.Gw.Http.SendAsync(request);
        var text = await verify.Content.ReadAsStringAsync();
        if (SpoofsNamespace(c))
        {
            // The proxy strips such a header; an asking proxy cannot be told to remove a name it does not know.
            Assert.Equal(400, (int)verify.StatusCode);
            Assert.Equal("reserved_header", AuthorizerGateway.CodeOf(text));
            return;
        }

        if (upstream is not null)
        {
            Assert.True(verify.StatusCode == System.Net.HttpStatusCode.OK, $"{c}: the proxy forwarded, /verify said {(int)verify.StatusCode} {text}");
            var answered = verify.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v)));
            Assert.Equal(AuthorizerGateway.IdentityOf(upstream), AuthorizerGateway.IdentityOf(answered));
            Assert.Equal(upstream.Single("Authorization"), verify.Headers.TryGetValues("Authorization", out var credential) ? credential.Single() : null);
            return;
        }

        Assert.True(proxy.Status == (int)verify.StatusCode, $"{c}: proxy {proxy}, /verify {(int)verify.StatusCode} {text}");
        Assert.Equal(proxy.Code, AuthorizerGateway.CodeOf(text));
        var words = (string body) => System.Text.RegularExpressions.Regex.Replace(body, "\"requestId\":\"[0-9a-f]+\"", "");
        Assert.Equal(words(proxy.Text), words(text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Nginx_EveryCase_IsAnsweredAsTheProxyAnswersIt(MatrixCase c)
    {
        if (c.Headers?.Any(h => h.Name.Contains('_')) ?? false)
        {
            // nginx drops header names with underscores before anything reads them (underscores_in_headers off).
            return;
        }

        var nginx = await fixture.NginxAsync();
        var (proxy, upstream) = await fixture.ProxyAsync(c);
        var marker = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(new HttpMethod(c.Method),
            new Uri(nginx.Url.ToString().TrimEnd('/') + c.PathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        request.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
        fixture.AddCase(request, c);

        using var response = await fixture.Gw.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var through = fixture.Echo.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker);
        string Shown() => $"{c}: proxy {proxy}; nginx {(int)response.StatusCode} {text}";
        if (upstream is not null && !ReadsBody(c) && !SpoofsNamespace(c))
        {
            Assert.True(through is not null, Shown());
            Assert.Equal(AuthorizerGateway.IdentityOf(upstream), AuthorizerGateway.IdentityOf(through));
            Assert.Equal(upstream.Single("Authorization"), through.Single("Authorization"));
            Assert.Equal(upstream.Body, through.Body);
            return;
        }

        Assert.True(through is null, Shown());
        // nginx never sends its auth request a body: a route that reads one is refused whatever the body says.
        var (status, code) = SpoofsNamespace(c) ? (400, "reserved_header") : ReadsBody(c) ? (403, "body_not_forwarded") : (proxy.Status, proxy.Code);
        if (status == 401)
        {
            Assert.Equal(401, (int)response.StatusCode);
            Assert.Equal(proxy.Headers.WwwAuthenticate.ToString(), response.Headers.WwwAuthenticate.ToString());
        }
        else
        {
            // auth_request passes 401 and 403 only: every other refusal is a 403 naming the gateway's status and code.
            Assert.True((int)response.StatusCode == 403, Shown());
            Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-Gateway-Status").Single());
        }

        Assert.Equal(code, AuthorizerGateway.CodeOf(text));
        Assert.Matches("^[0-9a-f]{24}$", response.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task Verify_WithoutTheOriginalRequest_IsRefused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, fixture.VerifyUrl);
        request.Headers.TryAddWithoutValidation("Authorization", AuthorizerGateway.Basic(fixture.Keys["bob"]));
        using var response = await fixture.Gw.Http.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("invalid_check_request", AuthorizerGateway.CodeOf(await response.Content.ReadAsStringAsync()));

        // The authorizer's endpoints are on its listener only; the proxy's routes are not there either.
        Assert.Equal(404, (await fixture.Gw.ProxyAsync(HttpMethod.Get, "/verify", fixture.Keys["bob"])).Status);
        var port = fixture.Gw.Services.GetRequiredService<GatewayListeners>().AuthorizerPorts[1];
        using var direct = await fixture.Gw.Http.GetAsync($"http://127.0.0.1:{port}/read/ml/team-p/x");
        Assert.Equal(404, (int)direct.StatusCode);
    }

    [Fact]
    public async Task OnlyTheTrustedProxies_MayAsk()
    {
        await using var gw = await TestGateway.StartAsync("--Gateway:Authorizer:Urls=h2c://127.0.0.1:0;http://127.0.0.1:0", "--Gateway:Authorizer:TrustedProxies:0=10.0.0.0/8");
        var ports = gw.Services.GetRequiredService<GatewayListeners>().AuthorizerPorts;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{ports[1]}/verify");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Method", "GET");
        request.Headers.TryAddWithoutValidation("X-Forwarded-Uri", "/read/ml/p/x");
        request.Headers.TryAddWithoutValidation("Authorization", AuthorizerGateway.Basic(gw.RootKey));
        using var verify = await gw.Http.SendAsync(request);
        Assert.Equal(403, (int)verify.StatusCode);
        Assert.Equal("authorizer_caller_refused", AuthorizerGateway.CodeOf(await verify.Content.ReadAsStringAsync()));

        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{ports[0]}");
        var client = new Gateway.ForwardAuth.Envoy.Auth.Authorization.AuthorizationClient(channel);
        var check = await client.CheckAsync(fixture.Envoy(new MatrixCase("root", null, "GET", "/read/ml/p/x"), http2: true, withBody: false));
        Assert.Equal(403, (int)check.DeniedResponse.Status.Code);
        Assert.Equal("authorizer_caller_refused", AuthorizerGateway.CodeOf(check.DeniedResponse.Body));
    }

    [Fact]
    public void AuthorizerSettings_WithoutUrls_OrOnATakenPort_RefuseStartup()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
        [
            "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:5999", "--Gateway:Admin:Urls=http://127.0.0.1:0",
            "--Gateway:Authorizer:TrustedProxies:0=not-an-address",
        ]));
        Assert.Contains(ex.Errors, e => e.Contains("Gateway:Authorizer has TrustedProxies, a Certificate or a ClientAddressHeader but no Urls", StringComparison.Ordinal));
        ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
        [
            "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:5999", "--Gateway:Admin:Urls=http://127.0.0.1:0",
            "--Gateway:Authorizer:Urls=h2c://127.0.0.1:5999", "--Gateway:Authorizer:TrustedProxies:0=not-an-address",
        ]));
        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.Contains("Gateway:Authorizer:Urls uses port 5999", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("Gateway:Authorizer:TrustedProxies:0 'not-an-address'", StringComparison.Ordinal));
    }
}
