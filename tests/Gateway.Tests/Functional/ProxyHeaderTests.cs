using System.Text;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Spoofed reserved headers, credentials and forwarding headers never reach the upstream as sent.</summary>
[Collection(ProxyCollection.Name)]
public sealed class ProxyHeaderTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    [Fact]
    public async Task ReservedHeaders_InAnyCase_AreReplacedByTheVerifiedOnes()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("ci@ml"), r =>
        {
            r.Headers.TryAddWithoutValidation("X-Gateway-Entity", "victim-team");
            r.Headers.TryAddWithoutValidation("x-gateway-project", "secret");
            r.Headers.TryAddWithoutValidation("X-GATEWAY-PRINCIPAL", "ceo");
            r.Headers.TryAddWithoutValidation("X-Gateway-Attributed-User", "ceo");
            r.Headers.TryAddWithoutValidation("X-Gateway-Anything-New", "x");
        });
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream);
        Assert.Equal(["ml"], upstream.Values("X-Gateway-Entity"));
        Assert.Equal(["team-p"], upstream.Values("X-Gateway-Project"));
        Assert.Equal(["ci@ml"], upstream.Values("X-Gateway-Principal"));
        Assert.Empty(upstream.Values("X-Gateway-Attributed-User"));
        Assert.Empty(upstream.Values("X-Gateway-Anything-New"));
    }

    [Fact]
    public async Task MoreForbiddenHeadersThanOnePassNotes_AreAllRemoved()
    {
        // The transform notes up to eight names per pass over the outgoing headers: 25 take several.
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("ci@ml"), r =>
        {
            for (var i = 0; i < 20; i++)
            {
                r.Headers.TryAddWithoutValidation($"X-Gateway-Spoof-{i}", "ceo");
            }

            r.Headers.TryAddWithoutValidation("X-Gateway-Entity", "victim-team");
            r.Headers.TryAddWithoutValidation("Cookie", "wandb_session=stolen");
            r.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.9.9.9");
            r.Headers.TryAddWithoutValidation("X-Real-IP", "10.9.9.9");
            r.Headers.TryAddWithoutValidation("X-Test-Kept", "yes");
        });
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream);
        Assert.DoesNotContain(upstream.Headers, h => h.Key.StartsWith("X-Gateway-Spoof", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(["ml"], upstream.Values("X-Gateway-Entity"));
        Assert.False(upstream.Has("Cookie"));
        Assert.False(upstream.Has("X-Real-IP"));
        Assert.False(upstream.Has("Authorization"));
        Assert.Equal(["127.0.0.1"], upstream.Values("X-Forwarded-For"));
        Assert.Equal(["yes"], upstream.Values("X-Test-Kept"));
    }

    [Theory]
    [InlineData("X_Gateway_Entity")]
    [InlineData("x_gateway_principal")]
    [InlineData("X-Gateway_Entity")]
    [InlineData("X_WANDB_USERNAME")]
    [InlineData("wandb_api_key")]
    [InlineData("X_Forwarded_For")]
    public async Task UnderscoreTwinsOfReservedHeaders_Are400_NothingForwarded(string header)
    {
        var marker = Marker();
        var (status, _) = await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get("/read/ml/open-p/x", "gw",
            "Authorization: " + Basic(K("bob")), $"{header}: victim", "X-Test-Marker: " + marker));
        Assert.Equal(400, status);
        Assert.Null(Upstream(marker));
    }

    [Theory]
    [InlineData("X-WANDB-USERNAME: bob", "X-WANDB-USERNAME: carol")]
    [InlineData("X-WANDB-USERNAME: bob", "x-wandb-username: carol")]
    [InlineData("X-WANDB-USER-EMAIL: bob@acme.example", "X-Wandb-User-Email: carol@acme.example")]
    public async Task AnAttributionHeaderSentTwice_Is400_NothingForwarded(string first, string second)
    {
        // Which of two values an upstream reads is its choice: refused, whoever would be attributed.
        var marker = Marker();
        var (status, text) = await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get("/files/ml/team-p/r/file_stream", "gw",
            "Authorization: " + Basic(K("ci@ml")), first, second, "X-Test-Marker: " + marker));
        Assert.True(status == 400 && text.Contains("\"code\":\"reserved_header\""), text);
        Assert.Null(Upstream(marker));

        // Once, the same request is forwarded.
        var once = Marker();
        var (allowed, _) = await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get("/files/ml/team-p/r/file_stream", "gw",
            "Authorization: " + Basic(K("ci@ml")), first, "X-Test-Marker: " + once));
        Assert.Equal(200, allowed);
        Assert.NotNull(Upstream(once));
    }

    [Fact]
    public async Task ConnectionHeader_CannotRemoveAHeaderTheGatewaySets()
    {
        var marker = Marker();
        var (status, _) = await RawHttp.SendAsync(Gw.ProxyUrl,
            "GET /read/ml/team-p/x HTTP/1.1\r\nHost: gw\r\n" +
            $"Authorization: {Basic(K("bob"))}\r\nX-Test-Marker: {marker}\r\n" +
            "Connection: close, X-Gateway-Entity, X-Gateway-Principal, X-Gateway-Project\r\n\r\n");
        Assert.Equal(200, status);
        var upstream = Upstream(marker);
        Assert.NotNull(upstream);
        Assert.Equal(["ml"], upstream.Values("X-Gateway-Entity"));
        Assert.Equal(["bob"], upstream.Values("X-Gateway-Principal"));
        Assert.Equal(["team-p"], upstream.Values("X-Gateway-Project"));
    }

    [Fact]
    public async Task Credentials_Cookies_AndClientForwardingHeaders_AreNotForwarded()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("bob"), r =>
        {
            r.Headers.TryAddWithoutValidation("Cookie", "wandb_session=stolen");
            r.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.9.9.9");
            r.Headers.TryAddWithoutValidation("X-Forwarded-Host", "admin.internal");
            r.Headers.TryAddWithoutValidation("Forwarded", "for=10.9.9.9");
            r.Headers.TryAddWithoutValidation("X-Real-IP", "10.9.9.9");
            r.Headers.TryAddWithoutValidation("X-Neptune-Api-Token", "token");
        });
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream);
        Assert.False(upstream.Has("Authorization"));
        Assert.False(upstream.Has("Cookie"));
        Assert.False(upstream.Has("Forwarded"));
        Assert.False(upstream.Has("X-Real-IP"));
        Assert.False(upstream.Has("X-Neptune-Api-Token"));
        Assert.Equal(["127.0.0.1"], upstream.Values("X-Forwarded-For"));
        Assert.DoesNotContain("admin.internal", upstream.Values("X-Forwarded-Host"));
        Assert.DoesNotContain(K("bob"), string.Join("\n", upstream.Headers.Select(h => h.Value)));
    }

    [Fact]
    public async Task AClusterWithItsOwnCredential_SendsExactlyThatCredential()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Get, "/swap/ml/team-p", K("bob"), r =>
            r.Headers.TryAddWithoutValidation("wandb-api-key", K("bob")));
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream);
        Assert.Equal(["Bearer " + ProxyFixture.UpstreamSecret], upstream.Values("Authorization"));
        Assert.False(upstream.Has("wandb-api-key"));
        Assert.DoesNotContain(ProxyFixture.UpstreamSecret, Gw.Logs.All);
    }

    [Fact]
    public async Task Attribution_ForwardedWhenVerified_DroppedOtherwise()
    {
        // Team SA, user in its parent team: forwarded.
        var (ok, okUpstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("ci@ml"),
            r => r.Headers.TryAddWithoutValidation("X-WANDB-USERNAME", "bob"));
        Assert.Equal(200, ok.Status);
        Assert.Equal(["bob"], okUpstream!.Values("X-Gateway-Attributed-User"));
        Assert.Equal(["bob"], okUpstream.Values("X-WANDB-USERNAME"));

        // Team SA, user of another team: request allowed, attribution dropped.
        var (dropped, droppedUpstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("ci@ml"),
            r => r.Headers.TryAddWithoutValidation("X-WANDB-USERNAME", "carol"));
        Assert.Equal(200, dropped.Status);
        Assert.False(droppedUpstream!.Has("X-Gateway-Attributed-User"));
        Assert.False(droppedUpstream.Has("X-WANDB-USERNAME"));
        Assert.Contains(Gw.Logs.Lines, l => l.Contains("attribution_user_not_in_team"));

        // A user principal cannot attribute.
        var (user, userUpstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("bob"),
            r => r.Headers.TryAddWithoutValidation("X-WANDB-USER-EMAIL", "alice@acme.example"));
        Assert.Equal(200, user.Status);
        Assert.False(userUpstream!.Has("X-WANDB-USER-EMAIL"));
        Assert.False(userUpstream.Has("X-Gateway-Attributed-User"));

        // Org SA writing to ml, user in ml, by email: forwarded.
        var (org, orgUpstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("bot@acme"),
            r => r.Headers.TryAddWithoutValidation("X-WANDB-USER-EMAIL", "bob@acme.example"));
        Assert.Equal(200, org.Status);
        Assert.Equal(["bob"], orgUpstream!.Values("X-Gateway-Attributed-User"));
        Assert.Equal(["bob@acme.example"], orgUpstream.Values("X-WANDB-USER-EMAIL"));

        // Authenticated-only route (GraphQL): the org SA's default team (cv) is the target; bob is not in it.
        var (graphql, graphqlUpstream) = await SendAsync(HttpMethod.Post, "/graphql", K("bot@acme"),
            r => r.Headers.TryAddWithoutValidation("X-WANDB-USERNAME", "bob"));
        Assert.Equal(200, graphql.Status);
        Assert.Equal(["cv"], graphqlUpstream!.Values("X-Gateway-Entity"));
        Assert.False(graphqlUpstream.Has("X-WANDB-USERNAME"));
    }

    private static string Basic(string key) => "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key));
}
