using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>GraphQL, Weave JSON, query and multipart scopes through the real gateway and echo upstream.</summary>
[Collection(ProxyCollection.Name)]
public sealed class ProxyBodyScopeTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    private const string UpsertBucket = "mutation UpsertBucket($entity: String, $project: String, $name: String) { upsertBucket(input: {entityName: $entity, modelName: $project, name: $name}) { bucket { id } } }";

    private static string Upsert(string? entity, string project)
        => JsonSerializer.Serialize(new { query = UpsertBucket, variables = new { entity, project, name = "run-42" } });

    private Task<(ApiResponse Response, EchoRequest? Upstream)> PostAsync(string path, string key, string body, string contentType = "application/json", Action<HttpRequestMessage>? configure = null)
        => SendAsync(HttpMethod.Post, path, key, r =>
        {
            r.Content = new StringContent(body, Encoding.UTF8);
            r.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            configure?.Invoke(r);
        });

    [Fact]
    public async Task UpsertBucket_IntoAnAllowedProject_IsForwardedByteIdentical()
    {
        // Odd spacing and key order: a re-serialized body would differ.
        var body = "{ \"variables\" : {\"project\":\"team-p\",  \"entity\":\"ml\", \"name\":\"r1\"},\n \"query\":" + JsonSerializer.Serialize(UpsertBucket) + " }";
        var (response, upstream) = await PostAsync("/gql", K("bob"), body);
        Assert.Equal(200, response.Status);
        Assert.Equal(body, upstream!.Body);
        Assert.Equal("ml", upstream.Single("X-Gateway-Entity"));
        Assert.Equal("team-p", upstream.Single("X-Gateway-Project"));
        Assert.Equal("bob", upstream.Single("X-Gateway-Principal"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ABodyArrivingAfterItsHeaders_IsReadWhole_AndDecidedOnAllOfIt(bool forbidden)
    {
        // Headers and half the body first, the rest later: the gateway finds part of the body buffered,
        // must not decide on it, and reads the rest. The forbidden project sits in the late half.
        var marker = Marker();
        var body = Encoding.UTF8.GetBytes("{\"query\":" + JsonSerializer.Serialize(UpsertBucket)
            + ",\"variables\":{\"entity\":\"ml\",\"name\":\"r1\",\"project\":\"" + (forbidden ? "secret" : "team-p") + "\"}}");
        var head = $"POST /gql HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {K("bob")}\r\nContent-Type: application/json\r\n"
            + $"X-Test-Marker: {marker}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(Gw.ProxyUrl.Host, Gw.ProxyUrl.Port);
        var stream = client.GetStream();
        var half = body.Length / 2;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body[..half]).ToArray());
        await stream.FlushAsync();
        await Task.Delay(300);
        await stream.WriteAsync(body.AsMemory(half));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var response = await reader.ReadToEndAsync(timeout.Token);
        if (forbidden)
        {
            Assert.StartsWith("HTTP/1.1 404", response, StringComparison.Ordinal);
            Assert.Contains("project_not_found", response, StringComparison.Ordinal);
            Assert.Null(Upstream(marker));
        }
        else
        {
            Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
            Assert.Equal(Encoding.UTF8.GetString(body), Upstream(marker)!.Body);
            Assert.Equal("team-p", Upstream(marker)!.Single("X-Gateway-Project"));
        }
    }

    [Fact]
    public async Task RestrictedWithoutGrant_404_OtherTeamsProjectAsTeamSa_403()
    {
        var (hidden, hiddenUpstream) = await PostAsync("/gql", K("bob"), Upsert("ml", "secret"));
        AssertProblem(hidden, 404, "project_not_found");
        Assert.Null(hiddenUpstream);
        var (denied, deniedUpstream) = await PostAsync("/gql", K("cvbot@cv"), Upsert("ml", "team-p"));
        AssertProblem(denied, 403, "outside_service_account_scope");
        Assert.Null(deniedUpstream);
    }

    [Fact]
    public async Task ABatchWithOneForbiddenOperation_IsDeniedAsAWhole()
    {
        var batch = "[" + Upsert("ml", "team-p") + "," + Upsert("ml", "secret") + "]";
        var (response, upstream) = await PostAsync("/gql", K("bob"), batch);
        AssertProblem(response, 404, "project_not_found");
        Assert.Null(upstream);
        var (fine, fineUpstream) = await PostAsync("/gql", K("bob"), "[" + Upsert("ml", "team-p") + "," + Upsert("ml", "open-p") + "]");
        Assert.Equal(200, fine.Status);
        Assert.False(fineUpstream!.Has("X-Gateway-Project")); // two projects: no single one to name
    }

    [Theory]
    [InlineData("query { ok: project(entityName: \"ml\", name: \"open-p\") { id } hidden: project(entityName: \"ml\", name: \"secret\") { id } }", 404, "project_not_found")]
    [InlineData("mutation { upsertBucket(input: {entityName: \"ml\", modelName: \"secret\"}) { bucket { id } } }", 404, "project_not_found")]
    // Fields that exist on no type (a project below a project) are refused by the schema before any scope is read.
    [InlineData("query { project(entityName: \"ml\", name: \"open-p\") { id ...F } } fragment F on Project { project(entityName: \"ml\", projectName: \"secret\") { id } }", 403, "graphql_field_not_allowed")]
    [InlineData("query { project(entityName: \"ml\", name: \"open-p\") { ... on Project { model(entityName: \"ml\", name: \"secret\") { id } } } }", 403, "graphql_field_not_allowed")]
    // Input fields the input type does not have break the spec's validation.
    [InlineData("mutation { createArtifact(input: {entityName: \"ml\", deeper: {more: [{projectName: \"secret\"}]}}) { artifact { id } } }", 400, "graphql_invalid")]
    public async Task AliasesFragmentsAndLiterals_CannotSmuggleASecondProject(string query, int status, string code)
    {
        var (response, upstream) = await PostAsync("/gql", K("vic"), JsonSerializer.Serialize(new { query }));
        AssertProblem(response, status, code);
        Assert.Null(upstream);
    }

    [Fact]
    public async Task DuplicateJsonProperties_400()
    {
        var (response, upstream) = await PostAsync("/gql", K("bob"), "{\"query\": " + JsonSerializer.Serialize(UpsertBucket) + ", \"variables\": {\"entity\": \"ml\", \"project\": \"team-p\", \"project\": \"secret\"}}");
        AssertProblem(response, 400, "duplicate_property");
        Assert.Null(upstream);
    }

    [Fact]
    public async Task NullEntity_ResolvesToTheDefaultEntity_ForAUserAnOrgSaAndATeamSa()
    {
        // A user in no team: their personal entity. A user in exactly one team: that team (W&B's rule).
        var (user, userUpstream) = await PostAsync("/gql", K("dave"), Upsert(null, "scratch"));
        Assert.Equal(200, user.Status);
        Assert.Equal("dave", userUpstream!.Single("X-Gateway-Entity"));
        var (member, memberUpstream) = await PostAsync("/gql", K("bob"), Upsert(null, "team-p"));
        Assert.Equal(200, member.Status);
        Assert.Equal("ml", memberUpstream!.Single("X-Gateway-Entity"));
        var (org, orgUpstream) = await PostAsync("/gql", K("bot@acme"), Upsert(null, "cv-p"));
        Assert.Equal(200, org.Status);
        Assert.Equal("cv", orgUpstream!.Single("X-Gateway-Entity"));
        var (team, teamUpstream) = await PostAsync("/gql", K("ci@ml"), Upsert(null, "team-p"));
        Assert.Equal(200, team.Status);
        Assert.Equal("ml", teamUpstream!.Single("X-Gateway-Entity"));
    }

    [Fact]
    public async Task Viewer_IsAnsweredByTheGateway_WithNothingForwarded()
    {
        var (response, upstream) = await PostAsync("/gql", K("dave"), "{\"query\": \"query Viewer { viewer { id username } }\"}");
        Assert.Equal(200, response.Status);
        Assert.Null(upstream);
        Assert.Equal("dave", response.Json.GetProperty("data").GetProperty("viewer").GetProperty("username").GetString());
        AssertProblem((await PostAsync("/gql", "gw_bad", "{\"query\": \"{ viewer { id } }\"}")).Response, 401, "invalid_credentials");
    }

    [Fact]
    public async Task Caps_AnswerTheDocumentedStatus()
    {
        AssertProblem((await PostAsync("/gql-small", K("bob"), "{\"query\": \"{ viewer { id } }\", \"pad\": \"" + new string('x', 3000) + "\"}")).Response, 413, "body_too_large");
        AssertProblem((await PostAsync("/gql-small", K("bob"), "[" + string.Join(",", Enumerable.Repeat("{\"query\": \"{ viewer { id } }\"}", 3)) + "]")).Response, 400, "too_many_operations");
        AssertProblem((await PostAsync("/gql-small", K("bob"), JsonSerializer.Serialize(new { query = "{ " + string.Join(" ", Enumerable.Range(0, 25).Select(i => $"a{i}: viewer {{ id }}")) + " }" }))).Response, 400, "too_many_fields");
        AssertProblem((await PostAsync("/gql-small", K("bob"), JsonSerializer.Serialize(new { query = "{ project(name: \"p\", entityName: \"ml\") " + string.Concat(Enumerable.Repeat("{ run(name: \"r\") { project ", 6)) + "{ id " + new string('}', 14) }))).Response, 400, "too_deep");
        AssertProblem((await PostAsync("/gql", K("bob"), "query=%7Bviewer%7D", "application/x-www-form-urlencoded")).Response, 415, "unsupported_media_type");
    }

    [Fact]
    public async Task GzipBodies_AreInflatedUnderACap_AndForwardedAsSent()
    {
        var json = Encoding.UTF8.GetBytes(Upsert("ml", "team-p"));
        var compressed = Gzip(json);
        var (ok, upstream) = await SendBytesAsync("/gql-small", K("bob"), compressed, "gzip");
        Assert.Equal(200, ok.Status);
        Assert.Equal(Convert.ToBase64String(compressed), upstream!.BodyBase64);
        Assert.Equal("team-p", upstream.Single("X-Gateway-Project"));

        // 1 KB on the wire, far beyond the 4 KB decompression cap once inflated.
        var bomb = Gzip(Encoding.UTF8.GetBytes("{\"query\": \"{ viewer { id } }\", \"pad\": \"" + new string(' ', 2_000_000) + "\"}"));
        Assert.True(bomb.Length < 2048);
        var (refused, refusedUpstream) = await SendBytesAsync("/gql-small", K("bob"), bomb, "gzip");
        AssertProblem(refused, 413, "decompressed_body_too_large");
        Assert.Null(refusedUpstream);
        AssertProblem((await SendBytesAsync("/gql-small", K("bob"), json, "br")).Response, 415, "unsupported_content_encoding");
    }

    [Fact]
    public async Task WeaveCallStart_AllowedAndForbiddenProjects()
    {
        var (ok, upstream) = await PostAsync("/weave/call/start", K("ci@ml"), """{"start": {"project_id": "ml/team-p", "op_name": "predict", "inputs": {}}}""");
        Assert.Equal(200, ok.Status);
        Assert.Equal("team-p", upstream!.Single("X-Gateway-Project"));
        AssertProblem((await PostAsync("/weave/call/start", K("cvbot@cv"), """{"start": {"project_id": "ml/team-p"}}""")).Response, 403, "outside_service_account_scope");
        AssertProblem((await PostAsync("/weave/call/upsert_batch", K("ci@ml"), """{"batch": [{"req": {"start": {"project_id": "ml/team-p"}}}, {"req": {"end": {"project_id": "ml/secret"}}}]}""")).Response, 404, "project_not_found");
        AssertProblem((await PostAsync("/weave/call/start", K("ci@ml"), """{"start": {"op_name": "x"}}""")).Response, 400, "scope_not_found");
    }

    [Fact]
    public async Task WeaveQueryStringProjectId_AndItsAgreementWithTheBody()
    {
        var (read, readUpstream) = await SendAsync(HttpMethod.Get, "/weave-read?project_id=ml/pub-p", K("cvbot@cv"));
        Assert.Equal(200, read.Status);
        Assert.Equal("pub-p", readUpstream!.Single("X-Gateway-Project"));
        AssertProblem((await SendAsync(HttpMethod.Get, "/weave-read?project_id=ml/secret", K("cvbot@cv"))).Response, 404, "project_not_found");
        AssertProblem((await SendAsync(HttpMethod.Get, "/weave-read?project_id=ml%2Fteam-p%2Fx", K("bob"))).Response, 400, "invalid_scope");
        // Allowed in the query string, forbidden in the body: the two must agree.
        var (conflict, conflictUpstream) = await PostAsync("/weave/call/start?project_id=ml/open-p", K("vic"), """{"start": {"project_id": "ml/secret"}}""");
        AssertProblem(conflict, 400, "scope_conflict");
        Assert.Null(conflictUpstream);
    }

    [Fact]
    public async Task MultipartProjectId()
    {
        async Task<(ApiResponse, EchoRequest?)> Upload(string key, string projectId)
        {
            var form = new MultipartFormDataContent();
            form.Add(new StringContent(projectId), "project_id");
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("file body")), "file", "data.bin");
            return await SendAsync(HttpMethod.Post, "/weave-file/create", key, r => r.Content = form);
        }

        var (ok, upstream) = await Upload(K("bob"), "ml/team-p");
        Assert.Equal(200, ok.Status);
        Assert.Equal("team-p", upstream!.Single("X-Gateway-Project"));
        Assert.Contains("file body", upstream.Body);
        var (denied, deniedUpstream) = await Upload(K("dave"), "ml/team-p");
        AssertProblem(denied, 403, "not_a_member");
        Assert.Null(deniedUpstream);
        AssertProblem((await PostAsync("/weave-file/create", K("bob"), "{}")).Response, 415, "unsupported_media_type");
    }

    [Fact]
    public async Task BodiesTheParsersChokeOn_Are400_NeverA500_NothingForwarded()
    {
        // Found by fuzzing: a GraphQL document GraphQL-Parser throws IndexOutOfRange on, and invalid
        // UTF-8 inside a JSON string (System.Text.Json throws only when decoding it).
        var crashes = Path.Combine(Common.RepositoryRoot.Find(), "fuzz", "crashes", "graphql");
        foreach (var file in System.IO.Directory.GetFiles(crashes))
        {
            var (response, upstream) = await SendAsync(HttpMethod.Post, "/gql", K("bob"), r =>
            {
                r.Content = new ByteArrayContent(File.ReadAllBytes(file));
                r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            });
            Assert.True(response.Status == 400, $"{Path.GetFileName(file)}: {response}");
            Assert.Null(upstream);
        }

        var invalidUtf8 = "{\"start\":{\"project_id\":\"ml/team-p\",\"x\":\"\u00ff\"}}"u8.ToArray();
        invalidUtf8[^4] = 0xC3; // a lone lead byte inside the string
        var (json, nothing) = await SendAsync(HttpMethod.Post, "/weave/call/start", K("bob"), r =>
        {
            r.Content = new ByteArrayContent(invalidUtf8);
            r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        });
        AssertProblem(json, 400, "invalid_json");
        Assert.Null(nothing);
    }

    private Task<(ApiResponse Response, EchoRequest? Upstream)> SendBytesAsync(string path, string key, byte[] body, string encoding)
        => SendAsync(HttpMethod.Post, path, key, r =>
        {
            r.Content = new ByteArrayContent(body);
            r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            r.Content.Headers.ContentEncoding.Add(encoding);
        });

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }
}
