using System.Net;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>Who-am-I, defaulted entities and ids, with one shared upstream key.</summary>
public sealed class SharedIdentityTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    private async Task<(ApiResponse Response, EchoRequest? Upstream)> PostAsync(string who, string body, string path = "/graphql")
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, path, fixture.Keys[who], body, r => r.Headers.Add("X-Test-Marker", marker));
        return (response, fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    private static string Gql(string query, object? variables = null) => JsonSerializer.Serialize(new { query, variables });

    [Fact]
    public async Task Viewer_IsThePrincipal_WithUpstreamFlagsOnly_AndKeyIdsNeverSecrets()
    {
        var (response, upstream) = await PostAsync("ci@ml", Gql("query Viewer { viewer { id flags entity username email admin apiKeys { edges { node { id name description } } } teams { edges { node { name } } } } }"));
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream); // flags come from the upstream
        var viewer = response.Json.GetProperty("data").GetProperty("viewer");
        Assert.Equal("ml", viewer.GetProperty("entity").GetString());
        Assert.Equal("ci@ml", viewer.GetProperty("username").GetString());
        Assert.Equal(JsonValueKind.Null, viewer.GetProperty("email").ValueKind);
        Assert.False(viewer.GetProperty("admin").GetBoolean());
        Assert.Equal("{\"code_saving_enabled\":true}", viewer.GetProperty("flags").GetString());
        Assert.Equal(["ml"], viewer.GetProperty("teams").GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node").GetProperty("name").GetString()));
        var key = Assert.Single(viewer.GetProperty("apiKeys").GetProperty("edges").EnumerateArray()).GetProperty("node");
        Assert.Equal("gha", key.GetProperty("name").GetString());
        Assert.StartsWith(key.GetProperty("id").GetString()!, fixture.Keys["ci@ml"]); // the key id, the key's visible first part
        Assert.DoesNotContain(fixture.Keys["ci@ml"], response.Text);
    }

    [Fact]
    public async Task UpstreamFlags_SelectedThroughAFragment_AreKept()
    {
        var (response, upstream) = await PostAsync("ci@ml", Gql("query { viewer { entity ...F } } fragment F on User { flags }"));
        Assert.NotNull(upstream);
        var viewer = response.Json.GetProperty("data").GetProperty("viewer");
        Assert.Equal("ml", viewer.GetProperty("entity").GetString());
        Assert.Equal("{\"code_saving_enabled\":true}", viewer.GetProperty("flags").GetString());
    }

    [Fact]
    public async Task WeaveDefaultEntity_AndAliasesAndBatches_AreAnsweredLocally()
    {
        var (weave, upstream) = await PostAsync("bot@acme", Gql("query DefaultEntity { viewer { username defaultEntity { name } } }"));
        Assert.Null(upstream);
        Assert.Equal("cv", weave.Json.GetProperty("data").GetProperty("viewer").GetProperty("defaultEntity").GetProperty("name").GetString());
        Assert.Equal("bot@acme", weave.Json.GetProperty("data").GetProperty("viewer").GetProperty("username").GetString());

        var (aliased, _) = await PostAsync("alice", Gql("{ me: viewer { who: username e: entity ...F } } fragment F on User { email }"));
        var me = aliased.Json.GetProperty("data").GetProperty("me");
        Assert.Equal("alice", me.GetProperty("who").GetString());
        Assert.Equal("alice@acme.example", me.GetProperty("email").GetString());

        var (batch, batchUpstream) = await PostAsync("bob", "[" + Gql("{ viewer { entity } }") + "," + Gql("{ viewer { username } }") + "]");
        Assert.Null(batchUpstream);
        Assert.Equal("bob", batch.Json[1].GetProperty("data").GetProperty("viewer").GetProperty("username").GetString());
    }

    [Fact]
    public async Task MixedViewerAndServerInfo_IsForwarded_AndTheViewerReplaced()
    {
        var (response, upstream) = await PostAsync("ci@ml", Gql("query { viewer { entity username } serverInfo { cliVersionInfo } }"));
        Assert.NotNull(upstream);
        Assert.Equal("ml", response.Json.GetProperty("data").GetProperty("viewer").GetProperty("entity").GetString());
        Assert.DoesNotContain(SharedUserUpstream.SharedEntity, response.Text);
    }

    [Fact]
    public async Task NullEntity_IsMadeExplicit_InVariablesAndLiterals_AndTheRunLandsInTheDefaultTeam()
    {
        const string upsert = "mutation UpsertBucket($name: String, $project: String, $entity: String) { upsertBucket(input: {name: $name, modelName: $project, entityName: $entity}) { bucket { project { name entity { name } } } } }";
        var (response, upstream) = await PostAsync("ci@ml", Gql(upsert, new { name = "r", project = "team-p", entity = (string?)null }));
        Assert.Equal(200, response.Status);
        using (var sent = JsonDocument.Parse(upstream!.Body))
        {
            Assert.Equal("ml", sent.RootElement.GetProperty("variables").GetProperty("entity").GetString());
        }

        // The SDK adopts bucket.project.entity.name: the service account's team, not the shared user's entity.
        Assert.Equal("ml", response.Json.GetProperty("data").GetProperty("upsertBucket").GetProperty("bucket").GetProperty("project").GetProperty("entity").GetProperty("name").GetString());
        Assert.Equal(upstream.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), upstream.Single("Content-Length"));

        // Variable left out entirely, a literal null, a missing argument: all explicit upstream.
        var (_, omitted) = await PostAsync("ci@ml", Gql(upsert, new { name = "r", project = "team-p" }));
        Assert.Contains("\"entity\":\"ml\"", omitted!.Body);
        var (_, literal) = await PostAsync("ci@ml", Gql("mutation { upsertBucket(input: {modelName: \"team-p\", entityName: null}) { bucket { id } } }"));
        Assert.Contains("entityName: \\\"ml\\\"", literal!.Body);
        var (_, missing) = await PostAsync("ci@ml", Gql("query { model(name: \"team-p\") { id } }"));
        Assert.Contains("model(entityName: \\\"ml\\\", name: \\\"team-p\\\")", missing!.Body);
        var (_, missingInput) = await PostAsync("ci@ml", Gql("mutation { upsertBucket(input: {modelName: \"team-p\"}) { bucket { id } } }"));
        Assert.Contains("entityName: \\\"ml\\\", modelName", missingInput!.Body);

        // The input in a variable's default, the variable not sent: the default is what executes, so the
        // entity is made explicit there, and the run lands in the team, not in the shared user's entity.
        const string defaulted = "mutation M($input: UpsertBucketInput = {modelName: \"team-p\", name: \"r\"}) { upsertBucket(input: $input) { bucket { project { name entity { name } } } } }";
        var (landed, inDefault) = await PostAsync("ci@ml", Gql(defaulted));
        Assert.Contains("{entityName: \\\"ml\\\", modelName: \\\"team-p\\\"", inDefault!.Body);
        Assert.Equal("ml", landed.Json.GetProperty("data").GetProperty("upsertBucket").GetProperty("bucket").GetProperty("project").GetProperty("entity").GetProperty("name").GetString());

        // Scoped mutations that name their entity in input.entityName: a null or missing one is made
        // explicit too, never left to the shared user's default.
        // Where the schema says entityName: String! (createArtifactType), a null or missing entity breaks the
        // spec's validation (5.6.1): refused, as a spec-following upstream would refuse it, nothing forwarded.
        foreach (var input in new[] { "entityName: null, projectName: \"team-p\", name: \"dataset\"", "projectName: \"team-p\", name: \"dataset\"" })
        {
            var (refused, nothing) = await PostAsync("ci@ml", Gql("mutation { createArtifactType(input: {" + input + "}) { artifactType { id } } }"));
            Assert.Equal(400, refused.Status);
            Assert.Equal("graphql_invalid", refused.Json.GetProperty("code").GetString());
            Assert.Null(nothing);
        }
        var (_, runFiles) = await PostAsync("ci@ml", Gql("mutation { createRunFiles(input: {projectName: \"team-p\", runName: \"r\", files: [\"a.txt\"]}) { runID } }"));
        Assert.Contains("{entityName: \\\"ml\\\", projectName", runFiles!.Body);
        const string viaVariable = "mutation C($input: CreateArtifactInput!) { createArtifact(input: $input) { artifact { id } } }";
        var (_, artifact) = await PostAsync("ci@ml", Gql(viaVariable, new { input = new { projectName = "team-p", artifactTypeName = "dataset", digest = "d", artifactCollectionNames = new[] { "c" } } }));
        using (var sent = JsonDocument.Parse(artifact!.Body))
        {
            Assert.Equal("ml", sent.RootElement.GetProperty("variables").GetProperty("input").GetProperty("entityName").GetString());
        }
    }

    [Fact]
    public async Task RequestsNeedingNoRewrite_KeepTheirExactBytes()
    {
        var body = "{ \"query\" : \"query { project(entityName: \\\"ml\\\", name: \\\"team-p\\\") { id } }\" ,\"variables\":{} }";
        var (response, upstream) = await PostAsync("ci@ml", body);
        Assert.Equal(200, response.Status);
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes(body)), upstream!.BodyBase64);
    }

    [Fact]
    public async Task IdLookups_AreCached_AndAFailingUpstreamIs503WithNothingForwarded()
    {
        fixture.Upstream.Ids["UnVuOjc3"] = ("ml", "open-p");
        var delete = Gql("mutation DeleteRun($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }", new { id = "UnVuOjc3" });
        var before = fixture.Upstream.Lookups.Count;
        Assert.Equal(200, (await PostAsync("bob", delete)).Response.Status);
        Assert.Equal(200, (await PostAsync("alice", delete)).Response.Status);
        Assert.Equal(before + 1, fixture.Upstream.Lookups.Count);
        var lookup = fixture.Upstream.Lookups.Last();
        Assert.Contains("GatewayRunScope", lookup);

        fixture.Upstream.Ids["UnVuOjc4"] = ("ml", "open-p");
        fixture.Upstream.Fail = true;
        try
        {
            var (response, upstream) = await PostAsync("bob", Gql("mutation { stopRun(input: {id: \"UnVuOjc4\"}) { clientMutationId } }"));
            Assert.Equal(503, response.Status);
            Assert.Equal("id_lookup_unavailable", response.Code);
            Assert.True(response.Headers.RetryAfter is not null);
            Assert.Null(upstream);
        }
        finally
        {
            fixture.Upstream.Fail = false;
        }
    }

    [Fact]
    public async Task StripUpstreams_FollowTheSameRules()
    {
        var (unknown, unknownUpstream) = await PostAsync("ci@ml", Gql("{ runs { id } }"), "/strip/graphql");
        Assert.Equal("graphql_field_not_allowed", unknown.Code);
        Assert.Null(unknownUpstream);
        var (viewer, viewerUpstream) = await PostAsync("ci@ml", Gql("{ viewer { entity } }"), "/strip/graphql");
        Assert.Null(viewerUpstream);
        Assert.Equal("ml", viewer.Json.GetProperty("data").GetProperty("viewer").GetProperty("entity").GetString());
        var (ok, okUpstream) = await PostAsync("ci@ml", Gql("{ project(entityName: \"ml\", name: \"team-p\") { id } }"), "/strip/graphql");
        Assert.Equal(200, ok.Status);
        Assert.False(okUpstream!.Has("Authorization"));
    }

    [Fact]
    public async Task NestedEntity_PairsWithItsProjects()
    {
        // Issue 18's vector: the project under entity(name:"cv") is cv's, not the caller's default entity's.
        var (response, upstream) = await PostAsync("ci@ml", Gql("{ entity(name: \"cv\") { project(name: \"team-p\") { id } } }"));
        Assert.Equal(403, response.Status);
        Assert.Null(upstream);
    }
}
