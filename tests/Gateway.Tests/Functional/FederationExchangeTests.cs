using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>The token exchange and its access tokens, end to end: real issuer, real gateway, real upstream.</summary>
[Collection(FederationCollection.Name)]
public class FederationExchangeTests(FederationFixture fixture)
{
    private TestGateway Gw => fixture.Gw;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SdkExchange_GivesAnAccessTokenThatCarriesTheExternalServiceAccountUpstream(bool encodeGrantType)
    {
        var assertion = fixture.Idp.Token(FederationFixture.ExtSubject);
        var exchange = await FederationFixture.ExchangeAsync(Gw, assertion, encodeGrantType);

        Assert.Equal(200, exchange.Status);
        Assert.Equal("application/json", exchange.MediaType);
        Assert.Contains("no-store", exchange.Headers.CacheControl!.ToString());
        var token = exchange.Str("access_token");
        Assert.Equal("Bearer", exchange.Str("token_type"));
        Assert.Equal(3600, exchange.Json.GetProperty("expires_in").GetInt32());
        Assert.StartsWith("gwat_", token);
        Assert.DoesNotContain(fixture.Echo.Received, r => r.Path == "/oidc/token"); // answered by the gateway, never forwarded

        var (response, upstream) = await fixture.BearerAsync("/files/ml/p/run-1/file_stream", token);
        Assert.Equal(200, response.Status);
        Assert.NotNull(upstream);
        Assert.Equal("ext@ml", upstream.Single("X-Gateway-Principal"));
        Assert.Equal("service_account", upstream.Single("X-Gateway-Principal-Type"));
        Assert.Equal("acme", upstream.Single("X-Gateway-Org"));
        Assert.Equal("ml", upstream.Single("X-Gateway-Entity"));
        Assert.Equal("p", upstream.Single("X-Gateway-Project"));
        Assert.Equal("access_token", upstream.Single("X-Gateway-Auth-Method"));
        Assert.Equal(token.Split('_')[1], upstream.Single("X-Gateway-Key-Id"));
        Assert.False(upstream.Has("Authorization"));

        // No entity named: a team service account's parent team.
        var (viewer, viewerUpstream) = await fixture.BearerAsync("/graphql", token);
        Assert.Equal(200, viewer.Status);
        Assert.Equal("ml", viewerUpstream!.Single("X-Gateway-Entity"));

        var whoami = await Gw.SendAsync(new Uri(Gw.AdminUrl, "/admin/v1/whoami"), HttpMethod.Get, null, null,
            r => r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token));
        Assert.Equal(200, whoami.Status);
        Assert.Equal("access_token", whoami.Str("authMethod"));

