using System.Net.Http.Headers;
using System.Text;
using Gateway.ForwardAuth.Envoy.Auth;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.ForwardAuth;

/// <summary>What an adversarial review tried against the authorizers, each now refused or removed.</summary>
public sealed class ForwardAuthAttackTests(AuthorizerGateway fixture) : IClassFixture<AuthorizerGateway>
{
    private async Task<(int Status, string Text, HttpResponseHeaders Headers, EchoRequest? Upstream)> ThroughNginxAsync(string method, string pathAndQuery, string? who,
        (string Name, string Value)[] headers, string? body = null)
    {
        var nginx = await fixture.NginxAsync();
        var marker = Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(nginx.Url, pathAndQuery));
        request.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
        if (fixture.Credential(who) is { } key)
        {
            request.Headers.TryAddWithoutValidation("Authorization", AuthorizerGateway.Basic(key));
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await fixture.Gw.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text, response.Headers, fixture.Echo.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    [Fact]
    public async Task Nginx_AClientsOwnXForwardedUri_IsNeverTheRequestDecided()
    {
        // A viewer's write described as a read; no credential described as a shadow route with the upstream's credential.
        var (status, text, headers, upstream) = await ThroughNginxAsync("POST", "/files/ml/team-p/r1/file_stream", "vic",
            [("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", "/read/ml/team-p/x")], "{}");
        Assert.Null(upstream);
        Assert.Equal(403, status);
        Assert.Equal("400", headers.GetValues("X-Gateway-Status").Single());
        Assert.Equal("invalid_check_request", AuthorizerGateway.CodeOf(text));

        (status, _, _, upstream) = await ThroughNginxAsync("GET", "/read/ml/secret/anything", null, [("X-Forwarded-Uri", "/shadow/ml/team-p/x")]);
        Assert.Null(upstream);
        Assert.Equal(403, status);
    }

    [Fact]
    public async Task Traefik_AnOriginalUriHeader_OrTwoUris_AreRefused()
    {
        foreach (var extra in new[] { ("X-Original-URI", "/read/ml/team-p/x"), ("X-Forwarded-Uri", "/read/ml/open-p/x") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, fixture.VerifyUrl);
            request.Headers.TryAddWithoutValidation("X-Forwarded-Method", "GET");
            request.Headers.TryAddWithoutValidation("X-Forwarded-Uri", "/read/ml/secret/x");
            request.Headers.TryAddWithoutValidation(extra.Item1, extra.Item2);
            request.Headers.TryAddWithoutValidation("Authorization", AuthorizerGateway.Basic(fixture.Keys["bob"]));
            using var verify = await fixture.Gw.Http.SendAsync(request);
            Assert.Equal(400, (int)verify.StatusCode);
            Assert.Equal("invalid_check_request", AuthorizerGateway.CodeOf(await verify.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task Nginx_EveryHeaderTheProxyStrips_NeverReachesTheUpstreamAsSent()
    {
        // Every one but the credentials (a second credential is refused as ambiguous, by the proxy too).
        string[] credentials = ["Authorization", "wandb-api-key", "X-Neptune-Api-Token"];
        var sent = Transforms.IdentityHeaderNames.Stripped.Where(h => !credentials.Contains(h)).Select(h => (h, "spoofed-" + h)).ToArray();
        var (status, text, _, upstream) = await ThroughNginxAsync("GET", "/read/ml/team-p/x", "bob", sent);
        Assert.True(upstream is not null, $"{status} {text}");
        foreach (var (name, value) in sent)
        {
            Assert.DoesNotContain(value, upstream.Values(name));
        }
    }

    [Fact]
    public void TheDocumentedConfigurations_HandleEveryHeaderTheProxyStrips()
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "docs", "forward-auth.md"));
        var nginx = page[page.IndexOf("## nginx", StringComparison.Ordinal)..page.IndexOf("## Traefik", StringComparison.Ordinal)];
        var traefik = page[page.IndexOf("## Traefik", StringComparison.Ordinal)..];
        foreach (var name in Transforms.IdentityHeaderNames.Stripped.Concat(NginxAuthRequest.Forwarded).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            Assert.Contains($"proxy_set_header {name} ", nginx, StringComparison.Ordinal);
            Assert.Contains($"- {name}\n", traefik, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ExtAuthz_AGraphQlGetDeclaringABody_NeedsTheBody()
    {
        var query = "/gql-get?query=" + Uri.EscapeDataString("query { project(entityName: \"ml\", name: \"team-p\") { id } }");
        var c = new MatrixCase("get with body", "bob", "GET", query, "{\"query\":\"mutation { upsertBucket(input: {entityName: \\\"ml\\\", project: \\\"secret\\\", name: \\\"r1\\\"}) { bucket { id } } }\"}");
        var check = await fixture.Client.CheckAsync(fixture.Envoy(c, http2: false, withBody: false));
        Assert.Equal("body_not_forwarded", AuthorizerGateway.CodeOf(check.DeniedResponse.Body));
        var (proxy, _) = await fixture.ProxyAsync(c);
        var sent = await fixture.Client.CheckAsync(fixture.Envoy(c, http2: false, withBody: true));
        Assert.Equal(proxy.Status, (int)sent.DeniedResponse.Status.Code);
        Assert.Equal(proxy.Code, AuthorizerGateway.CodeOf(sent.DeniedResponse.Body));
    }

    [Fact]
    public async Task ExtAuthz_ABigCheckRequest_IsADenial_NotAnRpcError()
    {
        var big = fixture.Envoy(new MatrixCase("big", "bob", "POST", "/gql", "x"), http2: true, withBody: true, packAsBytes: true);
        big.Attributes.Request.Http.RawBody = Google.Protobuf.ByteString.CopyFrom(new byte[40 * 1024 * 1024]);
        var check = await fixture.Client.CheckAsync(big);
        Assert.Equal(CheckResponse.HttpResponseOneofCase.DeniedResponse, check.HttpResponseCase);
        Assert.Equal(413, (int)check.DeniedResponse.Status.Code);
    }
}
