using Gateway.GraphQL.Scope;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.Policy.Model;
using Xunit;

namespace Gateway.Tests.BodyScope;

public sealed class GraphQlScopeExtractorTests
{
    private static readonly BodyLimits Limits = new()
    {
        MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20, MaxOperations = 5, MaxFields = 50, MaxDepth = 12,
        EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(),
    };

    private static List<ScopeReference> Extract(string query, object? variables = null, BodyLimits? limits = null)
        => GraphQlScopeExtractor.Extract(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query, variables })), limits ?? Limits);

    private static List<ScopeReference> ExtractRaw(string json, BodyLimits? limits = null)
        => GraphQlScopeExtractor.Extract(Encoding.UTF8.GetBytes(json), limits ?? Limits);

    private static BodyScopeException Refused(Func<object> extract) => Assert.Throws<BodyScopeException>(extract);

    private const string UpsertBucket = "mutation UpsertBucket($entity: String, $project: String, $name: String) { upsertBucket(input: {entityName: $entity, modelName: $project, name: $name}) { bucket { id } } }";

    [Fact]
    public void UpsertBucket_ThroughVariables_IsAWriteOfThatProject()
    {
        var refs = Extract(UpsertBucket, new { entity = "ml", project = "resnet", name = "run-42" });
        Assert.Equal([new ScopeReference("ml", "resnet", AccessAction.Write)], refs);
    }

    [Fact]
    public void NullOrMissingEntity_MeansTheDefaultEntity()
    {
        Assert.Equal([new ScopeReference(null, "resnet", AccessAction.Write)], Extract(UpsertBucket, new { entity = (string?)null, project = "resnet" }));
        Assert.Equal([new ScopeReference(null, "resnet", AccessAction.Write)], Extract(UpsertBucket, new { project = "resnet" }));
    }

    [Fact]
    public void Queries_AreReads_AndViewerNamesNothing()
    {
        Assert.Empty(Extract("query Viewer { viewer { id entity } }"));
        Assert.Equal([new ScopeReference("ml", "p", AccessAction.Read)],
            Extract("query Project($entityName: String!, $projectName: String!) { project(entityName: $entityName, projectName: $projectName) { id } }", new { entityName = "ml", projectName = "p" }));
    }

    [Fact]
    public void CreateRunFiles_EntityProjectRun()
        => Assert.Equal([new ScopeReference("ml", "p", AccessAction.Write)],
            Extract("mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) { createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) { runID } }",
                new { entity = "ml", project = "p", run = "r", files = new[] { "a.txt" } }));

    [Fact]
    public void LiteralsAliasesFragmentsAndInlineFragments_AreAllFound()
    {
        var refs = Extract("""
            query Q($e: String) {
              ok: project(entityName: "ml", name: "open-p") { id }
              sneaky: project(entityName: "ml", name: "secret") { id ...F ... on Project { model(entityName: "cv", name: "inline-p") { id } } }
            }
            fragment F on Project { other: project(entityName: $e, projectName: "frag-p") { id } }
            """, new { e = "ml" });
        Assert.Equal(
        [
            new ScopeReference("ml", "open-p", AccessAction.Read),
            new ScopeReference("ml", "secret", AccessAction.Read),
            new ScopeReference("ml", "frag-p", AccessAction.Read),
            new ScopeReference("cv", "inline-p", AccessAction.Read),
        ], refs);
    }

    [Fact]
    public void NestedInputObjects_InVariablesAndLiterals_PairWithTheEnclosingEntity()
    {
        var refs = Extract("mutation M($input: UpsertInput!) { upsertBucket(input: $input) { bucket { id } } c(entityName: \"ml\", input: {deep: {projectName: \"nested\"}}) { id } }",
            new { input = new { entityName = "cv", inner = new[] { new { modelName = "from-variable" } } } });
        Assert.Equal([new ScopeReference("cv", "from-variable", AccessAction.Write), new ScopeReference("ml", "nested", AccessAction.Write)], refs);
    }

    [Fact]
    public void VariableDefaults_AreUsed_WhenTheVariableIsNotSupplied()
        => Assert.Equal([new ScopeReference("ml", "by-default", AccessAction.Write)],
            Extract("mutation M($entity: String = \"ml\", $project: String = \"by-default\") { upsertBucket(input: {entityName: $entity, modelName: $project}) { bucket { id } } }"));

    [Fact]
    public void EntityWithoutProject_IsAnEntityLevelReference()
        => Assert.Equal([new ScopeReference("ml", null, AccessAction.Read)], Extract("query { models(entityName: \"ml\") { edges { node { id } } } }"));

    [Fact]
    public void EveryOperationOfABatch_IsCollected_EvenWhenOperationNameSelectsOne()
    {
        var refs = ExtractRaw(JsonSerializer.Serialize(new[]
        {
            new { query = UpsertBucket, variables = new { entity = "ml", project = "ok" } },
            new { query = UpsertBucket, variables = new { entity = "ml", project = "restricted" } },
        }));
        Assert.Equal(2, refs.Count);
        var both = Extract("query A { project(entityName: \"ml\", name: \"a\") { id } } mutation B { upsertBucket(input: {entityName: \"ml\", modelName: \"b\"}) { bucket { id } } }");
        Assert.Equal([new ScopeReference("ml", "a", AccessAction.Read), new ScopeReference("ml", "b", AccessAction.Write)], both);
    }

    [Theory]
    [InlineData("{\"query\": \"{ viewer { id } }\", \"query\": \"mutation { x }\"}", BodyScopeCodes.DuplicateProperty)]
    [InlineData("{\"query\": \"{ a }\", \"variables\": {\"project\": \"ok\", \"project\": \"restricted\"}}", BodyScopeCodes.DuplicateProperty)]
    [InlineData("{\"query\": \"{ a \"}", BodyScopeCodes.InvalidGraphQl)]
    [InlineData("{\"variables\": {}}", BodyScopeCodes.InvalidGraphQl)]
    [InlineData("not json", BodyScopeCodes.InvalidJson)]
    [InlineData("[]", BodyScopeCodes.TooManyOperations)]
    [InlineData("{\"query\": \"{ project(entityName: 5, name: \\\"p\\\") { id } }\"}", BodyScopeCodes.InvalidScope)]
    [InlineData("{\"query\": \"{ project(entityName: \\\"ML\\\", name: \\\"p\\\") { id } }\"}", BodyScopeCodes.InvalidScope)]
    [InlineData("{\"query\": \"{ project(entityName: \\\"ml\\\", name: \\\"a/../b\\\") { id } }\"}", BodyScopeCodes.InvalidScope)]
    [InlineData("{\"query\": \"{ ...Missing }\"}", BodyScopeCodes.InvalidGraphQl)]
    [InlineData("{\"query\": \"query { ...A } fragment A on Q { ...A }\"}", BodyScopeCodes.InvalidGraphQl)]
    public void BadRequests_AreRefusedWithACode(string json, string code) => Assert.Equal(code, Refused(() => ExtractRaw(json)).Code);

    [Fact]
    public void Caps_OnOperationsFieldsAndDepth()
    {
        var six = "[" + string.Join(",", Enumerable.Repeat("{\"query\": \"{ viewer { id } }\"}", 6)) + "]";
        Assert.Equal(BodyScopeCodes.TooManyOperations, Refused(() => ExtractRaw(six)).Code);
        var wide = "{ " + string.Join(" ", Enumerable.Range(0, 60).Select(i => $"a{i}: viewer {{ id }}")) + " }";
        Assert.Equal(BodyScopeCodes.TooManyFields, Refused(() => Extract(wide)).Code);
        var deep = string.Concat(Enumerable.Repeat("{ a ", 40)) + string.Concat(Enumerable.Repeat("}", 40));
        Assert.Equal(BodyScopeCodes.TooDeep, Refused(() => Extract(deep)).Code);
        // Fragment fan-out is bounded by the same field cap.
        var fanout = "query { ...A ...A ...A ...A } fragment A on Q { ...B ...B ...B ...B } fragment B on Q { x y z }";
        Assert.Equal(BodyScopeCodes.TooManyFields, Refused(() => Extract(fanout)).Code);
    }
}
