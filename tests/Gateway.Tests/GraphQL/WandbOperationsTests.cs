using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Every root field of the shipped rule table, through real operations of the W&amp;B SDKs
/// (GraphQL/wandb-operations.json, from shared/reference/wandb-graphql-operations.md), sent by a team
/// service account (ci@ml) to the gateway in front of an upstream that acts as one shared user.
/// </summary>
public sealed class WandbOperationsTests(SharedUpstreamFixture fixture) : IClassFixture<SharedUpstreamFixture>
{
    public static TheoryData<string> Operations()
    {
        var data = new TheoryData<string>();
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GraphQL", "wandb-operations.json")));
        foreach (var op in json.RootElement.EnumerateArray())
        {
            data.Add(op.GetProperty("name").GetString()!);
        }

        return data;
    }

    private static JsonElement Operation(string name)
    {
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GraphQL", "wandb-operations.json")));
        return json.RootElement.EnumerateArray().Single(o => o.GetProperty("name").GetString() == name);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Operation_HasTheDocumentedOutcome_ForATeamServiceAccount(string name)
    {
        var op = Operation(name);
        var marker = Guid.NewGuid().ToString("N");
        var body = JsonSerializer.Serialize(new
        {
            query = op.GetProperty("query").GetString(),
            variables = op.TryGetProperty("variables", out var v) ? v : (JsonElement?)null,
        });
        var response = await fixture.Gw.ProxyAsync(HttpMethod.Post, "/graphql", fixture.Keys["ci@ml"], body, r => r.Headers.Add("X-Test-Marker", marker));
        var upstream = fixture.Upstream.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker);
        var expect = op.GetProperty("expect").GetString()!;
        switch (expect)
        {
            case "answer":
                Assert.True(response.Status == 200, response.ToString());
                Assert.Null(upstream);
                AssertNoSharedIdentity(response.Text);
                break;
            case "forward" or "forward-spliced" or "forward-filtered":
                Assert.True(response.Status == 200, response.ToString());
                Assert.NotNull(upstream);
                Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("api:" + SharedUpstreamFixture.UpstreamSecret)), upstream!.Single("Authorization"));
                AssertNoSharedIdentity(response.Text);
                if (op.TryGetProperty("entity", out var entity))
                {
                    // The defaulted entity reached the upstream explicitly, as the gateway authorized it.
                    Assert.Contains("\"" + entity.GetString() + "\"", upstream.Body);
                    Assert.Equal(entity.GetString(), upstream.Single("X-Gateway-Entity"));
                }

                if (expect == "forward-filtered")
                {
                    var names = response.Json.GetProperty("data").GetProperty("models").GetProperty("edges").EnumerateArray()
                        .Select(e => e.GetProperty("node").GetProperty("name").GetString()).ToList();
                    Assert.Contains("team-p", names);
                    Assert.DoesNotContain("secret", names);
                }

                break;
            default:
                var (status, code) = (int.Parse(expect[..3]), expect[4..]);
                Assert.True(response.Status == status && response.Code == code, $"expected {expect}, got {response}");
                Assert.Null(upstream);
                break;
        }
    }

    // The upstream's shared user never reaches a client, in any field.
    private static void AssertNoSharedIdentity(string text)
    {
        Assert.DoesNotContain(SharedUserUpstream.SharedEntity, text);
        Assert.DoesNotContain("shared@upstream", text);
        Assert.DoesNotContain("shared-team", text);
    }
}
