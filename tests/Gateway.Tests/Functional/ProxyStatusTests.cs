using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Every status path of the proxy listener, with what reached the upstream.</summary>
[Collection(ProxyCollection.Name)]
public class ProxyStatusTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    [Fact]
    public async Task AnUnknownPath_IsAProblemWithACode_OnBothListeners()
    {
        var (proxy, upstream) = await SendAsync(HttpMethod.Get, "/no/such/route", K("bob"));
        AssertProblem(proxy, 404, "route_not_found");
        Assert.Null(upstream);
        // A path a route has, with a method it does not take (/weave/{**op} is POST only).
        var (method, _) = await SendAsync(HttpMethod.Get, "/weave/call/start", K("bob"));
        AssertProblem(method, 404, "route_not_found");
        AssertProblem(await Gw.GetAsync("/admin/v1/no-such-endpoint", Gw.RootKey), 404, "route_not_found");
    }

    [Fact]
    public async Task Allowed_IsForwardedWithVerifiedIdentityHeaders_AndNoClientCredential()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/run-1/file_stream", K("bob"));
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream);
        Assert.Equal("/files/ml/team-p/run-1/file_stream", upstream.Path);
        Assert.Equal("bob", upstream.Single("X-Gateway-Principal"));
        Assert.Equal("user", upstream.Single("X-Gateway-Principal-Type"));
        Assert.Equal("acme", upstream.Single("X-Gateway-Org"));
        Assert.Equal("ml", upstream.Single("X-Gateway-Entity"));
        Assert.Equal("team-p", upstream.Single("X-Gateway-Project"));
        Assert.Equal("api_key", upstream.Single("X-Gateway-Auth-Method"));
        Assert.NotNull(upstream.Single("X-Gateway-Key-Id"));
        Assert.False(upstream.Has("Authorization"));
        Assert.False(upstream.Has("X-Gateway-Attributed-User"));
    }

    [Fact]
    public async Task NoCredentials_401_NothingForwarded()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/open-p/r/file_stream", null);
        AssertProblem(response, 401, "credentials_required");
        Assert.Equal(ProxyProblemsChallenge, string.Join(", ", response.Headers.WwwAuthenticate));
        Assert.Null(upstream);
    }

    private const string ProxyProblemsChallenge = "Basic realm=\"gateway\", Bearer realm=\"gateway\"";

    [Fact]
    public async Task EveryBadCredentialReason_GetsTheIdenticalResponse()
    {
        // revoked
        var revoked = await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "soon-revoked" });
        Assert.Equal(204, (await Gw.DeleteAsync($"/admin/v1/keys/{revoked.Str("keyId")}", K("dave"))).Status);
        // expired
        // The gateway reads the same system clock: once it has passed the expiry, the key has expired
        // (two seconds ahead so that a slow admin call does not find the expiry already past).
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var expiring = await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "short", expiresAt });
        Assert.Equal(201, expiring.Status);
        while (DateTimeOffset.UtcNow <= expiresAt.AddMilliseconds(20))
        {
            await Task.Delay(50);
        }

        // deactivated owner
        Assert.Equal(201, (await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = "gone" })).Status);
        var deactivated = (await Gw.PostAsync("/admin/v1/service-accounts/gone@ml/keys", K("alice"), new { name = "k" })).Str("key");
        Assert.Equal(200, (await Gw.PostAsync("/admin/v1/service-accounts/gone@ml/deactivate", K("alice"), null)).Status);

        string[] bad =
        [
            "gw_unknownKeyId1_" + new string('a', 36),        // malformed (checksum)
            K("bob")[..^1],                                    // truncated
            K("bob") + "x",                                    // extended
            revoked.Str("key"),                                // revoked
            expiring.Str("key"),                               // expired
            deactivated,                                       // deactivated owner
            new string('z', 40),                               // legacy-shaped, unknown
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",            // JWT-shaped, federation not enabled
        ];
        var responses = new List<ApiResponse>();
        foreach (var key in bad)
        {
            var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/open-p/r/file_stream", key);
            Assert.Null(upstream);
            responses.Add(response);
        }

        // The proxy's precomputed 401 is byte-identical to the one the admin listener serializes.
        var admin = await Gw.GetAsync("/admin/v1/whoami", bad[0]);
        Assert.Equal(admin.WithoutRequestId, responses[0].WithoutRequestId);
        foreach (var response in responses)
        {
            AssertProblem(response, 401, "invalid_credentials");
            Assert.Equal(ProxyProblemsChallenge, string.Join(", ", response.Headers.WwwAuthenticate));
        }

        // Identical for every key-shaped credential; a JWT-shaped one is told to exchange it (what the client sent, not why it failed).
        Assert.All(responses[..^1], r => Assert.Equal(responses[0].WithoutRequestId, r.WithoutRequestId));
        Assert.Contains("POST /oidc/token", responses[^1].Str("detail"));
    }

    [Fact]
    public async Task Denied_403_AndInvisibleRestricted_404()
    {
        var (denied, deniedUpstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", K("cvbot@cv"));
        AssertProblem(denied, 403, "outside_service_account_scope");
        Assert.Null(deniedUpstream);
        var (hidden, hiddenUpstream) = await SendAsync(HttpMethod.Get, "/read/ml/secret/x", K("bob"));
        AssertProblem(hidden, 404, "project_not_found");
        Assert.Null(hiddenUpstream);
        Assert.DoesNotContain("restricted", hidden.Text);
    }

    [Fact]
    public async Task AmbiguousCredentials_400()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/open-p/r/file_stream", K("bob"),
            r => r.Headers.TryAddWithoutValidation("wandb-api-key", K("dave")));
        AssertProblem(response, 400, "ambiguous_credentials");
        Assert.Null(upstream);
        var (raw, _) = (await RawHttp.SendAsync(Gw.ProxyUrl, RawHttp.Get("/read/ml/open-p/x", "gw",
            "Authorization: Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("api:" + K("bob"))),
            "Authorization: Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes("api:" + K("alice"))))), 0);
        Assert.Equal(400, raw.Status);
    }

    [Fact]
    public async Task ApiKeyHeader_IsAcceptedLikeWeaveOtelSends()
    {
        var (response, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", null,
            r => r.Headers.TryAddWithoutValidation("wandb-api-key", K("ci@ml")));
        Assert.Equal(200, response.Status);
        Assert.Equal("ci@ml", upstream?.Single("X-Gateway-Principal"));
        Assert.False(upstream!.Has("wandb-api-key"));
    }

    [Fact]
    public async Task QueryStringKey_400_AndNeverLogged()
    {
        var key = K("erin");
        var (response, upstream) = await SendAsync(HttpMethod.Get, $"/read/ml/open-p/x?api_key={key}", null);
        AssertProblem(response, 400, "credentials_in_query");
        Assert.Null(upstream);
        var (withHeader, _) = await SendAsync(HttpMethod.Get, $"/read/ml/open-p/x?token={key}", key);
        AssertProblem(withHeader, 400, "credentials_in_query");
        Assert.DoesNotContain(key, Gw.Logs.All);
    }

    [Fact]
    public async Task KeyDeletedOrAccountDeactivated_FailsOnTheVeryNextRequest()
    {
        var created = await Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("alice"), new { name = "next-request" });
        var key = created.Str("key");
        Assert.Equal(200, (await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", key)).Response.Status);
        Assert.Equal(204, (await Gw.DeleteAsync($"/admin/v1/keys/{created.Str("keyId")}", K("alice"))).Status);
        AssertProblem((await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", key)).Response, 401, "invalid_credentials");

        Assert.Equal(201, (await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = "short-lived" })).Status);
        var saKey = (await Gw.PostAsync("/admin/v1/service-accounts/short-lived@ml/keys", K("alice"), new { name = "k" })).Str("key");
        Assert.Equal(200, (await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", saKey)).Response.Status);
        Assert.Equal(200, (await Gw.PostAsync("/admin/v1/service-accounts/short-lived@ml/deactivate", K("alice"), null)).Status);
        var (after, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", saKey);
        AssertProblem(after, 401, "invalid_credentials");
        Assert.Null(upstream);
    }

    [Fact]
    public async Task UpstreamDown_502_AndSlow_504_AsProblems()
    {
        var (down, _) = await SendAsync(HttpMethod.Get, "/down/ml/open-p", K("bob"));
        AssertProblem(down, 502, "upstream_unavailable");
        var (slow, _) = await SendAsync(HttpMethod.Get, "/slow/ml/open-p", K("bob"));
        AssertProblem(slow, 504, "upstream_timeout");
    }

    [Fact]
    public async Task HealthAndReadiness_AreAnonymous()
    {
        Assert.Equal(200, (await Gw.ProxyAsync(HttpMethod.Get, "/healthz", null)).Status);
        Assert.Equal("ready", (await Gw.ProxyAsync(HttpMethod.Get, "/readyz", null)).Text);
    }

    [Fact]
    public async Task LastUsed_OfAProxiedKey_IsVisibleInTheKeyListAfterAFlush()
    {
        var created = await Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("alice"), new { name = "lu-" + Marker() });
        Assert.Equal(200, (await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", created.Str("key"))).Response.Status);
        DateTimeOffset? lastUsed = null;
        for (var i = 0; i < 40 && lastUsed is null; i++)
        {
            await Task.Delay(250);
            var list = await Gw.GetAsync($"/admin/v1/keys?owner=ci@ml&q={created.Str("keyId")}", K("alice"));
            var value = Assert.Single(list.Json.EnumerateArray()).GetProperty("lastUsedAt");
            lastUsed = value.ValueKind == System.Text.Json.JsonValueKind.Null ? null : value.GetDateTimeOffset();
        }

        Assert.NotNull(lastUsed);
    }
}
