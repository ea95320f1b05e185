using System.Text.Json;
using Gateway.Store;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Ids learned from answers: a sweep agent created through the gateway (createAgent, as `wandb agent`
/// sends it) is bound to the project the create was authorized on, so its heartbeats are authorized
/// there; a run-queue item pushed through the gateway likewise for its ack. Ids the gateway never saw
/// are refused, and a caller of another team cannot use a learned id.
/// </summary>
public sealed class LearnedIdsTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    private const string CreateAgent = "mutation CreateAgent($host: String!, $projectName: String, $entityName: String, $sweep: String!) { createAgent(input: {host: $host, projectName: $projectName, entityName: $entityName, sweep: $sweep}) { agent { id } } }";
    private const string Heartbeat = "mutation Heartbeat($id: ID!, $metrics: JSONString, $runState: JSONString) { agentHeartbeat(input: {id: $id, metrics: $metrics, runState: $runState}) { agent { id } commands } }";

    private async Task<(ApiResponse Response, EchoRequest? Upstream)> PostAsync(string who, string query, object variables)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys[who], JsonSerializer.Serialize(new { query, variables }), r => r.Headers.Add("X-Test-Marker", marker));
        return (response, fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    [Fact]
    public async Task ASweepAgentCreatedThroughTheGateway_HeartbeatsOnItsProject_AndNowhereElse()
    {
        var (created, forwarded) = await PostAsync("ci@ml", CreateAgent, new { host = "h", projectName = "team-p", entityName = "ml", sweep = "sw1" });
        Assert.Equal(200, created.Status);
        Assert.NotNull(forwarded);
        var agent = created.Json.GetProperty("data").GetProperty("createAgent").GetProperty("agent").GetProperty("id").GetString()!;

        // The answer reached the caller as the upstream wrote it.
        Assert.Contains(agent, created.Text);

        var (beat, beatUpstream) = await PostAsync("ci@ml", Heartbeat, new { id = agent, metrics = "{}", runState = "{}" });
        Assert.Equal(200, beat.Status);
        Assert.NotNull(beatUpstream);
        Assert.Equal("team-p", beatUpstream!.Single("X-Gateway-Project"));

        // Carol administers the cv team only: the agent's project is not hers, whoever knows its id.
        var (foreign, foreignUpstream) = await PostAsync("carol", Heartbeat, new { id = agent, metrics = "{}", runState = "{}" });
        Assert.Equal((403, "not_a_member"), (foreign.Status, foreign.Code));
        Assert.Null(foreignUpstream);

        // An id the gateway never saw created: refused, never guessed and never forwarded.
        var (unknown, unknownUpstream) = await PostAsync("ci@ml", Heartbeat, new { id = "QWdlbnQ6OTk5OTk=", metrics = "{}", runState = "{}" });
        Assert.Equal(404, unknown.Status);
        Assert.Equal("id_not_found", unknown.Code);
        Assert.Null(unknownUpstream);
    }

    [Fact]
    public async Task AnAnswerTheCallerShaped_TeachesNothing()
    {
        // Found by review: an alias made the "id" at agent.id a value of the caller's choosing (another
        // team's agent id sent as the host), bound to the caller's project.
        var (victim, _) = await PostAsync("ci@ml", CreateAgent, new { host = "h", projectName = "team-p", entityName = "ml", sweep = "sw1" });
        var victimAgent = victim.Json.GetProperty("data").GetProperty("createAgent").GetProperty("agent").GetProperty("id").GetString()!;
        const string aliased = "mutation { createAgent(input: {host: \"HOST\", entityName: \"cv\", projectName: \"cv-p\", sweep: \"s\"}) { agent { id: host } } }";
        fixture.Upstream.Misanswer = _ => ("{\"data\":{\"createAgent\":{\"agent\":{\"id\":\"" + victimAgent + "\"}}}}", "application/json");
        try
        {
            var (shaped, _) = await PostAsync("carol", aliased.Replace("HOST", victimAgent, StringComparison.Ordinal), new { });
            Assert.Equal(200, shaped.Status);

            // Two operations sharing the response key, the one that runs selecting something else.
            const string twoOperations = "mutation A { createAgent(input: {host: \"h\", entityName: \"cv\", projectName: \"cv-p\", sweep: \"s\"}) { agent { id } } } query B { createAgent: project(entityName: \"cv\", name: \"cv-p\") { agent: run(name: \"x\") { id: name } } }";
            var marker = Guid.NewGuid().ToString("N");
            await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys["carol"], JsonSerializer.Serialize(new { query = twoOperations, operationName = "B" }), r => r.Headers.Add("X-Test-Marker", marker));
        }
        finally
        {
            fixture.Upstream.Misanswer = null;
        }

        var (beat, upstream) = await PostAsync("carol", Heartbeat, new { id = victimAgent, metrics = "{}", runState = "{}" });
        Assert.Equal((403, "not_a_member"), (beat.Status, beat.Code));
        Assert.Null(upstream);
    }

    [Fact]
    public async Task ARunQueueItemPushedThroughTheGateway_IsAckedOnItsProject()
    {
        const string push = "mutation pushToRunQueueByName($entityName: String!, $projectName: String!, $queueName: String!, $runSpec: JSONString!) { pushToRunQueueByName(input: {entityName: $entityName, projectName: $projectName, queueName: $queueName, runSpec: $runSpec}) { runQueueItemId runSpec } }";
        const string ack = "mutation ackRunQueueItem($itemId: ID!, $runId: String!) { ackRunQueueItem(input: {runQueueItemId: $itemId, runName: $runId}) { success } }";
        var (pushed, _) = await PostAsync("ci@ml", push, new { entityName = "ml", projectName = "team-p", queueName = "q", runSpec = "{}" });
        Assert.Equal(200, pushed.Status);
        var item = pushed.Json.GetProperty("data").GetProperty("pushToRunQueueByName").GetProperty("runQueueItemId").GetString()!;

        var (acked, ackUpstream) = await PostAsync("ci@ml", ack, new { itemId = item, runId = "r1" });
        Assert.Equal(200, acked.Status);
        Assert.Equal("team-p", ackUpstream!.Single("X-Gateway-Project"));

        var (foreign, foreignUpstream) = await PostAsync("carol", ack, new { itemId = item, runId = "r1" });
        Assert.Equal((403, "not_a_member"), (foreign.Status, foreign.Code));
        Assert.Null(foreignUpstream);
    }

    [Fact]
    public async Task AnAnswerWithoutTheId_TeachesNothing_AndAFailedCreateNeither()
    {
        var before = fixture.Upstream.Created;
        fixture.Upstream.Misanswer = answer => ("{\"data\":{\"createAgent\":null},\"errors\":[{\"message\":\"sweep not found\"}]}", "application/json");
        try
        {
            var (created, _) = await PostAsync("ci@ml", CreateAgent, new { host = "h", projectName = "team-p", entityName = "ml", sweep = "missing" });
            Assert.Equal(200, created.Status);
            Assert.Contains("sweep not found", created.Text);
        }
        finally
        {
            fixture.Upstream.Misanswer = null;
        }

        // The id the upstream generated (and never returned) was not learned.
        var generated = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"Agent:{fixture.Upstream.Created}"));
        Assert.True(fixture.Upstream.Created > before);
        var (beat, upstream) = await PostAsync("ci@ml", Heartbeat, new { id = generated, metrics = "{}", runState = "{}" });
        Assert.Equal(404, beat.Status);
        Assert.Null(upstream);
    }
}