        var audit = await Gw.GetAsync("/admin/v1/audit?action=token.exchange&actor=ext@ml", Gw.RootKey);
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("keyId").GetString() == token.Split('_')[1]);
        Assert.DoesNotContain(token, Gw.Logs.All);
        Assert.DoesNotContain(assertion, Gw.Logs.All);
    }

    [Fact]
    public async Task FederatedHumanUser_MapsOnEmail()
    {
        var exchange = await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token("bob@acme.example"));
        Assert.Equal(200, exchange.Status);

        var (response, upstream) = await fixture.BearerAsync("/files/ml/p/run-2/file_stream", exchange.Str("access_token"));
        Assert.Equal(200, response.Status);
        Assert.Equal("bob", upstream!.Single("X-Gateway-Principal"));
        Assert.Equal("user", upstream.Single("X-Gateway-Principal-Type"));
        Assert.Equal("access_token", upstream.Single("X-Gateway-Auth-Method"));
    }

    [Fact]
    public async Task UnknownSubject_Is400AtTheExchangeAnd401AsBearer()
    {
        var exchange = await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token("nobody@acme.example"));
        AssertInvalidGrant(exchange);

        // Also a subject that differs from a registered one only in case, and one registered under the other issuer.
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token("BOB@acme.example")));
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token(FederationFixture.RawSubject)));

        var (bearer, upstream) = await fixture.BearerAsync("/graphql", fixture.RawIdp.Token("nobody"));
        Assert.Equal(401, bearer.Status);
        Assert.Equal("invalid_credentials", bearer.Code);
        Assert.Null(upstream);

        // The log names the subject that arrived (what an operator setting up federation needs), never the token.
        for (var i = 0; i < 100 && !Gw.Logs.Lines.Any(l => l.Contains("names subject 'nobody'", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(50);
        }

        Assert.Contains(Gw.Logs.Lines, l => l.Contains("names subject 'nobody'", StringComparison.Ordinal) && l.Contains(fixture.RawIdp.Url, StringComparison.Ordinal));
        Assert.Contains(Gw.Logs.Lines, l => l.Contains("names subject 'nobody@acme.example'", StringComparison.Ordinal));
        Assert.DoesNotContain(Gw.Logs.Lines, l => l.Contains("eyJ", StringComparison.Ordinal));

        // Refused exchanges naming a registered issuer are audited (sampled), with the reason, never the assertion.
        var audit = await Gw.GetAsync("/admin/v1/audit?action=token.exchange_refused&limit=1000", Gw.RootKey);
        var refused = audit.Json.EnumerateArray().ToList();
        Assert.Contains(refused, e => e.GetProperty("target").GetString() is { } t && (t == fixture.Idp.Url || t == fixture.RawIdp.Url)
            && e.GetProperty("detail").GetString()!.StartsWith("reason=jwt_", StringComparison.Ordinal));
        Assert.DoesNotContain("eyJ", audit.Text);
    }

    [Fact]
    public async Task RawJwt_WorksAsBearerOnlyForAnIssuerThatAcceptsIt()
    {
        var raw = fixture.RawIdp.Token(FederationFixture.RawSubject);
        var (response, upstream) = await fixture.BearerAsync("/files/ml/p/run-3/file_stream", raw);
        Assert.Equal(200, response.Status);
        Assert.Equal("rawbot@ml", upstream!.Single("X-Gateway-Principal"));
        Assert.Equal("federated_jwt", upstream.Single("X-Gateway-Auth-Method"));
        Assert.False(upstream.Has("X-Gateway-Key-Id"));

        // The default issuer wants an exchange first: its raw JWT is refused, like any bad credential.
        var (refused, nothing) = await fixture.BearerAsync("/graphql", fixture.Idp.Token(FederationFixture.ExtSubject));
        Assert.Equal(401, refused.Status);
        Assert.Null(nothing);
        // The answer says what to do with a JWT, the same for a forged one (it depends only on the shape sent).
        Assert.Equal("invalid_credentials", refused.Code);
        Assert.Contains("POST /oidc/token", refused.Str("detail"));
        var forged = fixture.Idp.Token(FederationFixture.ExtSubject);
        var (forgedRefused, _) = await fixture.BearerAsync("/graphql", forged[..^4] + "AAAA");
        Assert.Equal(refused.WithoutRequestId, forgedRefused.WithoutRequestId);
        var (key, _) = await fixture.BearerAsync("/graphql", "gw_" + new string('x', 40));
        Assert.False(key.Json.TryGetProperty("detail", out _));

        // Never on the admin API, whatever the issuer says.
        var admin = await Gw.SendAsync(new Uri(Gw.AdminUrl, "/admin/v1/whoami"), HttpMethod.Get, null, null,
            r => r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", raw));
        Assert.Equal(401, admin.Status);
    }

    [Fact]
    public async Task Deactivation_KillsAccessTokensAndCachedRawValidations_OnTheNextRequest()
    {
        var root = Gw.RootKey;
        var subject = "deact-" + Guid.NewGuid().ToString("N")[..8];
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = subject, authentication = "federated", issuer = fixture.Idp.Url, subject }));
        var token = (await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token(subject))).Str("access_token");
        Assert.Equal(200, (await fixture.BearerAsync("/graphql", token)).Response.Status);

        await OrgFixture.Ok(Gw.PostAsync($"/admin/v1/service-accounts/{subject}@ml/deactivate", root, new { }));
        var (dead, upstream) = await fixture.BearerAsync("/graphql", token);
        Assert.Equal(401, dead.Status);
        Assert.Null(upstream);
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token(subject)));

        // Reactivation leaves earlier tokens dead; a new exchange works.
        await OrgFixture.Ok(Gw.PostAsync($"/admin/v1/service-accounts/{subject}@ml/reactivate", root, new { }));
        Assert.Equal(401, (await fixture.BearerAsync("/graphql", token)).Response.Status);
        var fresh = (await FederationFixture.ExchangeAsync(Gw, fixture.Idp.Token(subject))).Str("access_token");
        Assert.Equal(200, (await fixture.BearerAsync("/graphql", fresh)).Response.Status);

        // Deleting the account ends its tokens too.
        await OrgFixture.Ok(Gw.DeleteAsync($"/admin/v1/service-accounts/{subject}@ml", root));
        Assert.Equal(401, (await fixture.BearerAsync("/graphql", fresh)).Response.Status);

        // A raw JWT validated (and cached) a moment ago stops working as soon as its account is deactivated.
        var rawSubject = "rawdeact-" + Guid.NewGuid().ToString("N")[..8];
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = rawSubject, authentication = "federated", issuer = fixture.RawIdp.Url, subject = rawSubject }));
        var raw = fixture.RawIdp.Token(rawSubject);
        Assert.Equal(200, (await fixture.BearerAsync("/graphql", raw)).Response.Status);
        await OrgFixture.Ok(Gw.PostAsync($"/admin/v1/service-accounts/{rawSubject}@ml/deactivate", root, new { }));
        Assert.Equal(401, (await fixture.BearerAsync("/graphql", raw)).Response.Status);
    }

    [Fact]
    public async Task DeletingTheIssuer_EndsTheAccessTokensExchangedFromIt()
    {
        await using var idp = await TestIssuer.StartAsync();
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", Gw.RootKey, new { issuer = idp.Url }));
        var token = (await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example"))).Str("access_token");
        Assert.Equal(200, (await fixture.BearerAsync("/graphql", token)).Response.Status);

        await OrgFixture.Ok(Gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(idp.Url), Gw.RootKey));
        Assert.Equal(401, (await fixture.BearerAsync("/graphql", token)).Response.Status);
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example")));
    }

    [Fact]
    public async Task Typ_IsCheckedWhereConfigured_AndTheAlgorithmListIsTheIssuers()
    {
        await using var idp = await TestIssuer.StartAsync();
        var ec = SigningKey.NewEc();
        idp.Publish(ec);
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", Gw.RootKey, new { issuer = idp.Url, types = new[] { "at+jwt" }, algorithms = new[] { "ES256" } }));

        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", key: ec, edit: (h, _) => h["typ"] = "at+jwt"))).Status);
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", key: ec, edit: (h, _) => h["typ"] = "AT+JWT"))).Status);
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", key: ec)));
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", key: ec, edit: (h, _) => h.Remove("typ"))));
        // An RSA key the issuer publishes, with a valid RS256 signature: not an algorithm this issuer was registered with.
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", edit: (h, _) => h["typ"] = "at+jwt")));
        await OrgFixture.Ok(Gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(idp.Url), Gw.RootKey));
    }

    [Fact]
    public async Task MalformedRequests_AreInvalidRequestOrUnsupportedGrant_NeverRetryable()
    {
        var assertion = fixture.Idp.Token(FederationFixture.ExtSubject);
        var grant = "grant_type=" + Uri.EscapeDataString("urn:ietf:params:oauth:grant-type:jwt-bearer");
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"{grant}&assertion={assertion}", "application/json"));
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"{grant}"));
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"assertion={assertion}"));
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"{grant}&{grant}&assertion={assertion}"));
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"{grant}&assertion={assertion}&assertion={assertion}"));
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"{grant}&assertion=%zz{assertion}"));
        await ExpectError("invalid_request", FederationFixture.RawFormAsync(Gw, $"{grant}&assertion={new string('a', 40_000)}"));
        await ExpectError("unsupported_grant_type", FederationFixture.RawFormAsync(Gw, $"grant_type=client_credentials&assertion={assertion}"));
        await ExpectError("unsupported_grant_type", FederationFixture.RawFormAsync(Gw, $"grant_type=URN:IETF:PARAMS:OAUTH:GRANT-TYPE:JWT-BEARER&assertion={assertion}"));
        await ExpectError("invalid_grant", FederationFixture.RawFormAsync(Gw, $"{grant}&assertion=not-a-jwt"));

        // The assertion in the URL is refused and never logged.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Gw.ProxyUrl, "/oidc/token?assertion=" + assertion))
        {
            Content = new FormUrlEncodedContent([new("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")]),
        };
        using var response = await Gw.Http.SendAsync(request);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.DoesNotContain(assertion, Gw.Logs.All);
    }

    private static async Task ExpectError(string error, Task<ApiResponse> call)
    {
        var response = await call;
        Assert.True(response.Status == 400, $"expected 400 {error}, got {response}");
        Assert.Equal(error, response.Json.GetProperty("error").GetString());
        Assert.True(response.Json.TryGetProperty("error_description", out _));
    }

    /// <summary>Every refused assertion gets the very same answer: which check failed is never told.</summary>
    internal static void AssertInvalidGrant(ApiResponse response)
    {
        Assert.True(response.Status == 400, $"expected 400 invalid_grant, got {response}");
        Assert.Equal("application/json", response.MediaType);
        Assert.Equal("""{"error":"invalid_grant","error_description":"The assertion was not accepted."}""", response.Text);
        Assert.Null(response.Headers.RetryAfter);
    }
}
