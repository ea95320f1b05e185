using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// <c>POST /admin/v1/explain</c> on a real gateway. Every refusal scenario below is sent through the
/// proxy, then explained by its request id: the replay, decided by the proxy's own code without
/// forwarding, must reach the very status and code the proxy answered. A synthetic request named by
/// key id or principal is explained the same way, allowed ones included; only org admins (for their
/// organization) and operators may ask.
/// </summary>
public sealed class ExplainTests
{
    private const string Upsert = "mutation { upsertBucket(input: {entityName: \"ml\", modelName: \"secret\"}) { bucket { id } } }";

    /// <summary>A refusal to provoke; <paramref name="BeforeAuthentication"/>: refused before the credential is read (explained from the record, for operators only: no organization is known).</summary>
    private sealed record Scenario(string Name, string Who, HttpMethod Method, string Path, object? Body = null, (string, string)[]? Headers = null, bool BeforeAuthentication = false);

    private static IEnumerable<Scenario> Refusals() =>
    [
        new("not a member", "dave", HttpMethod.Post, "/files/ml/team-p/r1/file_stream"),
        new("restricted project", "bob", HttpMethod.Post, "/files/ml/secret/r1/file_stream"),
        new("viewer writing", "vic", HttpMethod.Post, "/files/ml/team-p/r1/file_stream"),
        new("team SA outside its team", "ci@ml", HttpMethod.Post, "/files/cv/cv-p/r1/file_stream"),
        new("explicit SA without a grant", "nep@acme", HttpMethod.Post, "/files/ml/late-p/r1/file_stream"),
        new("another user's personal entity", "bob", HttpMethod.Post, "/files/dave/mine/r1/file_stream"),
        new("unknown entity", "bob", HttpMethod.Post, "/files/nosuch/p/r1/file_stream"),
        new("a known name in another case", "bob", HttpMethod.Post, "/files/ml/TEAM-P/r1/file_stream"),
        new("a scope parameter twice", "bob", HttpMethod.Get, "/q?entity=ml&project=team-p&project=open-p"),
        new("an invalid entity name", "bob", HttpMethod.Get, "/q?entity=no%20such&project=p"),
        new("a reserved header", "bob", HttpMethod.Post, "/files/ml/team-p/r1/file_stream", Headers: [("X_Gateway_Principal", "erin")], BeforeAuthentication: true),
        new("graphql: restricted project", "bob", HttpMethod.Post, "/gql", new { query = Upsert }),
        new("a scope header twice", "bob", HttpMethod.Get, "/h", Headers: [("X-Entity", "ml"), ("X-Project", "team-p"), ("X_Project", "secret")]),
        new("graphql: unreadable", "bob", HttpMethod.Post, "/gql", new { query = "{ project(" }),
        new("graphql: another organization", "bob", HttpMethod.Post, "/gql", new { query = "{ organization(name: \"other\") { id } }" }),
        new("graphql: not in the schema", "bob", HttpMethod.Post, "/gql", new { query = "{ nosuchField }" }),
        new("graphql: another team's SA", "cvbot@cv", HttpMethod.Post, "/gql", new { query = "{ project(name: \"team-p\", entityName: \"ml\") { id } }" }),
        new("weave json: another team's project", "ci@ml", HttpMethod.Post, "/weave/call/start", new { start = new { project_id = "cv/cv-p" } }),
        new("weave json: no project named", "bob", HttpMethod.Post, "/weave/call/start", new { start = new { op_name = "x" } }),
        new("weave json: a duplicate key", "bob", HttpMethod.Post, "/weave/call/start", new RawJson("{\"project_id\":\"ml/team-p\",\"project_id\":\"cv/cv-p\"}")),
        new("graphql: a batch over the route's limit", "bob", HttpMethod.Post, "/gql-small", new object[] { new { query = "{ viewer { id } }" }, new { query = "{ viewer { id } }" }, new { query = "{ viewer { id } }" } }),
        new("graphql: a mutation by GET", "bob", HttpMethod.Get, "/gql-get?query=" + Uri.EscapeDataString("mutation { upsertBucket(input: {entityName: \"ml\", modelName: \"team-p\"}) { bucket { id } } }")),
        new("json: not JSON at all", "bob", HttpMethod.Post, "/weave/call/start", new RawJson("{\"project_id\": ")),
        new("json: another media type", "bob", HttpMethod.Post, "/weave/call/start", new Typed("project_id=ml/team-p", "text/plain")),
        new("graphql: over the route's body cap", "bob", HttpMethod.Post, "/gql-small", new { query = "{ viewer { id } }", variables = new { pad = new string('x', 3000) } }),
        new("graphql: deeper than the route allows", "bob", HttpMethod.Post, "/gql-small", new { query = "{ viewer { teams { edges { node { projects { edges { node { runs { edges { node { id } } } } } } } } } } }" }),
        new("graphql: GET where the route takes none", "bob", HttpMethod.Get, "/gql?query=" + Uri.EscapeDataString("{ viewer { id } }")),
        new("otlp: not protobuf", "bob", HttpMethod.Post, "/otlp/v1/traces", new Typed("not protobuf", "application/x-protobuf")),
        new("multipart: no project field", "bob", HttpMethod.Post, "/weave-file/create", new Typed("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b")),
        new("a bad key", "bad", HttpMethod.Post, "/files/ml/team-p/r1/file_stream", BeforeAuthentication: true),
        new("key restricted: read-only", "ro", HttpMethod.Post, "/files/ml/team-p/r1/file_stream"),
        new("key restricted: projects", "one", HttpMethod.Get, "/read/ml/open-p/x"),
        new("key restricted: networks", "far", HttpMethod.Get, "/read/ml/team-p/x"),
    ];

