using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Answers the gateway must filter (listings) or replace (viewer) fail closed: when the upstream's
/// answer does not have the request's shape, the client gets 502 upstream_response_unreadable and
/// none of it. bob (an ml member) may not read the restricted ml/secret, which the upstream lists.
/// </summary>
public sealed class ResponseShapeTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>, IDisposable
{
    public void Dispose() => fixture.Upstream.Misanswer = null;

    private async Task<ApiResponse> PostAsync(string body) => await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys["bob"], body);

    private const string Listing = "{ models(entityName: \"ml\") { edges { node { name } } } }";

    private static string Batch(params string[] queries) => JsonSerializer.Serialize(queries.Select(q => new { query = q }));

    private static void AssertUnreadable(ApiResponse response)
    {
        Assert.True(response.Status == 502 && response.Code == "upstream_response_unreadable", response.ToString());
        Assert.DoesNotContain("secret", response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("shared-user", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABatchAnsweredByAnObject_Is502_NotPassedThroughUnfiltered()
    {
        // The upstream answers the batch's first response alone, as an object.
        fixture.Upstream.Misanswer = answer => (JsonDocument.Parse(answer).RootElement[0].GetRawText(), "application/json");
        AssertUnreadable(await PostAsync(Batch(Listing)));
        // The same with the viewer, whose answer must be replaced.
        AssertUnreadable(await PostAsync(Batch("{ viewer { id username entity } serverInfo { cliVersionInfo } }")));
        // Fewer responses than operations.
        fixture.Upstream.Misanswer = answer => ("[" + JsonDocument.Parse(answer).RootElement[0].GetRawText() + "]", "application/json");
        AssertUnreadable(await PostAsync(Batch(Listing, Listing)));
    }

    [Theory]
    [InlineData("""{"data":{"models":{"edges":[{"node":{"name":"secret"}}]}},"data":{"models":{"edges":[]}}}""", "application/json")] // duplicate keys
    [InlineData("""{"models":{"edges":[{"node":{"name":"secret"}}]}}""", "application/json")]                                      // no data, no errors
    [InlineData("""{"data":[{"models":{"edges":[{"node":{"name":"secret"}}]}}]}""", "application/json")]                          // data of the wrong kind
    [InlineData("""[{"data":{"models":{"edges":[{"node":{"name":"secret"}}]}}}]""", "application/json")]                          // an array for one operation
    [InlineData("""{"data":{"models":{"edges":[{"node":{"name":"secret"}}]}}}""", "application/json; charset=utf-16")]            // another charset
    public async Task AnswersOfAnotherShape_Are502(string body, string contentType)
    {
        fixture.Upstream.Misanswer = _ => (body, contentType);
        AssertUnreadable(await PostAsync(JsonSerializer.Serialize(new { query = Listing })));
    }

    [Fact]
    public async Task WellShapedAnswers_AreFiltered_AndErrorsOnlyAnswersPass()
    {
        var filtered = await PostAsync(JsonSerializer.Serialize(new { query = Listing }));
        Assert.True(filtered.Status == 200, filtered.ToString());
        Assert.Contains("team-p", filtered.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"secret\"", filtered.Text, StringComparison.Ordinal);
        var batch = await PostAsync(Batch(Listing, Listing));
        Assert.Equal(2, batch.Json.GetArrayLength());
        Assert.DoesNotContain("\"secret\"", batch.Text, StringComparison.Ordinal);

        // An answer of errors only (data null) has nothing to filter: it passes as sent.
        fixture.Upstream.Misanswer = _ => ("""{"data":null,"errors":[{"message":"rate limited"}]}""", "application/json");
        var errors = await PostAsync(JsonSerializer.Serialize(new { query = Listing }));
        Assert.True(errors.Status == 200 && errors.Text.Contains("rate limited", StringComparison.Ordinal), errors.ToString());
    }
}
