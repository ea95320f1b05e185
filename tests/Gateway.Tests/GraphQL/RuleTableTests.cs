using Gateway.GraphQL.Scope;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

public sealed class RuleTableTests
{
    private static GraphQlRuleTable Builtin()
    {
        var errors = new List<string>();
        var table = GraphQlRuleTable.Load("r", GraphQlRuleTable.BuiltinWandb, ".", errors);
        Assert.Empty(errors);
        return table!;
    }

    [Fact]
    public void TheShippedTable_CoversEveryRootFieldOfTheReference()
    {
        var table = Builtin();
        // Every root field named in shared/reference/wandb-graphql-operations.md (§1, §4).
        string[] queries = ["viewer", "serverInfo", "__type", "project", "model", "models", "entity", "organization", "artifact", "artifactCollection", "launchAgent", "view", "users", "clientIDMapping"];
        string[] mutations =
        [
            "upsertBucket", "deleteRun", "updateRunState", "stopRun", "rewindRun", "deleteFiles", "createRunFiles", "markRunFilesUploaded", "notifyScriptableRunAlert",
            "upsertModel", "createTeam", "createInvite", "deleteInvite", "createServiceAccount", "createUser", "generateApiKey", "deleteApiKey", "createAnonymousEntity",
            "createCustomChart", "upsertSweep", "createAgent", "agentHeartbeat", "enqueueSweepRun", "createArtifactType", "createArtifact", "createArtifactManifest",
            "createArtifactFiles", "commitArtifact", "completeMultipartUploadArtifact", "updateArtifactManifest", "useArtifact", "linkArtifact", "unlinkArtifact",
            "updateArtifact", "deleteArtifact", "addAliases", "deleteAliases", "moveArtifactSequence", "deleteArtifactSequence", "deleteArtifactPortfolio",
            "updateArtifactSequence", "updateArtifactPortfolio", "createArtifactCollectionTagAssignments", "deleteArtifactCollectionTagAssignments", "renameProject",
            "deleteModel", "createProjectMembers", "deleteProjectMembers", "updateProjectMember", "updateProjectTeamMember", "createRunQueue", "createDefaultResourceConfig",
            "upsertRunQueue", "pushToRunQueueByName", "pushToRunQueue", "popFromRunQueue", "ackRunQueueItem", "failRunQueueItem", "updateRunQueueItemWarning",
            "deleteFromRunQueue", "deleteRunQueues", "createLaunchAgent", "updateLaunchAgent", "upsertView", "createFilterTrigger", "updateFilterTrigger", "deleteTrigger",
            "createGenericWebhookIntegration",
        ];
        Assert.Equal("", string.Join(",", queries.Where(q => !table.Query.ContainsKey(q))));
        Assert.Equal("", string.Join(",", mutations.Where(m => !table.Mutation.ContainsKey(m))));
    }