    // The org, and three restricted keys of bob's for the key_restricted scenarios.
    private static async Task<OrgGateway> StartAsync()
    {
        var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        keys["ro"] = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "ro", access = "read" }))).Str("key");
        keys["one"] = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "one", projects = new[] { "ml/team-p" } }))).Str("key");
        keys["far"] = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "far", allowedNetworks = new[] { "10.0.0.0/8" } }))).Str("key");
        return org;
    }

    /// <summary>A JSON body sent exactly as written (duplicate keys and all).</summary>
    private sealed record RawJson(string Text);

    /// <summary>A body of another media type.</summary>
    private sealed record Typed(string Text, string MediaType);

    private static Task<ApiResponse> SendAsync(TestGateway gw, Dictionary<string, string> keys, Scenario s)
        => gw.ProxyAsync(s.Method, s.Path, s.Who == "bad" ? keys["bob"][..^6] + "AAAAAA" : keys[s.Who], s.Body is RawJson or Typed ? null : s.Body, r =>
        {
            if (s.Body is RawJson raw)
            {
                r.Content = new StringContent(raw.Text, System.Text.Encoding.UTF8, "application/json");
            }

            if (s.Body is Typed typed)
            {
                r.Content = new StringContent(typed.Text);
                r.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(typed.MediaType);
            }

            foreach (var (name, value) in s.Headers ?? [])
            {
                r.Headers.TryAddWithoutValidation(name, value);
            }
        });

        [Fact]
    public async Task EveryRefusal_ExplainedByItsRequestId_ReachesTheSameAnswer()
    {
        await using var org = await StartAsync();
        var (gw, echo, keys) = org;
        var codes = new HashSet<string>();
        foreach (var scenario in Refusals())
        {
            var refused = await SendAsync(gw, keys, scenario);
            Assert.True(refused.Status is >= 400 and < 500, $"{scenario.Name}: {refused}");
            var requestId = refused.Headers.GetValues("X-Request-Id").Single();
            var explained = await gw.PostAsync("/admin/v1/explain", scenario.BeforeAuthentication ? gw.RootKey : keys["erin"], new { requestId });
            Assert.True(explained.Status == 200, $"{scenario.Name}: {refused} → {explained}");
            var json = explained.Json;
            var outcome = json.GetProperty("outcome");
            Assert.Equal((refused.Status, refused.Code), (outcome.GetProperty("status").GetInt32(), outcome.GetProperty("code").GetString()));
            if (scenario.BeforeAuthentication)
            {
                Assert.False(json.GetProperty("replayed").GetBoolean(), scenario.Name);
                Assert.Equal(404, (await gw.PostAsync("/admin/v1/explain", keys["erin"], new { requestId })).Status);
                codes.Add(refused.Code!);
                continue;
            }

            Assert.True(json.GetProperty("replayed").GetBoolean(), scenario.Name);
            Assert.True(json.GetProperty("sameAsRecorded").GetBoolean(), $"{scenario.Name}: proxy {refused.Status} {refused.Code}, explain {outcome}");
            Assert.Equal((refused.Status, refused.Code), (outcome.GetProperty("status").GetInt32(), outcome.GetProperty("code").GetString()));
            if (refused.Code == "key_restricted")
            {
                Assert.Equal(refused.Str("restriction"), outcome.GetProperty("restriction").GetString());
            }

            var steps = json.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("stage").GetString()).ToList();
            Assert.Equal(["credential", "principal", "route"], steps.Take(3));
            Assert.Equal("outcome", steps[^1]);
            Assert.Equal(refused.Code, json.GetProperty("recorded").GetProperty("code").GetString());
            codes.Add(refused.Code!);
        }

        // The scenarios cover 25 refusal codes (the policy's, key restrictions, request shape, body scopes, GraphQL, OTLP, credentials), not one code many times.
        Assert.True(codes.Count >= 25, string.Join(", ", codes));
        // Nothing explained was forwarded.
        Assert.DoesNotContain(echo.Received, r => r.Path.Contains("/secret/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Explain_ShowsEachStep_OfRefusedAndAllowedRequests_ByKeyOrPrincipal()
    {
        await using var org = await StartAsync();
        var (gw, echo, keys) = org;
        var before = echo.Received.Count;

        // A read-only key writing: the rule allows (bob is a member), the key's restriction refuses.
        var ro = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", keys["erin"],
            new { key = OrgGateway.KeyIdOf(keys["ro"]), method = "POST", path = "/files/ml/team-p/r1/file_stream" }));
        var steps = ro.Json.GetProperty("steps").EnumerateArray().ToList();
        Assert.Contains(steps, s => s.GetProperty("stage").GetString() == "rules" && s.GetProperty("outcome").GetString() == "allowed"
            && s.GetProperty("detail").GetString()!.Contains("bob may write project ml/team-p (team project)", StringComparison.Ordinal));
        Assert.Contains(steps, s => s.GetProperty("stage").GetString() == "key restriction" && s.GetProperty("outcome").GetString() == "refused");
        Assert.Equal((403, "key_restricted", "access"), (ro.Json.GetProperty("outcome").GetProperty("status").GetInt32(),
            ro.Json.GetProperty("outcome").GetProperty("code").GetString(), ro.Json.GetProperty("outcome").GetProperty("restriction").GetString()));
        Assert.Contains("references", steps.Select(s => s.GetProperty("stage").GetString()));

        // Allowed, by principal, a GraphQL body: the references read from it and the rate-limit step; nothing forwarded.
        var allowed = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", keys["erin"], new
        {
            principal = "ci@ml", method = "POST", path = "/gql",
            body = new { query = "mutation { upsertBucket(input: {entityName: \"ml\", modelName: \"team-p\"}) { bucket { id } } }" },
        }));
        var outcome = allowed.Json.GetProperty("outcome");
        Assert.True(outcome.GetProperty("allowed").GetBoolean(), allowed.Text);
        Assert.Equal(("ml", "team-p"), (outcome.GetProperty("entity").GetString(), outcome.GetProperty("project").GetString()));
        Assert.Contains("project ml/team-p (write)", allowed.Text);
        Assert.Contains("\"stage\":\"rate limit\"", allowed.Text);
        Assert.Equal(before, echo.Received.Count);

        // The same synthetic request through explain and through the proxy: the same answer.
        var sameProxy = await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["bob"]);
        var sameExplain = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", keys["erin"], new { key = OrgGateway.KeyIdOf(keys["bob"]), method = "POST", path = "/files/cv/cv-p/r1/file_stream" }));
        Assert.Equal(sameProxy.Code, sameExplain.Json.GetProperty("outcome").GetProperty("code").GetString());
        Assert.Equal(sameProxy.Str("detail"), sameExplain.Json.GetProperty("outcome").GetProperty("detail").GetString());

        // A path no route matches.
        var none = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", keys["erin"], new { principal = "bob", method = "GET", path = "/nowhere" }));
        Assert.Equal(404, none.Json.GetProperty("outcome").GetProperty("status").GetInt32());

        // A refused authentication is explained from what was recorded (the reason the client was not told).
        var bad = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", keys["bob"][..^4] + "AAAA");
        var badId = bad.Headers.GetValues("X-Request-Id").Single();
        var badExplained = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", gw.RootKey, new { requestId = badId }));
        Assert.False(badExplained.Json.GetProperty("replayed").GetBoolean());
        Assert.Equal(401, badExplained.Json.GetProperty("outcome").GetProperty("status").GetInt32());

        // Who may ask: org admins and operators; a team admin, a member or a service account may not; unknown ids are 404.
        var refusal = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/secret/r1/file_stream", keys["bob"]);
        var id = refusal.Headers.GetValues("X-Request-Id").Single();
        foreach (var who in new[] { "alice", "bob", "ci@ml" })
        {
            Assert.Equal(404, (await gw.PostAsync("/admin/v1/explain", keys[who], new { requestId = id })).Status);
            Assert.Equal(404, (await gw.PostAsync("/admin/v1/explain", keys[who], new { principal = "bob", method = "GET", path = "/read/ml/team-p/x" })).Status);
        }

        Assert.Equal((404, "refusal_not_found"), await AdminCliRunner.StatusAsync(gw.PostAsync("/admin/v1/explain", keys["erin"], new { requestId = "0123456789abcdef01234567" })));
        var erinReadOnly = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/erin/keys", keys["erin"], new { name = "ro", access = "read" }))).Str("key");
        Assert.Equal(200, (await gw.PostAsync("/admin/v1/explain", erinReadOnly, new { requestId = id })).Status);
        var surrogate = await gw.SendAsync(new Uri(gw.AdminUrl, "/admin/v1/explain"), HttpMethod.Post, keys["erin"], null, r =>
            r.Content = new StringContent("{\"principal\":\"bob\",\"method\":\"POST\",\"path\":\"/gql\",\"body\":\"\\ud800\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal((400, "invalid_fields"), (surrogate.Status, surrogate.Code));
        var invalid = await gw.PostAsync("/admin/v1/explain", keys["erin"], new { key = "x", principal = "y", method = "get", path = "files", clientAddress = "nope" });
        Assert.Equal((400, "invalid_fields"), (invalid.Status, invalid.Code));
        Assert.Equal(["clientAddress", "key", "method", "path"], invalid.Json.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Explain_AsksTheUpstreamNothing_RunsNoOtherEndpoint_AndKeepsNoCredential()
    {
        await using var org = await StartAsync();
        var (gw, echo, keys) = org;
        var before = echo.Received.Count;
        // An id the proxy would look up at the upstream: explain only reads what this replica knows.
        var id = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("Artifact:123"));
        var byId = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", keys["erin"], new
        {
            principal = "bob", method = "POST", path = "/gql", body = new { query = "{ artifact(id: \"" + id + "\") { id } }" },
        }));
        Assert.Equal(before, echo.Received.Count);
        Assert.Contains("explain never asks the upstream", byId.Text);
        Assert.Equal((503, "id_lookup_unavailable"), (byId.Json.GetProperty("outcome").GetProperty("status").GetInt32(), byId.Json.GetProperty("outcome").GetProperty("code").GetString()));

        // Only proxy routes are decided: the token exchange (or anything else on the listener) does not run.
        var token = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", keys["erin"], new { principal = "bob", method = "POST", path = "/oidc/token", body = "grant_type=x" }));
        Assert.Equal((404, "route_not_found"), (token.Json.GetProperty("outcome").GetProperty("status").GetInt32(), token.Json.GetProperty("outcome").GetProperty("code").GetString()));

        // A credential sent in the query string is refused, and kept by the ring only as REDACTED.
        var refused = await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x?api_key=" + keys["bob"] + "&x=1", null);
        Assert.Equal("credentials_in_query", refused.Code);
        var recorded = await OrgFixture.Ok(gw.PostAsync("/admin/v1/explain", gw.RootKey, new { requestId = refused.Headers.GetValues("X-Request-Id").Single() }));
        Assert.DoesNotContain(keys["bob"], recorded.Text);
        Assert.Contains("api_key=REDACTED", recorded.Json.GetProperty("recorded").GetProperty("path").GetString());
    }
}
