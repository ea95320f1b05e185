using Gateway.Hosting;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Registering trusted issuers: through the admin API (org admins) and in gateway.json (read-only there).</summary>
public sealed class IssuerAdminTests
{
    private static async Task<(TestGateway Gw, string Member)> StartAsync(params string[] args)
    {
        var gw = await TestGateway.StartAsync(args);
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", gw.RootKey, new { username = "alice", email = "alice@acme.example" }));
        var member = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/keys", gw.RootKey, new { name = "k" }))).Str("key");
        return (gw, member);
    }

    [Fact]
    public async Task OrgAdmin_RegistersListsAndDeletes_WithSafeDefaults()
    {
        var (gw, member) = await StartAsync();
        await using var _ = gw;
        var created = await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = "https://token.actions.githubusercontent.com" });
        Assert.Equal(201, created.Status);
        Assert.Equal(["acme", "wandb"], created.Json.GetProperty("audiences").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["RS256", "ES256"], created.Json.GetProperty("algorithms").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(60, created.Json.GetProperty("clockSkewSeconds").GetInt32());
        Assert.Equal(3600, created.Json.GetProperty("maxTokenLifetimeSeconds").GetInt32());
        Assert.False(created.Json.GetProperty("acceptRawJwt").GetBoolean());
        Assert.Equal("api", created.Str("source"));

        var duplicate = await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = "https://token.actions.githubusercontent.com" });
        Assert.Equal((409, "issuer_exists"), (duplicate.Status, duplicate.Code));
        Assert.Equal(403, (await gw.PostAsync("/admin/v1/orgs/acme/issuers", member, new { issuer = "https://idp.example" })).Status);
        Assert.Equal(403, (await gw.GetAsync("/admin/v1/orgs/acme/issuers", member)).Status);
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/orgs/other/issuers", gw.RootKey)).Status);

        var listed = await gw.GetAsync("/admin/v1/orgs/acme/issuers", gw.RootKey);
        Assert.Equal(["https://token.actions.githubusercontent.com"], listed.Json.EnumerateArray().Select(i => i.GetProperty("issuer").GetString()));

        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", gw.RootKey,
            new { name = "gha", authentication = "federated", issuer = "https://token.actions.githubusercontent.com", subject = "repo:acme/x:ref:refs/heads/main" }));
        var inUse = await gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString("https://token.actions.githubusercontent.com"), gw.RootKey);
        Assert.Equal((409, "issuer_in_use"), (inUse.Status, inUse.Code));
        var taken = await gw.PostAsync("/admin/v1/teams/ml/service-accounts", gw.RootKey,
            new { name = "gha2", authentication = "federated", issuer = "https://token.actions.githubusercontent.com", subject = "repo:acme/x:ref:refs/heads/main" });
        Assert.Equal((409, "subject_taken"), (taken.Status, taken.Code));
        await OrgFixture.Ok(gw.DeleteAsync("/admin/v1/service-accounts/gha@ml", gw.RootKey));
        Assert.Equal(204, (await gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString("https://token.actions.githubusercontent.com"), gw.RootKey)).Status);
        Assert.Equal(404, (await gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString("https://token.actions.githubusercontent.com"), gw.RootKey)).Status);
        Assert.Equal(404, (await gw.DeleteAsync("/admin/v1/orgs/acme/issuers", gw.RootKey)).Status);

        var audit = await gw.GetAsync("/admin/v1/audit", gw.RootKey);
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("action").GetString() == "issuer.create");
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("action").GetString() == "issuer.delete");
    }

    [Fact]
    public async Task IssuerFetches_NeverReachPrivateAddresses_UnlessAllowed()
    {
        // An org admin registering an issuer makes the gateway fetch from it: without the setting a
        // loopback (or private, link-local) issuer is never contacted, and its keys show the failure.
        await using var idp = await TestIssuer.StartAsync();
        var (gw, _) = await StartAsync("--Gateway:Federation:AllowPrivateIssuerAddresses=false");
        await using (gw)
        {
            Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = idp.Url })).Status);
            var failed = false;
            for (var i = 0; i < 100 && !failed; i++)
            {
                await Task.Delay(50);
                var listed = await gw.GetAsync("/admin/v1/orgs/acme/issuers", gw.RootKey);
                failed = listed.Json.EnumerateArray().Single().GetProperty("keys").GetProperty("lastFetchFailed").GetBoolean();
            }

            Assert.True(failed, "the fetch did not fail");
            Assert.Equal(0, idp.DiscoveryFetches);
            Assert.Equal(0, idp.JwksFetches);
            Assert.Contains("AllowPrivateIssuerAddresses", gw.Logs.All, StringComparison.Ordinal);
        }

        // The control: allowed, the same issuer is fetched at registration.
        var (allowed, _) = await StartAsync();
        await using (allowed)
        {
            Assert.Equal(201, (await allowed.PostAsync("/admin/v1/orgs/acme/issuers", allowed.RootKey, new { issuer = idp.Url })).Status);
            for (var i = 0; i < 100 && idp.JwksFetches == 0; i++)
            {
                await Task.Delay(50);
            }

            Assert.True(idp.DiscoveryFetches > 0 && idp.JwksFetches > 0);
        }
    }

    [Fact]
    public async Task AnOrgAdminsIssuer_NeverMapsToAnOperator_AndAnotherOrgsIssuerIsAProbe()
    {
        await using var idp = await TestIssuer.StartAsync();
        var (gw, _) = await StartAsync("--Gateway:Limits:FailedAuthenticationsPerKeyId=3");
        await using var disposeGateway = gw;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", gw.RootKey, new { username = "erin", email = "erin@acme.example", orgRole = "admin" }));
        var erin = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/erin/keys", gw.RootKey, new { name = "k" }))).Str("key");
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", gw.RootKey, new { username = "opm", email = "opm@acme.example" }));
        await OrgFixture.Ok(gw.PutAsync("/admin/v1/operators/opm", gw.RootKey, new { }));

        // erin, an org admin but no operator, trusts an issuer whose keys she holds and signs a token
        // naming the operator's email: no access token for the operator (nor for root, the bootstrap operator).
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", erin, new { issuer = idp.Url }));
        foreach (var operatorEmail in new[] { "opm@acme.example", "root@localhost" })
        {
            var refused = await FederationFixture.ExchangeAsync(gw, idp.Token(operatorEmail));
            Assert.True(refused.Status == 400 && refused.Text.Contains("invalid_grant", StringComparison.Ordinal), refused.ToString());
        }

        Assert.Equal(403, (await gw.PutAsync("/admin/v1/operators/erin", erin, new { })).Status);
        // The people of the org still map by email.
        var alice = await FederationFixture.ExchangeAsync(gw, idp.Token("alice@acme.example"));
        Assert.True(alice.Status == 200, alice.ToString());
        Assert.Equal("alice", (await gw.GetAsync("/admin/v1/whoami", alice.Str("access_token"))).Str("principal"));

        // Another organization's issuer: the 409 says which identity provider it uses, so it is a probe.
        var globex = await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "globex", admin = new { username = "gus", email = "gus@globex.example" } }));
        var gus = globex.Json.GetProperty("adminKey").GetProperty("key").GetString()!;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/globex/issuers", gus, new { issuer = "https://idp.globex-internal.example" }));
        for (var i = 0; i < 3; i++)
        {
            var conflict = await gw.PostAsync("/admin/v1/orgs/acme/issuers", erin, new { issuer = "https://idp.globex-internal.example" });
            Assert.True(conflict.Status == 409 && conflict.Code == "issuer_exists", conflict.ToString());
        }

        var limited = await gw.PostAsync("/admin/v1/orgs/acme/issuers", erin, new { issuer = "https://idp.globex-internal.example" });
        Assert.True(limited.Status == 429, limited.ToString());
        var audit = await gw.GetAsync("/admin/v1/audit?action=issuer.create_conflict", gw.RootKey);
        Assert.Equal(3, audit.Json.GetArrayLength());
        Assert.DoesNotContain("globex-internal", audit.Text, StringComparison.Ordinal);
        // The probes are audited in the prober's organization, not in the one probed.
        Assert.Equal(0, (await gw.GetAsync("/admin/v1/audit?action=issuer.create_conflict", gus)).Json.GetArrayLength());
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.8.8.8", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("172.31.255.255", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)] // cloud metadata
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2002:a00:1::", false)]
    [InlineData("192.0.2.10", false)]
    [InlineData("198.51.100.1", false)]
    [InlineData("203.0.113.5", false)]
    [InlineData("2001:0:a00:1::", false)]     // Teredo
    [InlineData("::a00:1", false)]            // IPv4-compatible
    [InlineData("2001:db8::1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("140.82.112.3", true)]
    [InlineData("2606:4700::1111", true)]
    [InlineData("::ffff:8.8.8.8", true)]
    public void OutboundAddressPolicy_AllowsPublicAddressesOnly(string address, bool allowed)
        => Assert.Equal(allowed, Gateway.Federation.OutboundAddressPolicy.IsPublic(System.Net.IPAddress.Parse(address)));

    [Fact]
    public async Task InvalidDefinitions_ReportEveryFieldAtOnce()
    {
        var (gw, _) = await StartAsync();
        await using var _ = gw;
        var response = await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new
        {
            issuer = "http://idp.example", audiences = Array.Empty<string>(), algorithms = new[] { "HS256", "none" },
            clockSkewSeconds = 300, maxTokenLifetimeSeconds = 0, jwksUri = "ftp://idp.example/keys",
        });
        Assert.Equal((400, "invalid_fields"), (response.Status, response.Code));
        var fields = response.Json.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["algorithms", "audiences", "clockSkew", "issuer", "jwksUri", "maxTokenLifetime"], fields);

        foreach (var bad in new[] { "https://idp.example/?tenant=x", "https://user@idp.example", "https://idp.example/#f", "idp.example", "" })
        {
            Assert.Equal(400, (await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = bad })).Status);
        }

        // Ownership comes from the path, never the body.
        var smuggled = await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = "https://idp.example", organization = "other" });
        Assert.Equal((400, "invalid_body"), (smuggled.Status, smuggled.Code));
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = "http://127.0.0.1:9" })).Status);
    }

    [Fact]
    public async Task IssuersFromGatewayJson_AreListedUsableAndReadOnly()
    {
        await using var idp = await TestIssuer.StartAsync();
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => FederationFixture.Config(echo.Url),
            "--Gateway:Federation:Issuers:0:Organization=acme", $"--Gateway:Federation:Issuers:0:Issuer={idp.Url}",
            "--Gateway:Federation:Issuers:0:AcceptRawJwt=true", "--Gateway:Federation:Issuers:0:Audiences:0=ml-training");
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", gw.RootKey, new { username = "bob", email = "bob@acme.example" }));

        var listed = await gw.GetAsync("/admin/v1/orgs/acme/issuers", gw.RootKey);
        var entry = Assert.Single(listed.Json.EnumerateArray());
        Assert.Equal("config", entry.GetProperty("source").GetString());
        Assert.Equal(409, (await gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(idp.Url), gw.RootKey)).Status);
        Assert.Equal(409, (await gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = idp.Url })).Status);

        Assert.Equal(200, (await FederationFixture.ExchangeAsync(gw, idp.Token("bob@acme.example", audience: "ml-training"))).Status);
        FederationExchangeTests.AssertInvalidGrant(await FederationFixture.ExchangeAsync(gw, idp.Token("bob@acme.example", audience: "acme")));
    }

    [Fact]
    public void InvalidIssuersInGatewayJson_RefuseStartup_ListingEveryError()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
        [
            "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0",
            "--Gateway:Federation:Issuers:0:Organization=acme", "--Gateway:Federation:Issuers:0:Issuer=http://idp.example",
            "--Gateway:Federation:Issuers:0:Algorithms:0=HS256", "--Gateway:Federation:Issuers:0:ClockSkew=00:05:00",
            "--Gateway:Federation:Issuers:1:Issuer=https://idp.example",
            "--Gateway:Federation:KeyRefetchInterval=00:00:00",
        ]));
        Assert.Contains(ex.Errors, e => e.StartsWith("Gateway:Federation:Issuers:0:Issuer:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Gateway:Federation:Issuers:0:Algorithms:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Gateway:Federation:Issuers:0:ClockSkew:", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Gateway:Federation:Issuers:1:Organization", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("Gateway:Federation:KeyRefetchInterval", StringComparison.Ordinal));
        Assert.Equal(5, ex.Errors.Count);
        Assert.False(File.Exists(dir.File("gateway.db")));
    }

    [Fact]
    public void AConfiguredIssuerOfAMissingOrganization_RefusesStartup()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
        [
            "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0",
            "--Gateway:Bootstrap:Organization=acme", "--Gateway:Bootstrap:AdminUser=root",
            "--Gateway:Federation:Issuers:0:Organization=nope", "--Gateway:Federation:Issuers:0:Issuer=https://idp.example",
        ]));
        Assert.Contains(ex.Errors, e => e.Contains("organization 'nope', which does not exist"));
    }
}
