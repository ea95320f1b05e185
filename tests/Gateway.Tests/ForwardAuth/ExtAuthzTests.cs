using System.Text;
using Gateway.ForwardAuth.Envoy.Auth;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// Envoy's ext_authz against the proxy path: every case of the access matrix is sent through the gateway's
/// proxy and asked of the authorizer in the CheckRequest shapes Envoy sends (HTTP/1.1 and HTTP/2, body as
/// text or bytes); the answers must be the same (status, code, words, and for an allowed request the
/// identity the upstream received). Without the body, a route that reads the body is refused.
/// </summary>
public sealed class ExtAuthzTests(AuthorizerGateway fixture) : IClassFixture<AuthorizerGateway>
{
    public static TheoryData<MatrixCase> Cases()
    {
        var data = new TheoryData<MatrixCase>();
        foreach (var c in AuthorizerGateway.Matrix())
        {
            data.Add(c);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryCase_IsAnsweredAsTheProxyAnswersIt(MatrixCase c)
    {
        var (proxy, upstream) = await fixture.ProxyAsync(c);
        foreach (var (http2, packAsBytes) in new[] { (false, false), (true, false), (true, true) })
        {
            var shape = $"{c} ({(http2 ? "HTTP/2" : "HTTP/1.1")}{(packAsBytes ? ", raw body" : "")})";
            var request = fixture.Envoy(c, http2, withBody: true, packAsBytes);
            var check = await fixture.Client.CheckAsync(request);
            AssertSameAnswer(shape, proxy, upstream, check, request.Attributes.Request.Http.Headers.Keys.ToList());
        }
    }

    private static void AssertSameAnswer(string shape, ApiResponse proxy, EchoRequest? upstream, CheckResponse check, List<string> sent)
    {
        if (upstream is not null)
        {
            Assert.True(check.HttpResponseCase == CheckResponse.HttpResponseOneofCase.OkResponse, $"{shape}: the proxy forwarded, ext_authz said {check.DeniedResponse}");
            Assert.Equal(0, check.Status.Code);
            var set = check.OkResponse.Headers.Select(h => new KeyValuePair<string, string>(h.Header.Key, h.Header.Value)).ToList();
            Assert.Equal(AuthorizerGateway.IdentityOf(upstream), AuthorizerGateway.IdentityOf(set));
            Assert.All(check.OkResponse.Headers, h => Assert.False(h.Append));
            Assert.Equal(upstream.Single("Authorization"), set.SingleOrDefault(h => h.Key == "Authorization").Value);
            // The client's credential and anything it sent in the gateway's namespace go; what the gateway sets is overwritten.
            var removed = check.OkResponse.HeadersToRemove;
            foreach (var name in sent.Where(n => n == "authorization" || n.StartsWith("x-gateway-", StringComparison.Ordinal)))
            {
                Assert.True(set.Any(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)) || removed.Contains(name), $"{shape}: {name} neither removed nor replaced");
            }

            return;
        }

        Assert.True(check.HttpResponseCase == CheckResponse.HttpResponseOneofCase.DeniedResponse, $"{shape}: the proxy answered {proxy}, ext_authz allowed");
        Assert.NotEqual(0, check.Status.Code);
        var denied = check.DeniedResponse;
        Assert.True(proxy.Status == (int)denied.Status.Code, $"{shape}: proxy {proxy}, ext_authz {(int)denied.Status.Code} {denied.Body}");
        Assert.Equal(proxy.Code, AuthorizerGateway.CodeOf(denied.Body));
        if (proxy.MediaType == "application/problem+json")
        {
            // The same words, but for each request's own id.
            var words = (string body) => System.Text.RegularExpressions.Regex.Replace(body, "\"requestId\":\"[0-9a-f]+\"", "");
            Assert.Equal(words(proxy.Text), words(denied.Body));
            Assert.Contains(denied.Headers, h => h.Header.Key == "X-Request-Id");
        }
        else
        {
            // The gateway's own answer (a viewer): the same body, sent by Envoy as a local reply.
            Assert.Equal(proxy.Text, denied.Body);
        }

        foreach (var name in new[] { "WWW-Authenticate", "Retry-After" })
        {
            Assert.Equal(proxy.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "",
                string.Join(", ", denied.Headers.Where(h => h.Header.Key == name).Select(h => h.Header.Value)));
        }
    }

    [Fact]
    public async Task ABodyRoute_WithoutTheBody_IsRefused_WhileOtherRoutesNeedNone()
    {
        var graphQl = AuthorizerGateway.Matrix().Single(c => c.Name == "GraphQL allowed");
        foreach (var http2 in new[] { false, true })
        {
            var check = await fixture.Client.CheckAsync(fixture.Envoy(graphQl, http2, withBody: false));
            Assert.Equal(403, (int)check.DeniedResponse.Status.Code);
            Assert.Equal("body_not_forwarded", AuthorizerGateway.CodeOf(check.DeniedResponse.Body));
        }

        // Envoy marks a body cut at max_request_bytes (allow_partial_message): that is no body either.
        var partial = fixture.Envoy(graphQl, http2: false, withBody: true);
        partial.Attributes.Request.Http.Headers["x-envoy-auth-partial-body"] = "true";
        Assert.Equal("body_not_forwarded", AuthorizerGateway.CodeOf((await fixture.Client.CheckAsync(partial)).DeniedResponse.Body));

        // A path-scoped write sent without its body is decided on the path, as the proxy does.
        var write = AuthorizerGateway.Matrix().Single(c => c.Name == "bob writes ml/team-p");
        Assert.Equal(CheckResponse.HttpResponseOneofCase.OkResponse, (await fixture.Client.CheckAsync(fixture.Envoy(write, false, withBody: false))).HttpResponseCase);
    }

    [Fact]
    public async Task TheGatewaysOwnAnswer_IsSentAsALocalReply_AndResponseRewrites_AreRefused()
    {
        var viewer = new MatrixCase("viewer", "dave", "POST", "/gql", "{\"query\": \"query Viewer { viewer { id username } }\"}");
        var (proxy, upstream) = await fixture.ProxyAsync(viewer);
        Assert.Null(upstream);
        var check = await fixture.Client.CheckAsync(fixture.Envoy(viewer, http2: true, withBody: true));
        Assert.Equal(200, (int)check.DeniedResponse.Status.Code);
        Assert.Equal(proxy.Text, check.DeniedResponse.Body);
        Assert.Contains("dave", check.DeniedResponse.Body, StringComparison.Ordinal);

        // An operation whose entity the gateway would fill in: the upstream would read another body.
        var defaulted = new MatrixCase("defaulted", "bob", "POST", "/gql", "{\"query\": \"query { project(name: \\\"team-p\\\") { id } }\"}");
        var refused = await fixture.Client.CheckAsync(fixture.Envoy(defaulted, http2: false, withBody: true));
        Assert.Equal(403, (int)refused.DeniedResponse.Status.Code);
        Assert.Equal("forward_auth_unsupported", AuthorizerGateway.CodeOf(refused.DeniedResponse.Body));
    }

    [Fact]
    public async Task TheClientAddress_IsEnvoysDownstream_ForKeyNetworks()
    {
        var key = (await fixture.Gw.PostAsync("/admin/v1/users/bob/keys", fixture.Keys["bob"], new { name = "office", allowedNetworks = new[] { "10.1.0.0/16" } })).Str("key");
        fixture.Keys["bob-office"] = key;
        var c = new MatrixCase("office key", "bob-office", "GET", "/read/ml/team-p/x");
        Assert.Equal(CheckResponse.HttpResponseOneofCase.OkResponse, (await fixture.Client.CheckAsync(fixture.Envoy(c, false, false, client: "10.1.2.3"))).HttpResponseCase);
        var outside = await fixture.Client.CheckAsync(fixture.Envoy(c, false, false, client: "192.0.2.7"));
        Assert.Equal("key_restricted", AuthorizerGateway.CodeOf(outside.DeniedResponse.Body));
    }

    [Fact]
    public async Task EncodedRawHeaders_AreRead()
    {
        var c = AuthorizerGateway.Matrix().Single(c => c.Name == "bob reads ml/team-p");
        var request = fixture.Envoy(c, http2: true, withBody: false);
        var map = new Gateway.ForwardAuth.Envoy.Core.HeaderMap();
        foreach (var (name, value) in request.Attributes.Request.Http.Headers)
        {
            map.Headers.Add(new Gateway.ForwardAuth.Envoy.Core.HeaderValue { Key = name, RawValue = Google.Protobuf.ByteString.CopyFrom(value, Encoding.UTF8) });
        }

        request.Attributes.Request.Http.Headers.Clear();
        request.Attributes.Request.Http.HeaderMap = map;
        var check = await fixture.Client.CheckAsync(request);
        Assert.Equal("bob", check.OkResponse.Headers.Single(h => h.Header.Key == "X-Gateway-Principal").Header.Value);
    }

    [Fact]
    public async Task ARequestThatIsNoHttpRequest_IsRefused_NotFailedOpen()
    {
        var check = await fixture.Client.CheckAsync(new CheckRequest());
        Assert.Equal(400, (int)check.DeniedResponse.Status.Code);
        Assert.Equal("invalid_check_request", AuthorizerGateway.CodeOf(check.DeniedResponse.Body));
    }
}
