using System.Text;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// A route with <c>Gateway.Mode: shadow</c> over real HTTP: what the gateway would refuse is counted,
/// logged and audited, then forwarded without identity headers (the client's credential still
/// stripped, the cluster's applied); hygiene and differential refusals are never shadowed.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class ShadowModeTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    private async Task<double> WouldDenyAsync(string reason)
    {
        var text = await Gw.Http.GetStringAsync(new Uri(Gw.AdminUrl, "/metrics"));
        var prefix = $"gateway_shadow_would_deny_total{{route=\"shadow\",reason=\"{reason}\"}} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void AssertNoIdentity(EchoRequest upstream)
    {
        // The one gateway header is the verified statement that nothing was verified.
        var gatewayHeaders = upstream.Headers.Where(h => h.Key.StartsWith("X-Gateway-", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal([new KeyValuePair<string, string>("X-Gateway-Auth-Method", "shadow")], gatewayHeaders);
        Assert.Equal("Bearer " + ProxyFixture.UpstreamSecret, upstream.Single("Authorization"));
    }

    [Fact]
    public async Task ADeniedPrincipal_IsForwardedWithoutIdentity_AndCounted()
    {
        var before = await WouldDenyAsync("project_not_found");
        var (response, upstream) = await SendAsync(HttpMethod.Get, "/shadow/ml/secret/x", K("bob"));
        Assert.Equal(200, response.Status);
        AssertNoIdentity(upstream!);
        Assert.Equal(before + 1, await WouldDenyAsync("project_not_found"));
        var (other, otherUpstream) = await SendAsync(HttpMethod.Get, "/shadow/cv/cv-p/x", K("bob"));
        Assert.Equal(200, other.Status);
        AssertNoIdentity(otherUpstream!);

        var audit = await Gw.GetAsync("/admin/v1/audit?action=shadow.would_deny&limit=1000", Gw.RootKey);
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("actor").GetString() == "bob" && e.GetProperty("target").GetString() == "shadow"
            && e.GetProperty("detail").GetString() == "reason=project_not_found");
        Assert.Contains(Gw.Logs.Lines, l => l.Contains("Shadow mode on route shadow") && l.Contains("bob") && l.Contains("project_not_found"));
    }

    [Fact]
    public async Task NoOrABadCredential_IsForwardedWithoutIdentity_AndTheKeyGoesNowhere()
    {
        var missing = await WouldDenyAsync("credentials_required");
        var (none, noneUpstream) = await SendAsync(HttpMethod.Get, "/shadow/ml/team-p/x", null);
        Assert.Equal(200, none.Status);
        AssertNoIdentity(noneUpstream!);
        Assert.Equal(missing + 1, await WouldDenyAsync("credentials_required"));

        const string bad = "gw_shadowprobe0000000000000000000000000000000000";
        var invalid = await WouldDenyAsync("invalid_credentials");
        var (wrong, wrongUpstream) = await SendAsync(HttpMethod.Get, "/shadow/ml/team-p/x", bad);
        Assert.Equal(200, wrong.Status);
        AssertNoIdentity(wrongUpstream!);
        Assert.DoesNotContain(wrongUpstream!.Headers, h => h.Value.Contains("shadowprobe", StringComparison.Ordinal));
        Assert.Equal(invalid + 1, await WouldDenyAsync("invalid_credentials"));
        Assert.DoesNotContain("shadowprobe", Gw.Logs.All);
    }

    [Fact]
    public async Task AnAllowedRequest_IsForwardedAsEnforceWould()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Get, "/shadow/ml/team-p/x", K("bob"));
        Assert.Equal(200, response.Status);
        Assert.Equal("bob", upstream!.Single("X-Gateway-Principal"));
        Assert.Equal("team-p", upstream.Single("X-Gateway-Project"));
        Assert.Equal("api_key", upstream.Single("X-Gateway-Auth-Method"));
    }

    [Theory]
    [InlineData("/shadow/ml/team-p/..;/x", "", "invalid_path")]
    [InlineData("/shadow/ml/team-p/x?api_key=abc", "", "credentials_in_query")]
    [InlineData("/shadow/ml/team-p/x", "X_Gateway_Principal: alice\r\n", "reserved_header")]
    [InlineData("/shadow/ML/team-p/x", "", "invalid_scope")]
    [InlineData("/shadow/ml/TEAM-P/x", "", "ambiguous_name")]
    public async Task HygieneAndDifferentialRefusals_AreNeverShadowed(string target, string header, string code)
    {
        var marker = Marker();
        var (status, text) = await RawHttp.SendAsync(Gw.ProxyUrl,
            $"GET {target} HTTP/1.1\r\nHost: gw\r\nAuthorization: Basic {Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + K("bob")))}\r\n{header}" +
            $"X-Test-Marker: {marker}\r\nConnection: close\r\n\r\n");
        Assert.True(status == 400 && text.Contains($"\"code\":\"{code}\""), text);
        Assert.Null(Upstream(marker));
    }

    [Theory]
    [InlineData("path", "bogus", "Expected one of: enforce, shadow")]
    [InlineData("path", "Shadow", "Expected one of: enforce, shadow")]
    [InlineData("anonymous", "shadow", "no decision to shadow")]
    public void InvalidModes_AreConfigurationErrors(string kind, string mode, string message)
    {
        var metadata = new Dictionary<string, string> { ["Gateway.Scope"] = kind, ["Gateway.Mode"] = mode };
        if (kind == "path")
        {
            metadata["Gateway.Entity"] = "entity";
        }

        var errors = new List<string>();
        Gateway.Routing.RouteScopeParser.Parse(new Yarp.ReverseProxy.Configuration.RouteConfig
        {
            RouteId = "r", ClusterId = "c", Match = new() { Path = "/x/{entity}" }, Metadata = metadata,
        }, errors);
        Assert.Contains(errors, e => e.Contains(message, StringComparison.Ordinal));
    }
}
