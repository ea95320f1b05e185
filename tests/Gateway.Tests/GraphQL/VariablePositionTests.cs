using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.Fuzz;
using Gateway.GraphQL;
using Gateway.GraphQL.Scope;
using Gateway.Tests.GraphQL;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Found by an adversarial review of compiled plans: a scalar-declared variable at an input-object or list
/// position (graphql-dotnet lets non-null ones through; the gateway reads scalar variables as leaves), and
/// a mutation selecting only __typename (a crash, answered 503). Both refused or decided now.
/// </summary>
public sealed class VariablePositionTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    private static readonly GraphQlRuleTable Rules = GraphQlTypeReference.SharedRules;

    private static readonly BodyLimits Limits = new()
    {
        MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes,
        EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
        ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal), Rules = Rules,
    };

    // F1: graphql-dotnet 8.8.5 accepts a non-null scalar variable at a non-null input-object (or list) position
    // ($x: String! at input: LinkArtifactInput!); the leaf rule then skips the object the variable carries.
    [Theory]
    [InlineData("mutation L($x: String!) { linkArtifact(input: $x) { versionIndex } }",
        """{"x":{"artifactID":"QXJ0aWZhY3Q6MQ==","entityName":"cv","projectName":"cv-p","artifactPortfolioName":"stolen"}}""")]
    [InlineData("mutation L($x: String! = \"\") { useArtifact(input: $x) { artifact { id } } }",
        """{"x":{"artifactID":"QXJ0aWZhY3Q6MQ==","entityName":"cv","projectName":"cv-p","runName":"r"}}""")]
    [InlineData("mutation A($a: Boolean!) { addAliases(input: {artifactID: \"QXJ0aWZhY3Q6MQ==\", aliases: $a}) { success } }",
        """{"a":[{"alias":"x","artifactCollectionName":"c","entityName":"cv","projectName":"cv-p"}]}""")]
    public void AScalarDeclaredVariable_AtAnInputObjectPosition_IsRefusedOrRead(string document, string variables)
    {
        var body = GraphQlPlanReference.Body(document, variables);
        foreach (var compiled in new[] { true, false })
        {
            GraphQlAnalysis analysis;
            try
            {
                analysis = GraphQlScopeExtractor.Analyze(body, Limits, Rules, "ml", compiled);
            }
            catch (BodyScopeException ex)
            {
                // Refused as the specification refuses it (5.8.5), before anything is read.
                Assert.Equal(GraphQlCodes.Invalid, ex.Code);
                Assert.Contains("5.8.5", ex.Message, StringComparison.Ordinal);
                continue;
            }

            Assert.Contains(analysis.References, r => r.Entity == "cv" && r.Project == "cv-p");
        }
    }

    [Fact]
    public async Task AScalarDeclaredVariable_CarryingAnotherTeamsProject_IsNotForwarded()
    {
        var marker = Guid.NewGuid().ToString("N");
        var body = """{"query":"mutation L($x: String!) { linkArtifact(input: $x) { versionIndex } }","variables":{"x":{"artifactID":"QXJ0aWZhY3Q6MQ==","entityName":"cv","projectName":"cv-p","artifactPortfolioName":"stolen"}}}""";
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys["ci@ml"], JsonDocument.Parse(body).RootElement, r => r.Headers.Add("X-Test-Marker", marker));
        Assert.Null(fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
        Assert.True(response.Status is 400 or 403, response.ToString());
    }

    // F2: the type walk lets __typename through at the mutation root; the mutation rule table has no entry for it.
    [Fact]
    public void MutationTypename_IsABodyScopeRefusal_NotAnUnexpectedException()
    {
        var body = GraphQlPlanReference.Body("mutation { __typename }", null);
        foreach (var compiled in new[] { true, false })
        {
            var ex = Record.Exception(() => GraphQlScopeExtractor.Analyze(body, Limits, Rules, "ml", compiled));
            Assert.True(ex is null or BodyScopeException, ex?.ToString());
        }
    }

    [Fact]
    public async Task MutationTypename_IsNotA503()
    {
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys["ci@ml"], new { query = "mutation { __typename }" });
        Assert.True(response.Status is not (500 or 503), response.ToString());
    }

    // F3: 64 names of one fingerprint (length 4, same bytes 0, 2 and 3) per object: every name probes the same chain.
}
