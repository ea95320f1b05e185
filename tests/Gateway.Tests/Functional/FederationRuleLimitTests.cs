using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>An issuer's claim rules are bounded across accounts: every token of the issuer is matched against them.</summary>
public sealed class FederationRuleLimitTests
{
    [Fact]
    public async Task AnIssuer_HoldsAtMost256Rules_AcrossAccounts()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var issuer = await TestIssuer.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => FederationFixture.Config(echo.Url));
        var root = gw.RootKey;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = issuer.Url, audiences = new[] { "wandb" } }));
        for (var a = 0; a < 8; a++)
        {
            await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new
            {
                name = $"ci{a}", authentication = "federated", issuer = issuer.Url,
                rules = Enumerable.Range(0, 32).Select(r => new { name = $"r{r}", subject = $"repo:acme/app{a}-{r}:ref:refs/heads/*" }).ToArray(),
            }));
        }

        var full = await gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new
        {
            name = "one-more", authentication = "federated", issuer = issuer.Url, rules = new[] { new { name = "r", subject = "repo:acme/other:ref:refs/heads/main" } },
        });
        Assert.Equal(409, full.Status);
        Assert.Equal("federation_rule_limit", full.Code);

        // An exact subject is no rule: still possible. Then a rule added to it is refused the same way.
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = "exact", authentication = "federated", issuer = issuer.Url, subject = "repo:acme/other:ref:refs/heads/main" }));
        var added = await gw.PostAsync("/admin/v1/service-accounts/exact@ml/federation-rules", root, new { name = "r", subject = "repo:acme/more:ref:refs/heads/*" });
        Assert.Equal(409, added.Status);
        Assert.Equal("federation_rule_limit", added.Code);

        // A rule deleted makes room.
        Assert.Equal(204, (await gw.DeleteAsync("/admin/v1/service-accounts/ci0@ml/federation-rules/r0", root)).Status);
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/service-accounts/exact@ml/federation-rules", root, new { name = "r", subject = "repo:acme/more:ref:refs/heads/*" })).Status);
    }
}
