using Gateway.GraphQL.Scope;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Policy.Model;
using GraphQLParser;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// The parsed-document cache: the same text under the same options is parsed once; a shared tree never
/// carries one request's variables, defaulted entity or edits into another's; what is cached is bounded.
/// </summary>
public sealed class GraphQlDocumentCacheTests
{
    private static readonly BodyLimits Limits = new()
    {
        MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20,
        EntityNames = BodyLimits.DefaultEntityNames.ToHashSet().ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToHashSet().ToFrozenSet(),
    };

    private static GraphQlRuleTable Rules()
    {
        var errors = new List<string>();
        var table = GraphQlRuleTable.Load("r", GraphQlRuleTable.BuiltinWandb, ".", errors);
        Assert.Empty(errors);
        return table!;
    }

    // The query as a JSON string element, as the extractor hands it over.
    private static JsonElement Json(string query) => JsonDocument.Parse(JsonSerializer.Serialize(query)).RootElement;

    private static JsonElement RawJson(string rawString) => JsonDocument.Parse(rawString).RootElement;

    [Fact]
    public void ARefusedDocument_IsRefusedAgainFromTheCache_WithTheSameCode()
    {
        // A document the type walk refuses costs its walk and validation once; sent again, one lookup.
        var rules = Rules();
        var options = new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 144 };
        var query = Json("query Cached" + Guid.NewGuid().ToString("N") + " { project(name: \"p\", entityName: \"ml\") { user { apiKey } } }");
        var first = Assert.Throws<BodyScopeException>(() => GraphQlDocumentCache.Parse(query, options, rules));
        Assert.Equal(GraphQlCodes.FieldNotAllowed, first.Code);
        Assert.Same(first, GraphQlDocumentCache.CachedRefusal(query, options, rules));
        var again = Assert.Throws<BodyScopeException>(() => GraphQlDocumentCache.Parse(query, options, rules));
        Assert.Equal((first.Status, first.Code, first.Message), (again.Status, again.Code, again.Message));

        // Only the schema's verdicts are cached, not a document that passed.
        var valid = Json("query Fine" + Guid.NewGuid().ToString("N") + " { viewer { id } }");
        GraphQlDocumentCache.Parse(valid, options, rules);
        Assert.Null(GraphQlDocumentCache.CachedRefusal(valid, options, rules));
    }

    [Fact]
    public void TheSameText_IsParsedOnce_PerParserOptions()
    {
        var query = "query Cached" + Guid.NewGuid().ToString("N") + " {\n viewer { id } }";
        var first = GraphQlDocumentCache.Parse(Json(query), new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 80 });
        Assert.Same(first, GraphQlDocumentCache.Parse(Json(new string(query.AsSpan())), new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 80 }));
        Assert.NotSame(first, GraphQlDocumentCache.Parse(Json(query), new ParserOptions { Ignore = IgnoreOptions.All, MaxDepth = 80 }));
        Assert.NotSame(first, GraphQlDocumentCache.Parse(Json(query), new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 81 }));

        var huge = "query Q { viewer { id } }" + new string(' ', GraphQlDocumentCache.MaxQueryLength);
        Assert.NotSame(GraphQlDocumentCache.Parse(Json(huge), new ParserOptions()), GraphQlDocumentCache.Parse(Json(huge), new ParserOptions()));
    }

    [Fact]
    public void TheSameTextEscapedDifferently_ParsesToTheSameOperation_AndDifferentTextsNeverShareATree()
    {
        var name = "Escaped" + Guid.NewGuid().ToString("N");
        var options = new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = 80 };
        var plain = GraphQlDocumentCache.Parse(RawJson($"\"query {name} {{ viewer {{ id }} }}\""), options);
        var escaped = GraphQlDocumentCache.Parse(RawJson($"\"query {name} {{ \\u0076iewer {{ id }} }}\""), options);
        Assert.Equal(plain.Source.ToString(), escaped.Source.ToString());

        // One byte apart (the field): two entries, two different trees.
        var other = GraphQlDocumentCache.Parse(RawJson($"\"query {name} {{ viewes {{ id }} }}\""), options);
        Assert.NotSame(plain, other);
        Assert.Contains("viewes", other.Source.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("viewes", plain.Source.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ASharedDocument_IsReadWithEachRequestsOwnVariablesAndEntity()
    {
        const string query = "mutation UpsertBucket($entity: String, $project: String, $name: String) { upsertBucket(input: {entityName: $entity, modelName: $project, name: $name}) { bucket { id } } }";
        byte[] Body(string? entity, string project) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query, variables = new { entity, project, name = "r1" } }));

        var a = GraphQlScopeExtractor.Analyze(Body("ml", "team-p"), Limits, Rules(), "ml");
        var b = GraphQlScopeExtractor.Analyze(Body("cv", "cv-p"), Limits, Rules(), "cv");
        Assert.Equal([new ScopeReference("ml", "team-p", AccessAction.Write)], a.References);
        Assert.Equal([new ScopeReference("cv", "cv-p", AccessAction.Write)], b.References);

        // A null entity is made explicit as each caller's own default, from the same cached tree.
        var nullA = GraphQlScopeExtractor.Analyze(Body(null, "team-p"), Limits, Rules(), "ml");
        var nullB = GraphQlScopeExtractor.Analyze(Body(null, "cv-p"), Limits, Rules(), "cv");
        Assert.Contains("\"ml\"", Encoding.UTF8.GetString(GraphQlBodyRewriter.Rewrite(Body(null, "team-p"), nullA, "ml")));
        Assert.Contains("\"cv\"", Encoding.UTF8.GetString(GraphQlBodyRewriter.Rewrite(Body(null, "cv-p"), nullB, "cv")));
        Assert.DoesNotContain("\"ml\"", Encoding.UTF8.GetString(GraphQlBodyRewriter.Rewrite(Body(null, "cv-p"), nullB, "cv")));
    }

    [Fact]
    public void ADocumentThatDoesNotParse_IsRefusedEveryTime()
    {
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query = "query { viewer { " }));
        for (var i = 0; i < 2; i++)
        {
            var refused = Assert.Throws<BodyScopeException>(() => GraphQlScopeExtractor.Analyze(body, Limits, Rules(), "ml"));
            Assert.Equal(BodyScopeCodes.InvalidGraphQl, refused.Code);
        }
    }
}
