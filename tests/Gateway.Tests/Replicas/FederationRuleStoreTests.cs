using Gateway.Hosting;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Store.Postgres;
using Gateway.Tests.Common;
using Gateway.Tests.Federation;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>The PostgreSQL store keeps claim rules and an access token's rule exactly as the embedded one does.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FederationRuleStoreTests(PostgresFixture pg)
{
    private static readonly TrustedIssuer Issuer = new() { Url = "https://token.actions.githubusercontent.com", Org = "acme", Audiences = ["wandb"], Algorithms = ["RS256"] };

    private static readonly ServiceAccount Account = new()
    {
        Id = "s2", Name = "ci", Org = "acme", Team = "ml", Scope = ServiceAccountScope.Team, Authentication = AuthenticationKind.Federated, Issuer = Issuer.Url,
        Rules = [FederationRuleTests.Rule("main", "repo:acme/*:ref:refs/heads/main", ("aud", "wandb"), ("repository_owner", "acme")), FederationRuleTests.Rule("tag", "repo:acme/web:ref:refs/tags/v*")],
    };

    [Fact]
    public async Task RulesAndTheTokensRule_SurviveTheRoundTrip()
    {
        var (issuer, account) = (Issuer, Account);
        var token = new ApiKey
        {
            KeyId = "tok", Hash = KeyHash.Of("token-secret").ToArray(), OwnerId = "s2", Name = "token exchange", Format = ApiKeyFormatKind.AccessToken,
            CreatedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddHours(1), Issuer = issuer.Url, Subject = "repo:acme/web:ref:refs/heads/main", Rule = "fr_main",
        };
        using var store = new PostgresGatewayStore(await pg.Server.CreateDatabaseAsync(), TimeProvider.System);
        store.Commit(new ChangeSet().Put(new Organization { Name = "acme" }).Put(new Team { Name = "ml", Org = "acme" }).Put(issuer).Put(account).Put(token));

        FederationRuleTests.AssertSameRules(account, store.LoadDirectory().ServiceAccounts.Single());
        Assert.Equal("fr_main", store.FindAccessTokenByHash(KeyHash.Of("token-secret"))!.Rule);
    }

    [Fact]
    public async Task StoreCopy_CarriesTheRules()
    {
        using var dir = new TempDirectory();
        using (var lite = new LiteDbGatewayStore(dir.File("gateway.db")))
        {
            lite.Commit(new ChangeSet().Put(new Organization { Name = "acme" }).Put(new Team { Name = "ml", Org = "acme" }).Put(Issuer).Put(Account));
        }

        var database = await pg.Server.CreateDatabaseAsync();
        var errors = new StringWriter();
        Assert.True(StoreCopyCommand.Run(["store", "copy", "--from", dir.File("gateway.db"), "--Gateway:Store:ConnectionString=" + database], new StringWriter(), errors) == 0, errors.ToString());
        using var copied = new PostgresGatewayStore(database, TimeProvider.System);
        FederationRuleTests.AssertSameRules(Account, copied.LoadDirectory().ServiceAccounts.Single());
    }
}

