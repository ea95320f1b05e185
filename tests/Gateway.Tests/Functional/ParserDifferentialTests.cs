using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Requests that a common upstream parser would read differently from the gateway: each is refused
/// with 400 and a stable code before any decision, over raw sockets against the real gateway and a
/// recording upstream, and nothing reaches the upstream; the canonical form of each still works.
/// Fixture: bob is an ml member, alice the ml admin, carol the cv admin; ml/secret is restricted,
/// ml/team-p team-visible, ml/open-p open; cv/cv-p belongs to cv.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed partial class ParserDifferentialTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    private async Task<(int Status, string Text, EchoRequest? Upstream)> RawAsync(string method, string target, string? body = null,
        string contentType = "application/json", string? who = "bob", params string[] headers)
    {
        var marker = Marker();
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var head = new StringBuilder($"{method} {target} HTTP/1.1\r\nHost: gw\r\nX-Test-Marker: {marker}\r\n");
        if (who is not null)
        {
            head.Append("Authorization: Basic ").Append(Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K(who)))).Append("\r\n");
        }

        if (body is not null)
        {
            head.Append($"Content-Type: {contentType}\r\nContent-Length: {bytes.Length}\r\n");
        }

        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        var (status, text) = await RawHttp.SendBytesAsync(Gw.ProxyUrl, head.ToString(), bytes);
        return (status, text, Upstream(marker));
    }

    private async Task AssertRefused(int status, string code, Task<(int Status, string Text, EchoRequest? Upstream)> call)
    {
        var (actual, text, upstream) = await call;
        Assert.True(actual == status && text.Contains($"\"code\":\"{code}\"", StringComparison.Ordinal), $"expected {status} {code}, got {text}");
        Assert.Null(upstream);
    }

    private static async Task<EchoRequest> AssertForwarded(Task<(int Status, string Text, EchoRequest? Upstream)> call)
    {
        var (status, text, upstream) = await call;
        Assert.True(status == 200, text);
        Assert.NotNull(upstream);
        return upstream;
    }

    // The body after the headers, without the request id (the one part that differs between two refusals).
    private static string Body(string text) => System.Text.RegularExpressions.Regex.Replace(
        text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..], ",\"requestId\":\"[^\"]*\"", "");

    private static string Gql(string query, object? variables = null) => JsonSerializer.Serialize(new { query, variables });

    // ---- paths: ';' and dot segments in every spelling -------------------------------------------

    [Theory]
    // Tomcat, Jetty and Spring strip ";params" from each segment and then resolve "..": this is /traces/v2/ml/secret/calls there.
    [InlineData("/traces/v2/ml/open-p/..;/..;/ml/secret/calls")]
    [InlineData("/traces/v2/ml/open-p/..;x=1/..;/ml/secret/calls")]
    [InlineData("/traces/v2/ml/open-p/.;/calls")]
    [InlineData("/traces/v2/ml/open-p/%2e%2e;/calls")]
    [InlineData("/traces/v2/ml/open-p/..%3b/..%3B/ml/secret/calls")]
    [InlineData("/traces/v2/ml/open-p/..%253b/calls")]
    [InlineData("/traces/v2/ml/open-p/calls;jsessionid=1")]
    [InlineData("/traces/v2/ml/open-p/%252e%252e/%252e%252e/ml/secret/calls")] // decoded twice by some proxies
    [InlineData("/traces/v2/ml/open-p/%u002e%u002e/calls")]                    // IIS's %u encoding
    [InlineData("/traces/v2/ml/open-p/.%2E/calls")]
    public async Task PathParametersAndDotSegments_AreRefused(string target)
        => await AssertRefused(400, "invalid_path", RawAsync("GET", target));

    [Fact]
    public async Task AnEncodedNul_IsRefused()
    {
        // Kestrel itself refuses %00 in a path (the gateway refuses it too, should that ever change).
        var (status, _, upstream) = await RawAsync("GET", "/traces/v2/ml/open-p/..%00/calls");
        Assert.Equal(400, status);
        Assert.Null(upstream);
    }

    [Fact]
    public async Task ThePlainPath_IsForwarded()
    {
        var upstream = await AssertForwarded(RawAsync("GET", "/traces/v2/ml/open-p/calls"));
        Assert.Equal("/v2/ml/open-p/calls", upstream.Path);
        Assert.Equal("open-p", upstream.Single("X-Gateway-Project"));
    }

    // ---- names that fold -------------------------------------------------------------------------

    [Fact]
    public async Task AProjectNamedInAnotherCase_IsNeverAnUnknownProject()
    {
        // bob may not see ml/secret: SECRET answers exactly as secret does (404), no oracle.
        var (plainStatus, plainText, _) = await RawAsync("POST", "/files/ml/secret/r/file_stream", "{}");
        var (foldedStatus, foldedText, foldedUpstream) = await RawAsync("POST", "/files/ml/SECRET/r/file_stream", "{}");
        Assert.Equal(404, plainStatus);
        Assert.Equal(plainStatus, foldedStatus);
        Assert.Equal(Body(plainText), Body(foldedText));
        Assert.Null(foldedUpstream);
        // Projects bob (or alice) can know of: 400 ambiguous_name instead of the unknown-project rule.
        await AssertRefused(400, "ambiguous_name", RawAsync("POST", "/files/ml/OPEN-P/r/file_stream", "{}"));
        await AssertRefused(400, "ambiguous_name", RawAsync("POST", "/files/ml/Team-P/r/file_stream", "{}"));
        await AssertRefused(400, "ambiguous_name", RawAsync("POST", "/files/ml/SECRET/r/file_stream", "{}", who: "alice"));
        await AssertRefused(400, "ambiguous_name", RawAsync("POST", "/weave/call/start", "{\"project_id\":\"ml/Open-P\"}"));
        await AssertRefused(404, "project_not_found", RawAsync("POST", "/gql", Gql("{ project(name: \"SeCrEt\", entityName: \"ml\") { id } }")));
        await AssertRefused(400, "ambiguous_name", RawAsync("POST", "/gql", Gql("{ project(name: \"TEAM-P\", entityName: \"ml\") { id } }")));
        // Entity names are lowercase by the naming rules: ML is not a name at all.
        await AssertRefused(400, "invalid_scope", RawAsync("POST", "/files/ML/open-p/r/file_stream", "{}"));
        // The exact names, and a genuinely new project, still work.
        await AssertForwarded(RawAsync("POST", "/files/ml/open-p/r/file_stream", "{}"));
        await AssertForwarded(RawAsync("POST", "/files/ml/brand-new-p/r/file_stream", "{}"));
    }

    // ---- query parameters -------------------------------------------------------------------------

    [Theory]
    // ASP.NET matches query names case-insensitively; Go's url.Values, Python's parse_qs and Express do not.
    [InlineData("/q?entity=ml&Project=secret")]
    [InlineData("/q?Entity=ml&project=open-p")]
    [InlineData("/q?entity=ml&project=open-p&PROJECT=secret")]
    [InlineData("/weave-read?Project_Id=ml/secret")]
    [InlineData("/weave-read?project_id=ml/open-p&PROJECT_ID=ml/secret")]
    [InlineData("/weave-read?project_%49D=ml/secret")]
    public async Task ScopeParametersInAnotherCase_AreRefused(string target)
        => await AssertRefused(400, "ambiguous_property", RawAsync("GET", target));

    [Fact]
    public async Task ExactScopeParameters_AreForwarded()
    {
        Assert.Equal("open-p", (await AssertForwarded(RawAsync("GET", "/q?entity=ml&project=open-p&other=X"))).Single("X-Gateway-Project"));
        Assert.Equal("open-p", (await AssertForwarded(RawAsync("GET", "/weave-read?project_id=ml/open-p"))).Single("X-Gateway-Project"));
    }

    // ---- GraphQL in the URL ----------------------------------------------------------------------

    [Theory]
    [InlineData("query")]
    [InlineData("Query")]
    [InlineData("QUERY")]
    [InlineData("variables")]
    [InlineData("operationName")]
    [InlineData("operationname")]
    [InlineData("extensions")]
    public async Task GraphQlParametersInAPostUrl_AreRefused(string parameter)
    {
        // express-graphql and graphql-http read URL parameters on POST too; the body below is harmless.
        var hidden = Uri.EscapeDataString("{ project(name: \"secret\", entityName: \"ml\") { id } }");
        await AssertRefused(400, "graphql_in_url", RawAsync("POST", $"/gql?{parameter}={hidden}", Gql("{ viewer { id } }")));
    }

    [Fact]
    public async Task AGetOnAGraphQlRoute_IsRefusedUnlessTheRouteEnablesIt()
    {
        var hidden = Uri.EscapeDataString("{ project(name: \"secret\", entityName: \"ml\") { id } }");
        // The GraphQL-over-HTTP spec has servers read GET requests from the URL, which the gateway would not have read.
        await AssertRefused(405, "graphql_get_not_allowed", RawAsync("GET", $"/gql?query={hidden}"));
        await AssertRefused(405, "graphql_get_not_allowed", RawAsync("GET", "/gql", Gql("{ viewer { id } }")));
    }

    [Fact]
    public async Task WhereGetIsEnabled_TheUrlIsTheRequest_ReadAndAuthorizedLikeABody()
    {
        string Q(string document) => "/gql-get?query=" + Uri.EscapeDataString(document);
        var allowed = await AssertForwarded(RawAsync("GET", Q("{ project(name: \"open-p\", entityName: \"ml\") { id } }")));
        Assert.Equal("open-p", allowed.Single("X-Gateway-Project"));
        await AssertRefused(404, "project_not_found", RawAsync("GET", Q("{ project(name: \"secret\", entityName: \"ml\") { id } }")));
        await AssertRefused(404, "project_not_found", RawAsync("GET",
            Q("query($p: String) { project(name: $p, entityName: \"ml\") { id } }") + "&variables=" + Uri.EscapeDataString("{\"p\":\"secret\"}")));
        // Each parameter once and in exact case (Go's and PHP's query parsers keep the last of two, ASP.NET's the first).
        await AssertRefused(400, "ambiguous_property", RawAsync("GET", Q("{ viewer { id } }") + "&query=" + Uri.EscapeDataString("{ project(name: \"secret\", entityName: \"ml\") { id } }")));
        await AssertRefused(400, "ambiguous_property", RawAsync("GET", Q("{ viewer { id } }") + "&Query=" + Uri.EscapeDataString("{ project(name: \"secret\", entityName: \"ml\") { id } }")));
        // No body beside the URL, no mutation over GET (GraphQL-over-HTTP), no defaulted entity to rewrite in a URL.
        await AssertRefused(400, "invalid_graphql", RawAsync("GET", Q("{ viewer { id } }"), Gql("{ project(name: \"secret\", entityName: \"ml\") { id } }")));
        await AssertRefused(405, "graphql_get_not_allowed", RawAsync("GET", Q("mutation { upsertBucket(input: {entityName: \"ml\", modelName: \"open-p\"}) { bucket { id } } }")));
        await AssertRefused(400, "invalid_graphql", RawAsync("GET", Q("{ project(name: \"open-p\") { id } }")));
        // viewer is still answered by the gateway.
        var (status, text, upstream) = await RawAsync("GET", Q("{ viewer { username } }"));
        Assert.Equal(200, status);
        Assert.Contains("\"username\":\"bob\"", text);
        Assert.Null(upstream);
    }

    // ---- the GraphQL envelope --------------------------------------------------------------------

    [Theory]
    // Go's encoding/json matches keys case-insensitively (bytes.EqualFold) and the last match wins: a Go server runs the second query.
    [InlineData("{\"query\":\"{ viewer { id } }\",\"Query\":\"{ project(name: \\\"secret\\\", entityName: \\\"ml\\\") { id } }\"}", "ambiguous_property")]
    [InlineData("{\"query\":\"{ viewer { id } }\",\"QUERY\":\"{ viewer { id } }\"}", "ambiguous_property")]
    [InlineData("{\"query\":\"query($p: String) { project(name: $p, entityName: \\\"ml\\\") { id } }\",\"variables\":{\"p\":\"open-p\"},\"Variables\":{\"p\":\"secret\"}}", "ambiguous_property")]
    // U+017F (long s) simple-folds to s in Go: "variableſ" is "variables" there.
    [InlineData("{\"query\":\"query($p: String) { project(name: $p, entityName: \\\"ml\\\") { id } }\",\"variables\":{\"p\":\"open-p\"},\"variable\\u017f\":{\"p\":\"secret\"}}", "ambiguous_property")]
    [InlineData("{\"query\":\"{ viewer { id } }\",\"OperationName\":null}", "ambiguous_property")]
    [InlineData("{\"query\":\"{ viewer { id } }\",\"documentId\":\"abc\"}", "graphql_unknown_envelope_key")]
    [InlineData("{\"query\":\"{ viewer { id } }\",\"doc\":\"{ project(name: \\\"secret\\\", entityName: \\\"ml\\\") { id } }\"}", "graphql_unknown_envelope_key")]
    [InlineData("[{\"query\":\"{ viewer { id } }\"},{\"query\":\"{ viewer { id } }\",\"Query\":\"{ viewer { id } }\"}]", "ambiguous_property")]
    // A server that trusts an automatic-persisted-query hash would run a cached document, not this one.
    [InlineData("{\"query\":\"{ viewer { id } }\",\"extensions\":{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"00\"}}}", "invalid_graphql")]
    public async Task EnvelopeKeys_ExactlyKnownAndOnce(string body, string code)
        => await AssertRefused(400, code, RawAsync("POST", "/gql", body));

    [Fact]
    public async Task TheCanonicalEnvelope_IsForwarded()
    {
        var body = "{\"query\":\"query Q($p: String) { project(name: $p, entityName: \\\"ml\\\") { id } }\",\"variables\":{\"p\":\"open-p\"},\"operationName\":\"Q\",\"extensions\":{}}";
        var upstream = await AssertForwarded(RawAsync("POST", "/gql", body));
        Assert.Equal(body, upstream.Body);
    }

    // ---- JSON bodies -----------------------------------------------------------------------------

    [Theory]
    [InlineData("{\"project_id\":\"ml/open-p\",\"Project_Id\":\"ml/secret\"}")]
    [InlineData("{\"PROJECT_ID\":\"ml/secret\"}")]
    [InlineData("{\"project_id\":\"ml/open-p\",\"Project\\u005fid\":\"ml/secret\"}")]
    [InlineData("{\"project_id\":\"ml/open-p\",\"inner\":{\"project_ID\":\"ml/secret\"}}")]
    [InlineData("{\"project_id\":\"ml/open-p\",\"WB_RUN_ID\":\"ml/secret/r1\"}")]
    public async Task ScopePropertiesInAnotherCase_AreRefused(string body)
        => await AssertRefused(400, "ambiguous_property", RawAsync("POST", "/weave/call/start", body));

    [Theory]
    // Valid JSON that System.Text.Json refuses to decode, Python decodes to a lone surrogate and Go to U+FFFD.
    [InlineData("/weave/call/start", "{\"project_id\":\"ml/open-p\\ud800\"}")]
    [InlineData("/weave/call/start", "{\"project_id\":\"ml/open-p\",\"x\":\"\\udc00\"}")]
    [InlineData("/weave/call/start", "{\"project_id\":\"ml/open-p\",\"x\":\"\\ud800\\u0041\"}")]
    [InlineData("/weave/call/start", "{\"project_id\":\"ml/open-p\",\"x\\uDBFF\":1}")]
    [InlineData("/gql", "{\"query\":\"query($p: String) { project(name: $p, entityName: \\\"ml\\\") { id } }\",\"variables\":{\"p\":\"open-p\\ud800\"}}")]
    public async Task LoneSurrogateEscapes_Are400_Not503(string path, string body)
        => await AssertRefused(400, "invalid_json", RawAsync("POST", path, body));

    [Fact]
    public async Task ASurrogatePairAndAnEscapedBackslash_AreFine()
    {
        await AssertForwarded(RawAsync("POST", "/weave/call/start", "{\"project_id\":\"ml/open-p\",\"x\":\"\\ud83d\\ude00 \\\\ud800\"}"));
    }

    // ---- multipart -------------------------------------------------------------------------------

    private static string Part(string boundary, string disposition, string value, string? extra = null)
        => $"--{boundary}\r\nContent-Disposition: {disposition}\r\n{(extra is null ? "" : extra + "\r\n")}\r\n{value}\r\n";

    private static string File(string boundary) => Part(boundary, "form-data; name=\"file\"; filename=\"a.txt\"", "hello", "Content-Type: application/octet-stream");

    [Fact]
    public async Task TwoBoundaryParameters_AreRefused()
    {
        // The gateway's reader took the first boundary, Python's (cgi, python-multipart) the last: each saw another project_id.
        var body = Part("AAA", "form-data; name=\"project_id\"", "ml/open-p") + File("AAA") + "--AAA--\r\n"
            + Part("BBB", "form-data; name=\"project_id\"", "ml/secret") + File("BBB") + "--BBB--\r\n";
        await AssertRefused(400, "ambiguous_multipart", RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=AAA; boundary=BBB"));
        await AssertRefused(400, "ambiguous_multipart", RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=AAA; Boundary=BBB"));
        await AssertRefused(400, "ambiguous_multipart", RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=AAA; boundary*=utf-8''BBB"));
    }

    [Theory]
    // RFC 7578 forbids name*, but werkzeug and others prefer it when present: a second project_id only they see.
    [InlineData("form-data; name=\"notes\"; name*=UTF-8''project_id")]
    [InlineData("form-data; name*=UTF-8''project_id")]
    [InlineData("form-data; name=\"notes\"; name=\"project_id\"")]
    [InlineData("form-data; name=\"Project_ID\"")]
    [InlineData("form-data; name=\"project_id\"")]                          // the scope field twice
    [InlineData("form-data; name=\"project_id\"; filename=\"p.txt\"")]      // as a file
    [InlineData("attachment; name=\"project_id\"")]
    [InlineData("form-data; name=project\\_id")]
    public async Task AmbiguousPartNames_AreRefused(string disposition)
    {
        var body = Part("AAA", "form-data; name=\"project_id\"", "ml/open-p") + Part("AAA", disposition, "ml/secret") + File("AAA") + "--AAA--\r\n";
        await AssertRefused(400, "ambiguous_multipart", RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=AAA"));
    }

    [Theory]
    [InlineData("form-data; name=\"project_id")]          // unclosed quote
    [InlineData("form-data; name=\"project_id\"x")]       // text after a quoted value
    [InlineData("form-data; name")]                        // parameter without a value
    [InlineData("form-data; =x; name=\"project_id\"")]    // empty parameter name
    public async Task MalformedPartHeaders_AreRefused_NotSkipped(string disposition)
    {
        var body = Part("AAA", "form-data; name=\"project_id\"", "ml/open-p") + Part("AAA", disposition, "ml/secret") + "--AAA--\r\n";
        await AssertRefused(400, "invalid_multipart", RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=AAA"));
    }

    [Fact]
    public async Task TwoContentDispositionHeadersInAPart_AreRefused()
    {
        var body = Part("AAA", "form-data; name=\"notes\"", "ml/secret", "Content-Disposition: form-data; name=\"project_id\"") + Part("AAA", "form-data; name=\"project_id\"", "ml/open-p") + "--AAA--\r\n";
        await AssertRefused(400, "ambiguous_multipart", RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=AAA"));
    }

    [Fact]
    public async Task TheCanonicalMultipartBody_IsForwarded()
    {
        var body = Part("AAA", "form-data; name=\"project_id\"", "ml/open-p") + File("AAA") + "--AAA--\r\n";
        var upstream = await AssertForwarded(RawAsync("POST", "/weave-file/create", body, "multipart/form-data; boundary=\"AAA\""));
        Assert.Equal("open-p", upstream.Single("X-Gateway-Project"));
        await AssertRefused(404, "project_not_found", RawAsync("POST", "/weave-file/create",
            Part("AAA", "form-data; name=\"project_id\"", "ml/secret") + File("AAA") + "--AAA--\r\n", "multipart/form-data; boundary=AAA"));
    }

    // ---- GraphQL nesting -------------------------------------------------------------------------

    [Fact]
    public async Task AProjectUnderEntity_PairsWithThatEntity()
    {
        // carol (cv admin) may read cv/cv-p; under entity "ml" the same name is ml's, which she may not reach.
        var cv = await AssertForwarded(RawAsync("POST", "/gql", Gql("{ entity(name: \"cv\") { project(name: \"cv-p\") { id } } }"), who: "carol"));
        Assert.Equal("cv", cv.Single("X-Gateway-Entity"));
        var (status, _, upstream) = await RawAsync("POST", "/gql", Gql("{ entity(name: \"ml\") { project(name: \"team-p\") { id } } }"), who: "carol");
        Assert.True(status is 403 or 404, $"got {status}");
        Assert.Null(upstream);
        await AssertRefused(404, "project_not_found", RawAsync("POST", "/gql", Gql("{ entity(name: \"ml\") { project(name: \"secret\") { id } } }")));
        // Another entity's project listing has no filter: refused.
        await AssertRefused(403, "graphql_field_refused", RawAsync("POST", "/gql", Gql("{ entity(name: \"cv\") { projects { edges { node { name } } } } }")));
        await AssertRefused(403, "graphql_field_refused", RawAsync("POST", "/gql", Gql("{ entity(name: \"ml\") { projects { edges { node { name } } } } }")));
    }

    // ---- anonymous routes ------------------------------------------------------------------------

    [Fact]
    public async Task AnonymousRoutes_GetTheUpstreamCredential_OnlyWhenTheClusterSaysSo()
    {
        var stripped = await AssertForwarded(RawAsync("GET", "/public-cred/health", who: null));
        Assert.False(stripped.Has("Authorization"));
        var sent = await AssertForwarded(RawAsync("GET", "/public-send/health", who: null));
        Assert.Equal("Bearer " + ProxyFixture.UpstreamSecret, sent.Single("Authorization"));
        // An authenticated route of the same cluster still gets it.
        var swap = await AssertForwarded(RawAsync("GET", "/swap/ml/open-p"));
        Assert.Equal("Bearer " + ProxyFixture.UpstreamSecret, swap.Single("Authorization"));
    }
}