/// <summary>
/// Found by review: ids inside mutation inputs that nothing resolved (a portfolio of another team, a base
/// artifact of another project, a client id). Every id a rule's field takes is now resolved, refused
/// or ignored with a reason (checked when rules load).
/// </summary>
public sealed class InputIdsTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    private async Task<(ApiResponse Response, EchoRequest? Upstream)> PostAsync(string who, string query, object? variables = null)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys[who], JsonSerializer.Serialize(new { query, variables }), r => r.Headers.Add("X-Test-Marker", marker));
        return (response, fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    [Fact]
    public async Task IdsInsideInputs_AreResolved_AndAnotherTeamsAreRefused()
    {
        fixture.Upstream.Ids["QXJ0aWZhY3RQb3J0Zm9saW86OQ=="] = ("cv", "cv-p");
        const string link = "mutation L($input: LinkArtifactInput!) { linkArtifact(input: $input) { versionIndex } }";
        var (foreignPortfolio, up1) = await PostAsync("ci@ml", link, new { input = new { artifactID = "QXJ0aWZhY3Q6MQ==", artifactPortfolioID = "QXJ0aWZhY3RQb3J0Zm9saW86OQ==", entityName = "ml", projectName = "team-p", artifactPortfolioName = "p" } });
        Assert.Equal(403, foreignPortfolio.Status);
        Assert.Null(up1);

        // A client id names an artifact the gateway cannot resolve: refused, never forwarded.
        var (byClientId, up2) = await PostAsync("ci@ml", link, new { input = new { clientID = "c-1", entityName = "ml", projectName = "team-p", artifactPortfolioName = "p" } });
        Assert.Equal((404, "id_not_found"), (byClientId.Status, byClientId.Code));
        Assert.Null(up2);

        const string manifest = "mutation M($input: CreateArtifactManifestInput!) { createArtifactManifest(input: $input) { artifactManifest { id } } }";
        var (foreignBase, up3) = await PostAsync("ci@ml", manifest, new { input = new { artifactID = "QXJ0aWZhY3Q6MQ==", baseArtifactID = "QXJ0aWZhY3Q6Mg==", name = "m", digest = "d", entityName = "ml", projectName = "team-p", runName = "r", type = "INCREMENTAL" } });
        Assert.Equal(403, foreignBase.Status);
        Assert.Null(up3);

        var (ownBase, up4) = await PostAsync("ci@ml", manifest, new { input = new { artifactID = "QXJ0aWZhY3Q6MQ==", baseArtifactID = "QXJ0aWZhY3Q6MQ==", name = "m", digest = "d", entityName = "ml", projectName = "team-p", runName = "r", type = "INCREMENTAL" } });
        Assert.Equal(200, ownBase.Status);
        Assert.NotNull(up4);
    }

    [Fact]
    public async Task AnOrganization_IsNamedByItsName_NeverByIdOrNull()
    {
        var (byId, up1) = await PostAsync("alice", "{ organization(name: \"acme\", id: \"T3JnOjI=\") { name } }");
        Assert.Equal((403, "graphql_field_refused"), (byId.Status, byId.Code));
        Assert.Null(up1);
        var (byNull, up2) = await PostAsync("alice", "{ organization(name: null) { name } }");
        Assert.Equal((404, "organization_not_found"), (byNull.Status, byNull.Code));
        Assert.Null(up2);
        var (own, up3) = await PostAsync("alice", "{ organization(name: \"acme\") { name } }");
        Assert.Equal(200, own.Status);
        Assert.NotNull(up3);
    }
}

/// <summary>The learned-id bindings of the embedded store: the first binding stands and survives a reopen.</summary>
public sealed class LearnedIdStoreTests
{
    [Fact]
    public void TheFirstBindingStands_AndSurvivesAReopen()
    {
        using var dir = new TempDirectory();
        var at = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000);
        using (var store = new LiteDbGatewayStore(dir.File("gateway.db")))
        {
            Assert.Null(store.FindLearnedId("Agent", "a1"));
            Assert.Equal("team-p", store.BindLearnedId(new LearnedId("Agent", "a1", "ml", "team-p", at)).Project);
            // A second answer naming the same id elsewhere cannot move it.
            Assert.Equal("team-p", store.BindLearnedId(new LearnedId("Agent", "a1", "cv", "cv-p", at)).Project);
            Assert.Null(store.FindLearnedId("RunQueueItem", "a1"));
        }

        using var reopened = new LiteDbGatewayStore(dir.File("gateway.db"));
        var found = reopened.FindLearnedId("Agent", "a1");
        Assert.Equal(("ml", "team-p", at), (found!.Entity, found.Project, found.LearnedAt));
    }
}