/// <summary>A claim rule made on one replica maps tokens on another; deleted on a third, the tokens minted through it end everywhere.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FederationRuleReplicaTests(PostgresFixture pg)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static async Task<System.Text.Json.JsonElement> Ok(Func<Task<(int Status, System.Text.Json.JsonElement Json)>> call)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (status, json) = await call();
            // A 404 is a replica whose snapshot has not caught up yet: it changed nothing, so it is retried.
            if (status == 404 && clock.Elapsed < Bound)
            {
                await Task.Delay(10);
                continue;
            }

            Assert.True(status is 200 or 201 or 204, $"setup call answered {status}: {json}");
            return json;
        }
    }

    private static async Task UntilAsync(Func<Task<int>> send, int expected)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int status;
        while ((status = await send()) != expected)
        {
            Assert.True(clock.Elapsed < Bound, $"still {status} after {clock.Elapsed}");
            await Task.Delay(10);
        }
    }

    private static async Task<(int Status, string Text)> ExchangeAsync(ReplicaSet set, GatewayProcess replica, string assertion)
    {
        using var content = new StringContent($"grant_type={Uri.EscapeDataString("urn:ietf:params:oauth:grant-type:jwt-bearer")}&assertion={assertion}",
            System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await set.Http.PostAsync(new Uri(replica.ProxyUrl, "/oidc/token"), content);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ARuleMadeOnOneReplica_MapsOnAnother_AndItsDeletionEndsItsTokensEverywhere()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 3);
        var (a, b, c) = (set[0], set[1], set[2]);
        var root = set.RootKey;
        await using var idp = await TestIssuer.StartAsync();
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/teams/ml/projects", root, new { name = "p" }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/issuers", root, new { issuer = idp.Url }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/teams/ml/service-accounts", root, new
        {
            name = "ci", authentication = "federated", issuer = idp.Url,
            rules = new[] { new { name = "main", subject = "repo:acme/*:ref:refs/heads/main", conditions = new Dictionary<string, string> { ["repository_owner"] = "acme" } } },
        }));
        string Assertion() => idp.Token("repo:acme/web:ref:refs/heads/main", edit: (_, p) => p["repository_owner"] = "acme");

        await UntilAsync(async () => (await ExchangeAsync(set, b, Assertion())).Status, 200);
        var (_, text) = await ExchangeAsync(set, b, Assertion());
        var token = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("access_token").GetString()!;
        await UntilAsync(() => set.WriteAsync(a, token), 200);

        // A rule overlapping it, asked of another replica: refused there too (the check runs under the shared write lock).
        await UntilAsync(async () => (await set.AdminAsync(c, HttpMethod.Get, "/admin/v1/service-accounts/ci@ml/federation-rules", root)).Json is
            { ValueKind: System.Text.Json.JsonValueKind.Array } rules && rules.GetArrayLength() == 1 ? 200 : 404, 200);
        var overlap = await set.AdminAsync(c, HttpMethod.Post, "/admin/v1/service-accounts/ci@ml/federation-rules", root, new { name = "web", subject = "repo:acme/web:ref:refs/heads/*" });
        Assert.Equal(409, overlap.Status);

        await Ok(() => set.AdminAsync(c, HttpMethod.Delete, "/admin/v1/service-accounts/ci@ml/federation-rules/main", root));
        await UntilAsync(() => set.WriteAsync(a, token), 401);
        await UntilAsync(() => set.WriteAsync(b, token), 401);
        await UntilAsync(async () => (await ExchangeAsync(set, a, Assertion())).Status, 400);
    }

    [Fact]
    public async Task TwoReplicasRacingToCreateOverlappingRules_OnTwoAccounts_OneWins()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 2);
        var (a, b) = (set[0], set[1]);
        var root = set.RootKey;
        await using var idp = await TestIssuer.StartAsync();
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/issuers", root, new { issuer = idp.Url }));
        foreach (var name in new[] { "one", "two" })
        {
            await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/teams/ml/service-accounts", root, new
            {
                name, authentication = "federated", issuer = idp.Url, subject = "exact:" + name,
            }));
        }

        // Both replicas know both accounts, then each is asked at once for a rule the other's overlaps:
        // each plans on a snapshot without the other's rule, and the shared write lock replans the second.
        await Ok(() => set.AdminAsync(b, HttpMethod.Get, "/admin/v1/service-accounts/two@ml", root));
        for (var round = 0; round < 5; round++)
        {
            var both = await Task.WhenAll(
                set.AdminAsync(a, HttpMethod.Post, "/admin/v1/service-accounts/one@ml/federation-rules", root, new { name = $"r{round}", subject = $"repo:acme/*:ref:refs/heads/b{round}" }),
                set.AdminAsync(b, HttpMethod.Post, "/admin/v1/service-accounts/two@ml/federation-rules", root, new { name = $"r{round}", subject = $"repo:acme/web:ref:refs/heads/b{round}" }));
            Assert.Equal([201, 409], both.Select(r => r.Status).Order());
            Assert.Contains(both, r => r.Status == 409 && r.Json.GetProperty("code").GetString() == "federation_rule_overlap");
        }

        // Whichever won each round, one rule per round is kept (read once replica a has caught up with b's).
        async Task<int> Count(string sa) => (await set.AdminAsync(a, HttpMethod.Get, $"/admin/v1/service-accounts/{sa}/federation-rules", root)).Json.GetArrayLength();
        await UntilAsync(async () => await Count("one@ml") + await Count("two@ml") == 5 ? 200 : 404, 200);
    }
}
