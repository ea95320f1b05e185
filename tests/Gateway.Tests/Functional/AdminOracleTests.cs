using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// The admin API tells a caller nothing about objects it may not see: "exists but hidden" answers byte
/// for byte as "does not exist" (the same request is sent before and after the object is created, so
/// even the name in the detail is the same); key imports are credential guesses; enum fields never 500.
/// </summary>
public sealed class AdminOracleTests(OrgFixture org) : IClassFixture<OrgFixture>
{
    private const string Base62 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private TestGateway Gw => org.Gw;

    private string K(string who) => org.Keys[who];

    private static string Unique(string stem) => stem + Guid.NewGuid().ToString("N")[..6];

    private static void AssertSame(ApiResponse missing, ApiResponse hidden)
    {
        Assert.Equal(missing.Status, hidden.Status);
        Assert.Equal(missing.MediaType, hidden.MediaType);
        Assert.Equal(missing.WithoutRequestId, hidden.WithoutRequestId);
    }

    private async Task<List<ApiResponse>> ProbeAll(params Func<Task<ApiResponse>>[] calls)
    {
        var results = new List<ApiResponse>();
        foreach (var call in calls)
        {
            results.Add(await call());
        }

        return results;
    }

    [Fact]
    public async Task AnotherUsersPersonalProject_AnswersAsAMissingOne()
    {
        var name = Unique("pp");
        Func<Task<ApiResponse>>[] probes =
        [
            () => Gw.GetAsync($"/admin/v1/projects/dave/{name}", K("bob")),
            () => Gw.PatchAsync($"/admin/v1/projects/dave/{name}", K("bob"), new { visibility = "open" }),
            () => Gw.DeleteAsync($"/admin/v1/projects/dave/{name}", K("bob")),
            () => Gw.GetAsync($"/admin/v1/projects/dave/{name}/grants", K("bob")),
            () => Gw.PutAsync($"/admin/v1/projects/dave/{name}/grants/bob", K("bob"), new { role = "owner" }),
            () => Gw.GetAsync($"/admin/v1/projects/ml/{name}", K("carol")),
        ];
        var missing = await ProbeAll(probes);
        Assert.All(missing, r => Assert.Equal(404, r.Status));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/dave/projects", K("dave"), new { name, visibility = "team" }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name, visibility = "restricted" }));
        var hidden = await ProbeAll(probes);
        for (var i = 0; i < probes.Length; i++)
        {
            AssertSame(missing[i], hidden[i]);
        }

        // Control: the owner sees it; a caller who can read a project still learns it may not manage it.
        Assert.Equal(200, (await Gw.GetAsync($"/admin/v1/projects/dave/{name}", K("dave"))).Status);
        Assert.Equal(403, (await Gw.GetAsync("/admin/v1/projects/ml/team-p", K("bob"))).Status);
    }

    [Fact]
    public async Task OtherUsers_AnswerAsMissingOnes_ToAMember()
    {
        var name = Unique("u");
        Func<Task<ApiResponse>>[] probes =
        [
            () => Gw.DeleteAsync($"/admin/v1/users/{name}", K("bob")),
            () => Gw.PostAsync($"/admin/v1/users/{name}/keys", K("bob"), new { name = "k" }),
            () => Gw.PostAsync($"/admin/v1/users/{name}/keys", K("alice"), new { name = "k" }),
            () => Gw.PostAsync($"/admin/v1/users/{name}/keys", K("ci@ml"), new { name = "k" }),
            () => Gw.GetAsync($"/admin/v1/users/{name}", K("bob")),
        ];
        var missing = await ProbeAll(probes);
        Assert.All(missing, r => Assert.Equal("user_not_found", r.Code));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/users", Gw.RootKey, new { username = name, email = name + "@acme.example", orgRole = "member" }));
        var hidden = await ProbeAll(probes);
        for (var i = 0; i < probes.Length; i++)
        {
            AssertSame(missing[i], hidden[i]);
        }

        // Control: the org admin manages them; a member may not delete itself (it can see itself: 403).
        Assert.Equal(201, (await Gw.PostAsync($"/admin/v1/users/{name}/keys", K("erin"), new { name = "k" })).Status);
        Assert.Equal("org_admin_required", (await Gw.DeleteAsync("/admin/v1/users/bob", K("bob"))).Code);
    }

