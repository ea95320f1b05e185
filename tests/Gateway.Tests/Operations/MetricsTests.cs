using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Operations;

/// <summary>Prometheus metrics on the admin listener, moved by real traffic.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_CountRequestsDenialsCachesExchangesAndKeyFetches()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var idp = await TestIssuer.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => FederationFixture.Config(echo.Url));
        var root = gw.RootKey;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "cv" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/cv/projects", root, new { name = "p" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", root, new { username = "bob", email = "bob@acme.example" }));
        await OrgFixture.Ok(gw.PutAsync("/admin/v1/teams/ml/members/bob", root, new { role = "member" }));
        var bob = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", root, new { name = "k" }))).Str("key");
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = idp.Url }));

        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", bob, new { })).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", bob, new { })).Status);
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/cv/p/r/file_stream", bob, new { })).Status);
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", new Gateway.Keys.ApiKeyFormat("gw").Mint(Policy.Model.ApiKeyFormatKind.Standard).Key, new { })).Status);
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(gw, idp.Token("bob@acme.example"))).Status);
        FederationExchangeTests.AssertInvalidGrant(await FederationFixture.ExchangeAsync(gw, idp.Token("nobody@acme.example")));

        var metrics = await gw.Http.GetAsync(new Uri(gw.AdminUrl, "/metrics"));
        Assert.Equal(200, (int)metrics.StatusCode);
        Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType!.ToString());
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Equal(2, Value(text, """gateway_requests_total{route="graphql",outcome="forwarded"}"""));
        Assert.Equal(1, Value(text, """gateway_requests_total{route="graphql",outcome="unauthenticated"}"""));
        Assert.Equal(1, Value(text, """gateway_requests_total{route="files",outcome="denied"}"""));
        Assert.Equal(1, Value(text, """gateway_denials_total{reason="not_a_member"}"""));
        Assert.True(Value(text, """gateway_key_cache_lookups_total{result="hit"}""") >= 1);
        Assert.True(Value(text, """gateway_key_cache_lookups_total{result="miss"}""") >= 1);
        Assert.True(Value(text, """gateway_authentication_duration_seconds_count{method="api_key"}""") >= 3);
        Assert.Equal(1, Value(text, """gateway_token_exchanges_total{outcome="issued"}"""));
        Assert.Equal(1, Value(text, """gateway_token_exchanges_total{outcome="invalid_grant"}"""));
        Assert.True(Value(text, """gateway_jwks_fetches_total{outcome="success"}""") >= 1);
        Assert.Contains("gateway_last_used_flush_lag_seconds", text);
        Assert.DoesNotContain(bob, text);

        // Only on the admin listener.
        Assert.Equal(404, (int)(await gw.Http.GetAsync(new Uri(gw.ProxyUrl, "/metrics"))).StatusCode);
    }

    private static double Value(string text, string series)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(series) + @" (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no series {series} in:\n{text}");
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