    [Fact]
    public void InvalidRules_AreAllListedAtOnce()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("bad.json"), """
        {
          "idTypes": { "Thing": { "document": "query ($id: ID!) { not graphql {", "entity": "a.b" } },
          "query": {
            "a": { "kind": "maybe" },
            "b": { "kind": "byId" },
            "c": { "kind": "byId", "ids": [ { "argument": "id", "type": "Nowhere" } ] },
            "d": { "kind": "listing" },
            "e": { "kind": "scoped", "color": "blue" }
          },
          "nested": { "x": { "kind": "refused" } },
          "types": { "weird": [ "Project" ], "project": [ "NoSuchType" ] },
          "fields": { "x": { "kind": "refused" }, "Project.nope": { "kind": "same" }, "Project.name": { "kind": "maybe" } },
          "extra": {}
        }
        """);
        var errors = new List<string>();
        Assert.Null(GraphQlRuleTable.Load("gql", "builtin:wandb, bad.json, missing.json, builtin:other", dir.Path, errors));
        foreach (var expected in new[]
                 {
                     "'idTypes.Thing.document' is not a valid GraphQL document", "'idTypes.Thing' needs 'entity' and 'project'", "'query.a.kind' is 'maybe'",
                     "'query.b' is byId but lists no 'ids'", "type 'Nowhere'", "'query.d' is a listing", "'query.e' has unknown property 'color'",
                     "'nested' rules (keyed by field names) are replaced by 'fields'", "'types.weird' is not a list under a known kind",
                     "'types' names 'NoSuchType'", "'fields.x' must be keyed Type.field", "'fields.Project.nope' names no field of the schema",
                     "'fields.Project.name.kind' must be one of", "unknown section 'extra'",
                     "cannot read GraphQL rules", "unknown built-in GraphQL rules 'builtin:other'",
                 })
        {
            Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), expected + " not in:\n" + string.Join("\n", errors));
        }
    }

    [Fact]
    public void OperatorFiles_ExtendAndOverrideTheShippedTable()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("extra.json"), """
        { "query": { "experiments": { "kind": "scoped", "entityArgument": "team" }, "users": { "kind": "none", "refusedArguments": [ "ids" ] } } }
        """);
        File.WriteAllText(dir.File("extra.graphql"), "extend type Query { experiments(team: String): Project }");
        var errors = new List<string>();
        var table = GraphQlRuleTable.Load("gql", "builtin:wandb, extra.graphql, extra.json", dir.Path, errors)!;
        Assert.Empty(errors);
        Assert.Equal(GraphQlRuleKind.Scoped, table.Query["experiments"].Kind);
        Assert.Equal(GraphQlRuleKind.None, table.Query["users"].Kind);
        Assert.Equal(GraphQlRuleKind.Viewer, table.Query["viewer"].Kind);
    }

    [Fact]
    public void AnOperatorInterfaceOverProjectTypes_IsAsStrictAsThem()
    {
        // Found by review: a type condition on an interface the annotations did not name made the
        // artifact's fields free below a field that had left the scope.
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("extra.graphql"), "interface HasMetadata { metadata: JSONString digest: String! } extend type Artifact implements HasMetadata");
        var errors = new List<string>();
        var table = GraphQlRuleTable.Load("gql", "builtin:wandb, extra.graphql", dir.Path, errors)!;
        Assert.Empty(errors);
        Assert.Equal(Gateway.GraphQL.Schema.TypeScopeKind.Project, table.Annotations!.KindOf("HasMetadata"));
        var limits = new BodyLimits
        {
            MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20,
            EntityNames = BodyLimits.DefaultEntityNames.ToHashSet().ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToHashSet().ToFrozenSet(),
        };
        const string query = "{ project(entityName: \"ml\", name: \"open-p\") { run(name: \"r\") { inputArtifacts { edges { node { ... on HasMetadata { metadata digest } } } } } } }";
        var refused = Assert.Throws<BodyScopeException>(() => GraphQlScopeExtractor.Analyze(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query })), limits, table, "ml"));
        Assert.Equal(GraphQlCodes.ScopeLeft, refused.Code);
    }

    [Fact]
    public void NestedFieldsTakingIds_AndObjectFieldsOfScopeBoundTypes_NeedAnAnnotation()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("extra.graphql"), "extend type Project { sibling(id: ID!): Project } extend type User { lookup(id: ID!): String }");
        var errors = new List<string>();
        Assert.Null(GraphQlRuleTable.Load("gql", "builtin:wandb, extra.graphql", dir.Path, errors));
        Assert.Contains(errors, e => e.Contains("'Project.sibling' returns Project from a scope-bound type and has no annotation", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'User.lookup' takes an ID argument and has no annotation", StringComparison.Ordinal));
    }

    [Fact]
    public void ARouteWithBrokenRules_RefusesStartup()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("gateway.json"), """
        { "ReverseProxy": { "Routes": { "g": { "ClusterId": "c", "Match": { "Path": "/graphql" },
            "Metadata": { "Gateway.Scope": "graphql", "Gateway.GraphQL.Rules": "builtin:wandb, /nonexistent/rules.json" } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:9/" } } } } } }
        """);
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
            ["--config", dir.File("gateway.json"), "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0"]));
        Assert.Contains(ex.Errors, e => e.Contains("cannot read GraphQL rules"));
    }

    [Fact]
    public void TheShippedGatewayJson_Starts()
    {
        using var dir = new TempDirectory();
        var shipped = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "gateway.json");
        using var app = GatewayApp.Build(["--config", shipped, "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0"]);
        Assert.NotNull(app);
    }

    [Fact]
    public void DefaultedEntityEdits_PointAtTheRightText()
    {
        var body = JsonSerializer.Serialize(new { query = "query Q($p: String) { model(name: $p) { id } a: project(name: \"x\", entityName: null) { id } }", variables = new { p = "team-p" } });
        var limits = new BodyLimits
        {
            MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20,
            EntityNames = BodyLimits.DefaultEntityNames.ToHashSet().ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToHashSet().ToFrozenSet(),
        };
        var analysis = GraphQlScopeExtractor.Analyze(Encoding.UTF8.GetBytes(body), limits, Builtin(), "ml");
        Assert.Equal([new ScopeReference(null, "team-p", AccessAction.Read), new ScopeReference(null, "x", AccessAction.Read)], analysis.References);
        var rewritten = Encoding.UTF8.GetString(GraphQlBodyRewriter.Rewrite(Encoding.UTF8.GetBytes(body), analysis, "ml"));
        using var json = JsonDocument.Parse(rewritten);
        Assert.Equal("query Q($p: String) { model(entityName: \"ml\", name: $p) { id } a: project(name: \"x\", entityName: \"ml\") { id } }", json.RootElement.GetProperty("query").GetString());
    }

    private static GraphQlAnalysis AnalyzeWithRules(string query, object? variables)
    {
        var limits = new BodyLimits
        {
            MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20, MaxFields = 10_000,
            EntityNames = BodyLimits.DefaultEntityNames.ToHashSet().ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToHashSet().ToFrozenSet(),
        };
        return GraphQlScopeExtractor.Analyze(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query, variables })), limits, Builtin(), "ml");
    }

    [Fact]
    public void AnIdInsideAnInputObjectVariable_IsFound_LiteralOrJson()
    {
        // input.id through a JSON object (the variables) and through a GraphQL object literal: the same id.
        var json = AnalyzeWithRules("mutation D($input: DeleteRunInput!) { deleteRun(input: $input) { clientMutationId } }", new { input = new { clientMutationId = "c", id = "UnVuOjc3" } });
        var literal = AnalyzeWithRules("mutation D { deleteRun(input: {clientMutationId: \"c\", id: \"UnVuOjc3\"}) { clientMutationId } }", null);
        Assert.Equal("UnVuOjc3", Assert.Single(json.Ids).Id);
        Assert.Equal("UnVuOjc3", Assert.Single(literal.Ids).Id);

        // Two members named id: graphql-js acts on the last, a reader of the first would authorize the
        // other, so the document is refused (the specification's input field uniqueness).
        var doubled = Assert.Throws<BodyScopeException>(() => AnalyzeWithRules("mutation D { deleteRun(input: {id: \"UnVuOjE=\", id: \"UnVuOjI=\"}) { clientMutationId } }", null));
        Assert.Equal("invalid_graphql", doubled.Code);
    }

    [Fact]
    public void AWideInputObject_IsWalkedWhole_PastTheStackSizedRoles()
    {
        // 100 members (more than the 64 whose roles are kept on the stack), the project last, nested objects between.
        // Written literally, fields the input type does not have break the spec's validation (5.6.1) before any walk.
        var members = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"f{i}: {{inner{i}: \"v\"}}"));
        var refused = Assert.Throws<BodyScopeException>(() => AnalyzeWithRules($"mutation U {{ upsertBucket(input: {{{members}, entityName: \"team-a\", modelName: \"proj-z\"}}) {{ bucket {{ id }} }} }}", null));
        Assert.Equal(GraphQlCodes.Invalid, refused.Code);
        Assert.Contains("5.6.1", refused.Message);

        // The same through a variable whose value is a JSON object of 100 nested members.
        var input = Enumerable.Range(0, 100).ToDictionary(i => $"f{i}", object (i) => new Dictionary<string, object> { ["entityName"] = $"team-{i % 3}", ["modelName"] = "p" });
        var viaJson = AnalyzeWithRules("mutation U($i: UpsertBucketInput!) { upsertBucket(input: $i) { bucket { id } } }", new { i = input });
        Assert.Equal(3, viaJson.References.Distinct().Count());
        Assert.All(viaJson.References, r => Assert.Equal("p", r.Project));
    }

    private static GraphQlAnalysis AnalyzeRaw(string body)
    {
        var limits = new BodyLimits
        {
            MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20,
            EntityNames = BodyLimits.DefaultEntityNames.ToHashSet().ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToHashSet().ToFrozenSet(),
        };
        return GraphQlScopeExtractor.Analyze(Encoding.UTF8.GetBytes(body), limits, Builtin(), "ml");
    }

    private const string ManyVariables = "mutation U($a: String, $b: String, $c: String, $d: String, $e: String, $f: String, $g: String, $entity: String, $project: String) " +
        "{ upsertBucket(input: {name: $a, groupName: $b, description: $c, displayName: $d, notes: $e, commit: $f, host: $g, entityName: $entity, modelName: $project}) { bucket { id } } }";

    [Theory]
    // Nine variables (the lookup is indexed from eight): plain names, a name written with escapes, a missing one.
    [InlineData("""{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","entity":"team-a","project":"proj-z"}""", "team-a", "proj-z")]
    [InlineData("""{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","en\u0074ity":"team-a","\u0070roject":"proj-z"}""", "team-a", "proj-z")]
    [InlineData("""{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","h":"8","project":"proj-z"}""", "ml", "proj-z")]
    public void ManyVariables_ResolveAsTryGetPropertyWould(string variables, string entity, string project)
    {
        var analysis = AnalyzeRaw("{\"query\":" + JsonSerializer.Serialize(ManyVariables) + ",\"variables\":" + variables + "}");
        Assert.Equal([new ScopeReference(entity == "ml" ? null : entity, project, AccessAction.Write)], analysis.References);
    }

    [Fact]
    public void AVariableNamedTwice_OnceEscaped_IsRefusedAsADuplicate()
    {
        // The index matches raw names; that is only sound because one name cannot appear twice, escaped or not.
        var variables = """{"a":"1","b":"2","c":"3","d":"4","e":"5","f":"6","g":"7","entity":"team-a","en\u0074ity":"team-b","project":"p"}""";
        var refused = Assert.Throws<BodyScopeException>(() => AnalyzeRaw("{\"query\":" + JsonSerializer.Serialize(ManyVariables) + ",\"variables\":" + variables + "}"));
        Assert.Equal(BodyScopeCodes.DuplicateProperty, refused.Code);
    }
}
