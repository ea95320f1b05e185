using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Whole SDK flows through the gateway with the SDKs' own documents (tools/graphql-schema/sdk-operations.graphql,
/// from the reference), against a recording upstream that answers them as the service would: a sweep
/// and its agent (wandb sweep, wandb agent), an artifact logged and then used by a run. Every step is
/// forwarded on the project it names or the id it was learned or looked up on.
/// </summary>
public sealed class SdkFlowTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    private static string Doc(string name) => SdkOperationsTests.Split()[name];

    private async Task<JsonElement> Step(string who, string operation, object variables, string project)
    {
        var marker = Guid.NewGuid().ToString("N");
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys[who], JsonSerializer.Serialize(new { query = Doc(operation), variables }), r => r.Headers.Add("X-Test-Marker", marker));
        Assert.True(response.Status == 200, $"{operation}: {response.Status} {response.Text}");
        var upstream = fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker);
        Assert.NotNull(upstream);
        Assert.Equal(project, upstream!.Single("X-Gateway-Project"));
        return response.Json.GetProperty("data");
    }

    [Fact]
    public async Task SweepThenAgent_CreatesHeartbeatsAndRunsOnTheSweepsProject()
    {
        var sweep = await Step("ci@ml", "UpsertSweep", new { config = "{}", entityName = "ml", projectName = "team-p" }, "team-p");
        var sweepName = sweep.GetProperty("upsertSweep").GetProperty("sweep").GetProperty("name").GetString()!;
        var agent = await Step("ci@ml", "CreateAgent", new { host = "h", projectName = "team-p", entityName = "ml", sweep = sweepName }, "team-p");
        var agentId = agent.GetProperty("createAgent").GetProperty("agent").GetProperty("id").GetString()!;
        await Step("ci@ml", "Heartbeat", new { id = agentId, metrics = "{}", runState = "{}" }, "team-p");
        await Step("ci@ml", "UpsertBucket", new { name = "r1", project = "team-p", entity = "ml", sweep = sweepName }, "team-p");
        await Step("ci@ml", "Heartbeat", new { id = agentId, metrics = "{}", runState = "{\"r1\":\"running\"}" }, "team-p");
    }

    [Fact]
    public async Task ArtifactLoggedThenUsed_EveryStepOnItsProject()
    {
        await Step("ci@ml", "CreateArtifactType", new { entityName = "ml", projectName = "team-p", artifactTypeName = "dataset" }, "team-p");
        var created = await Step("ci@ml", "CreateArtifact", new
        {
            artifactTypeName = "dataset", artifactCollectionNames = new[] { "ds" }, entityName = "ml", projectName = "team-p", runName = "r1",
            digest = "d", clientID = "c1", sequenceClientID = "s1",
        }, "team-p");
        var artifact = created.GetProperty("createArtifact").GetProperty("artifact").GetProperty("id").GetString()!;
        var manifest = await Step("ci@ml", "CreateArtifactManifest", new { name = "wandb_manifest.json", digest = "d", artifactID = artifact, entityName = "ml", projectName = "team-p", runName = "r1", includeUpload = true }, "team-p");
        var manifestId = manifest.GetProperty("createArtifactManifest").GetProperty("artifactManifest").GetProperty("id").GetString()!;
        await Step("ci@ml", "CreateArtifactFiles", new
        {
            storageLayout = "V2",
            artifactFiles = new[] { new { artifactID = artifact, name = "a.txt", md5 = "x", artifactManifestID = manifestId } },
        }, "team-p");
        await Step("ci@ml", "UpdateArtifactManifest", new { artifactManifestID = manifestId, digest = "d2", includeUpload = false }, "team-p");
        await Step("ci@ml", "CommitArtifact", new { artifactID = artifact }, "team-p");
        await Step("ci@ml", "UseArtifact", new { entityName = "ml", projectName = "team-p", runName = "r2", artifactID = artifact }, "team-p");

        // Another team can neither use nor change it.
        var marker = Guid.NewGuid().ToString("N");
        var foreign = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys["carol"],
            JsonSerializer.Serialize(new { query = Doc("UseArtifact"), variables = new { entityName = "cv", projectName = "cv-p", runName = "r", artifactID = artifact } }), r => r.Headers.Add("X-Test-Marker", marker));
        Assert.Equal(403, foreign.Status);
        Assert.Null(fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }
}