    [Fact]
    public async Task KeyImports_OneAnswerWhateverTheReason_Audited_NeverTheValue()
    {
        // A revoked key stays a tombstone: importing its value must not reveal it either.
        var revoked = RandomNumberGenerator.GetString(Base62, 40);
        var imported = await Gw.PostAsync("/admin/v1/users/olga/keys", K("olga"), new { name = "old", format = "legacy40", key = revoked });
        Assert.Equal(201, imported.Status);
        Assert.Equal(204, (await Gw.DeleteAsync($"/admin/v1/keys/{imported.Str("keyId")}", K("olga"))).Status);

        string[] refused =
        [
            K("ci@ml"),                                   // another principal's live key
            revoked,                                      // a revoked one
            new string('a', 40),                          // no entropy at all
            string.Concat(Enumerable.Repeat("0123456789", 4)),
            string.Concat(Enumerable.Repeat("abcdefghijklmnop", 2)) + "abcdefgh", // 16 distinct, repeated pattern
            "short",
            RandomNumberGenerator.GetString(Base62, 39) + "-",
            RandomNumberGenerator.GetString(Base62, 41),
        ];
        var answers = new List<ApiResponse>();
        foreach (var key in refused)
        {
            answers.Add(await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "guess", format = "legacy40", key }));
        }

        Assert.Equal(400, answers[0].Status);
        Assert.Equal("key_import_refused", answers[0].Code);
        Assert.All(answers, a => AssertSame(answers[0], a));

        var audit = await Gw.GetAsync("/admin/v1/audit?action=key.import_refused&limit=1000", K("erin"));
        var details = audit.Json.EnumerateArray().Where(e => e.GetProperty("actor").GetString() == "dave").Select(e => e.GetProperty("detail").GetString()).ToList();
        Assert.Contains("reason=exists", details);
        Assert.Contains("reason=weak", details);
        Assert.Contains("reason=malformed", details);
        foreach (var key in refused.Where(k => k.Length >= 10))
        {
            Assert.DoesNotContain(key, audit.Text);
        }

        Assert.DoesNotContain(K("ci@ml"), Gw.Logs.All);
        // Control: a random 40-character key, and a random 40-hex-digit one (a real W&B legacy key), import.
        Assert.Equal(201, (await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "ok", format = "legacy40", key = RandomNumberGenerator.GetString(Base62, 40) })).Status);
        Assert.Equal(201, (await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "hex", format = "legacy40", key = "3f9a1c7e5b2d8046af13c9e7b5d20f864a1e7c3b" })).Status);
    }

    [Theory]
    [InlineData("accessToken")]
    [InlineData("importedLegacy")]
    [InlineData("Standard")]
    [InlineData("")]
    public async Task KeyFormatsTheGatewayAssigns_Are400_Not500(string format)
    {
        foreach (var (path, key) in new[] { ("/admin/v1/users/dave/keys", K("dave")), ("/admin/v1/service-accounts/ci@ml/keys", K("alice")) })
        {
            var response = await Gw.PostAsync(path, key, new { name = "k", format });
            Assert.True(response.Status == 400, response.ToString());
            Assert.Equal("invalid_fields", response.Code);
            Assert.True(response.Json.GetProperty("errors").TryGetProperty("format", out _), response.Text);
        }
    }

    [Theory]
    [InlineData("\u202Eevil")]   // right-to-left override: a listing would show "live"
    [InlineData("a\u200Bb")]     // zero-width space
    [InlineData("a\u2028b")]     // line separator
    [InlineData("a\u00A0b")]     // no-break space
    [InlineData("a\uE000b")]     // private use
    [InlineData("a\u0007b")]
    public async Task NamesWithFormatOrControlCharacters_AreRefused(string label)
    {
        var key = await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = label });
        Assert.Equal("invalid_fields", key.Code);
        var sa = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"),
            new { name = Unique("ext"), authentication = "federated", issuer = "https://idp.example", subject = "repo:" + label });
        Assert.Equal("invalid_fields", sa.Code);
        Assert.True(sa.Json.GetProperty("errors").TryGetProperty("subject", out _), sa.Text);
        var issuer = await Gw.PostAsync("/admin/v1/orgs/acme/issuers", K("erin"), new { issuer = "https://" + Unique("idp") + ".example", audiences = new[] { "acme" + label } });
        Assert.Equal("invalid_fields", issuer.Code);
        Assert.True(issuer.Json.GetProperty("errors").TryGetProperty("audiences", out _), issuer.Text);
    }

    [Fact]
    public async Task ASubjectHeldByAnAccountTheCallerCannotManage_IsOneAnswer_CountedAndAudited()
    {
        var issuer = "https://" + Unique("idp") + ".example";
        var subject = Unique("repo:acme/");
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", K("erin"), new { issuer }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/cv/service-accounts", K("carol"), new { name = Unique("ext"), authentication = "federated", issuer, subject }));
        var byAlice = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = "dup", authentication = "federated", issuer, subject });
        var byErin = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("erin"), new { name = "dup", authentication = "federated", issuer, subject });
        Assert.Equal(409, byAlice.Status);
        AssertSame(byErin, byAlice);
        Assert.DoesNotContain("@cv", byAlice.Text);
        var audit = await Gw.GetAsync("/admin/v1/audit?action=service_account.subject_conflict&limit=1000", K("erin"));
        var actors = audit.Json.EnumerateArray().Select(e => e.GetProperty("actor").GetString()).ToList();
        Assert.Contains("alice", actors);
        Assert.DoesNotContain("erin", actors); // erin manages the holder: nothing hidden, no probe
    }

    [Fact]
    public async Task KeyImportProbes_AreThrottledLikeFailedAuthentications()
    {
        await using var gw = await TestGateway.StartAsync("--Gateway:Limits:FailedAuthenticationsPerKeyId=3");
        var root = (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Str("principal");
        for (var i = 0; i < 3; i++)
        {
            var weak = await gw.PostAsync($"/admin/v1/users/{root}/keys", gw.RootKey, new { name = "g", format = "legacy40", key = new string((char)('a' + i), 40) });
            Assert.Equal("key_import_refused", weak.Code);
        }

        var throttled = await gw.PostAsync($"/admin/v1/users/{root}/keys", gw.RootKey, new { name = "g", format = "legacy40", key = RandomNumberGenerator.GetString(Base62, 40) });
        Assert.Equal(429, throttled.Status);
        Assert.Equal("too_many_failed_authentications", throttled.Code);
        Assert.True(throttled.Headers.RetryAfter is not null, throttled.ToString());
        // Keys the gateway mints are not guesses: still created.
        Assert.Equal(201, (await gw.PostAsync($"/admin/v1/users/{root}/keys", gw.RootKey, new { name = "minted" })).Status);
    }

    /// <summary>Every enum-valued field of the admin API, with every wire value of every enum and junk: 400 or success, never 500.</summary>
    [Fact]
    public async Task EveryEnumField_RefusesUnknownValuesWith400_NeverA500()
    {
        string[] values =
        [
            "member", "admin", "viewer", "contributor", "owner", "open", "public", "team", "restricted", "organization", "scope", "explicit",
            "builtin", "federated", "standard", "legacy40", "importedLegacy", "accessToken", "read", "write", "manage",
            "", " admin", "admin ", "ADMIN", "Admin", "1", "null", "none", "\u202Eadmin", "admin\u0000",
        ];
        var fields = new (string Field, string[] Valid, Func<string, Task<ApiResponse>> Send)[]
        {
            ("orgRole", ["member", "admin"], v => Gw.PostAsync("/admin/v1/orgs/acme/users", K("erin"), new { username = Unique("e"), email = Unique("e") + "@acme.example", orgRole = v })),
            ("role", ["viewer", "member", "admin"], async v =>
            {
                var user = Unique("m");
                await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/users", K("erin"), new { username = user, email = user + "@acme.example", orgRole = "member" }));
                return await Gw.PutAsync($"/admin/v1/teams/ml/members/{user}", K("alice"), new { role = v });
            }),
            ("visibility", ["open", "public", "team", "restricted"], v => Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name = Unique("p"), visibility = v })),
            ("visibility", ["open", "public", "team", "restricted"], v => Gw.PatchAsync("/admin/v1/projects/ml/late-p", K("alice"), new { visibility = v == "restricted" ? "team" : v })),
            ("role", ["viewer", "contributor", "owner"], v => Gw.PutAsync("/admin/v1/projects/ml/team-p/grants/dave", K("alice"), new { role = v })),
            ("access", ["scope", "explicit"], v => Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", K("erin"), new { name = Unique("o"), defaultTeam = "ml", access = v })),
            ("authentication", ["builtin"], v => Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", K("erin"), new { name = Unique("o"), defaultTeam = "ml", authentication = v })),
            ("access", ["scope", "explicit"], v => Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = Unique("t"), access = v })),
            ("authentication", ["builtin", "federated"], v => Gw.PostAsync("/admin/v1/teams/ml/service-accounts", K("alice"), new { name = Unique("t"), authentication = v })),
            ("format", ["standard", "legacy40"], v => Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "k", format = v })),
            ("format", ["standard", "legacy40"], v => Gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", K("alice"), new { name = "k", format = v })),
        };
        foreach (var (field, valid, send) in fields)
        {
            foreach (var value in values)
            {
                var response = await send(value);
                Assert.True(response.Status < 500, $"{field}={JsonSerializer.Serialize(value)}: {response}");
                var flagged = response.Status == 400 && response.Code == "invalid_fields" && response.Json.GetProperty("errors").TryGetProperty(field, out _);
                if (valid.Contains(value))
                {
                    Assert.False(flagged, $"{field}={value} is valid: {response}");
                }
                else
                {
                    Assert.True(flagged, $"{field}={JsonSerializer.Serialize(value)} must be a 400 naming '{field}': {response}");
                }
            }
        }

        // A number or an object where a string belongs: a 400 problem too.
        foreach (object odd in new object[] { 1, true, new { } })
        {
            var response = await Gw.PostAsync("/admin/v1/teams/ml/projects", K("alice"), new { name = Unique("p"), visibility = odd });
            Assert.Equal(400, response.Status);
            Assert.Equal("application/problem+json", response.MediaType);
        }
    }
}
