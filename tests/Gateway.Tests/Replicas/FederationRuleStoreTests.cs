using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Store.Postgres;
using Gateway.Tests.Federation;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>The PostgreSQL store keeps claim rules and an access token's rule exactly as the embedded one does.</summary>
[Collection(PostgresCollection.Name)]
public sealed class FederationRuleStoreTests(PostgresFixture pg)
{
    [Fact]
    public async Task RulesAndTheTokensRule_SurviveTheRoundTrip()
    {
        var issuer = new TrustedIssuer { Url = "https://token.actions.githubusercontent.com", Org = "acme", Audiences = ["wandb"], Algorithms = ["RS256"] };
        var account = new ServiceAccount
        {
            Id = "s2", Name = "ci", Org = "acme", Team = "ml", Scope = ServiceAccountScope.Team, Authentication = AuthenticationKind.Federated, Issuer = issuer.Url,
            Rules = [FederationRuleTests.Rule("main", "repo:acme/*:ref:refs/heads/main", ("aud", "wandb"), ("repository_owner", "acme")), FederationRuleTests.Rule("tag", "repo:acme/web:ref:refs/tags/v*")],
        };
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
}
