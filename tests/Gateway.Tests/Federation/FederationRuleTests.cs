using Gateway.Directory;
using Gateway.Federation;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Federation;

/// <summary>Claim rules: what a rule may say, when two overlap, how a token maps through one, and that both stores keep them.</summary>
public sealed class FederationRuleTests
{
    private static readonly TrustedIssuer GitHub = new() { Url = "https://token.actions.githubusercontent.com", Org = "acme", Audiences = ["wandb"], Algorithms = ["RS256"] };
    private static readonly TrustedIssuer OtherOrgIdp = new() { Url = "https://idp.other.example", Org = "other", Audiences = ["wandb"], Algorithms = ["RS256"] };

    internal static FederationRule Rule(string name, string subject, params (string Claim, string Pattern)[] conditions) => new()
    {
        Id = "fr_" + name, Name = name, Subject = subject, Conditions = [.. conditions.Select(c => new ClaimCondition(c.Claim, c.Pattern))],
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000),
    };

    private static ServiceAccount Account(string id, string name, string issuer, string? subject, params FederationRule[] rules) => new()
    {
        Id = id, Name = name, Org = issuer == OtherOrgIdp.Url ? "other" : "acme", Team = issuer == OtherOrgIdp.Url ? "ops" : "ml", Scope = ServiceAccountScope.Team,
        Authentication = AuthenticationKind.Federated, Issuer = issuer, Subject = subject, Rules = [.. rules],
    };

    private static TokenClaims Token(string sub, params (string Name, string Value)[] claims)
        => new(sub, ["wandb"], claims.ToDictionary(c => c.Name, c => c.Value));

    private static DirectorySnapshot Snapshot(params ServiceAccount[] accounts)
    {
        var changes = new ChangeSet().Put(new Organization { Name = "acme" }).Put(new Organization { Name = "other" })
            .Put(new Team { Name = "ml", Org = "acme" }).Put(new Team { Name = "ops", Org = "other" }).Put(GitHub).Put(OtherOrgIdp)
            .Put(new User { Id = "u1", Username = "alice", Email = "alice@acme.example", Org = "acme" });
        foreach (var account in accounts)
        {
            changes.Put(account);
        }

        return DirectorySnapshot.Empty.Apply(changes);
    }

    [Fact]
    public void Build_ReportsEveryError_AtOnce()
    {
        var errors = new List<(string Field, string Message)>();
        var draft = new FederationRuleDraft("Bad Name", "a***", new Dictionary<string, string>
        {
            ["iss"] = "x", ["sub"] = "y", ["environment"] = "", ["bad claim"] = "z", ["repository_owner"] = "acme",
        });
        Assert.Null(FederationRuleChecks.Build(draft, "", "fr_1", DateTimeOffset.UnixEpoch, (f, m) => errors.Add((f, m))));
        Assert.Equal(["conditions", "conditions.environment", "conditions.iss", "conditions.sub", "name", "subject"],
            errors.Select(e => e.Field).Distinct().Order(StringComparer.Ordinal));
        Assert.Contains(errors, e => e.Field == "conditions.sub" && e.Message.Contains("'subject'"));

        var good = FederationRuleChecks.Build(new FederationRuleDraft("main", "repo:acme/*:ref:refs/heads/main",
            new Dictionary<string, string> { ["repository_owner"] = "acme", ["aud"] = "wandb" }), "", "fr_1", DateTimeOffset.UnixEpoch, (_, _) => Assert.Fail());
        Assert.NotNull(good);
        // Stored in claim order, whatever the request's order.
        Assert.Equal(["aud", "repository_owner"], good.Conditions.Select(c => c.Claim));
    }

    [Fact]
    public void Overlap_IsRefusedUnlessAClaimBothConstrainCannotMatchInBoth()
    {
        var main = Rule("main", "repo:acme/*:ref:refs/heads/main", ("repository_owner", "acme"));
        Assert.True(FederationRuleChecks.Overlap(main, Rule("web", "repo:acme/web:ref:refs/heads/*")));
        Assert.True(FederationRuleChecks.Overlap(main, Rule("env", "repo:acme/web:ref:refs/heads/main", ("environment", "prod")))); // environment: unconstrained by main
        Assert.False(FederationRuleChecks.Overlap(main, Rule("dev", "repo:acme/*:ref:refs/heads/dev")));
        Assert.False(FederationRuleChecks.Overlap(main, Rule("fork", "repo:acme/*:ref:refs/heads/main", ("repository_owner", "evil"))));
        Assert.False(FederationRuleChecks.Overlap(main, Rule("glob", "repo:acme/*:ref:refs/heads/main", ("repository_owner", "x*"))));
        Assert.True(FederationRuleChecks.Overlap(main, Rule("glob", "repo:acme/*:ref:refs/heads/main", ("repository_owner", "a*"))));
        // aud never separates: one token may list both audiences.
        Assert.True(FederationRuleChecks.Overlap(Rule("a", "x", ("aud", "one")), Rule("b", "x", ("aud", "two"))));
        Assert.True(FederationRuleChecks.OverlapsSubject(main, "repo:acme/api:ref:refs/heads/main"));
        Assert.False(FederationRuleChecks.OverlapsSubject(main, "repo:acme/api:ref:refs/heads/dev"));
        Assert.False(FederationRuleChecks.OverlapsSubject(Rule("s", "a*"), "b*"));
        Assert.True(FederationRuleChecks.OverlapsSubject(Rule("s", "b*"), "b*")); // the subject's '*' is literal, the rule's a wildcard
    }

    [Fact]
    public void FindOverlap_NamesTheExactSubjectOrRuleOfTheSameIssuerOnly()
    {
        var d = Snapshot(
            Account("s1", "web", GitHub.Url, "repo:acme/web:ref:refs/heads/main"),
            Account("s2", "deploy", GitHub.Url, null, Rule("prod", "repo:acme/*:environment:prod")),
            Account("s3", "ops", OtherOrgIdp.Url, null, Rule("all", "**")));
        Assert.Equal("web@ml/subject", FederationRuleChecks.FindOverlap(d, GitHub.Url, Rule("n", "repo:acme/*:ref:refs/heads/main"), null)?.Name);
        Assert.Equal("deploy@ml/prod", FederationRuleChecks.FindOverlap(d, GitHub.Url, null, "repo:acme/api:environment:prod")?.Name);
        Assert.Null(FederationRuleChecks.FindOverlap(d, GitHub.Url, Rule("n", "repo:acme/*:environment:staging"), null));
        Assert.Equal("ops@ops/all", FederationRuleChecks.FindOverlap(d, OtherOrgIdp.Url, Rule("n", "x"), null)?.Name);
    }

    [Fact]
    public void Mapping_ExactSubjectFirst_ThenEmail_ThenTheOneRuleThatHolds()
    {
        var d = Snapshot(
            Account("s1", "web", GitHub.Url, "repo:acme/web:ref:refs/heads/release"),
            Account("s2", "ci", GitHub.Url, null, Rule("main", "repo:acme/*:ref:refs/heads/main", ("repository_owner", "acme"))),
            Account("s3", "deploy", GitHub.Url, null, Rule("prod", "repo:acme/web:environment:prod", ("environment", "prod"), ("aud", "wandb"))));

        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("repo:acme/web:ref:refs/heads/release"), out var exact, out _));
        Assert.Equal(("s1", null, "subject"), (exact.Principal.Id, exact.RuleId, exact.Rule));

        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("repo:acme/api:ref:refs/heads/main", ("repository_owner", "acme")), out var main, out _));
        Assert.Equal(("s2", "fr_main", "ci@ml/main"), (main.Principal.Id, main.RuleId, main.Rule));

        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("repo:acme/web:environment:prod", ("environment", "prod")), out var prod, out _));
        Assert.Equal("deploy@ml/prod", prod.Rule);

        // A failing condition, a missing claim, another branch, another audience: nobody.
        Assert.False(FederatedMapping.TryMap(d, GitHub, Token("repo:acme/api:ref:refs/heads/main", ("repository_owner", "evil")), out _, out _));
        Assert.False(FederatedMapping.TryMap(d, GitHub, Token("repo:acme/api:ref:refs/heads/main"), out _, out _));
        Assert.False(FederatedMapping.TryMap(d, GitHub, Token("repo:acme/api:ref:refs/heads/dev", ("repository_owner", "acme")), out _, out _));
        Assert.False(FederatedMapping.TryMap(d, GitHub, new TokenClaims("repo:acme/web:environment:prod", ["other"], new Dictionary<string, string> { ["environment"] = "prod" }), out _, out _));

        // Rules of another organization's issuer never apply.
        Assert.False(FederatedMapping.TryMap(d, OtherOrgIdp, Token("repo:acme/api:ref:refs/heads/main", ("repository_owner", "acme")), out _, out _));

        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("alice@acme.example"), out var alice, out _));
        Assert.Equal(("u1", "email"), (alice.Principal.Id, alice.Rule));

        // Closest rule, for the log: subject matched, the first failing condition named with the value that came.
        var closest = FederatedMapping.Closest(d, GitHub, Token("repo:acme/api:ref:refs/heads/main", ("repository_owner", "evil")));
        Assert.Equal(("ci@ml/main", "repository_owner 'evil' does not match 'acme'"), closest);
        Assert.Equal("repository_owner is missing (or not a string)", FederatedMapping.Closest(d, GitHub, Token("repo:acme/api:ref:refs/heads/main"))?.Failed);
        Assert.Null(FederatedMapping.Closest(d, OtherOrgIdp, Token("x")));
    }

    [Fact]
    public void ARuleNeverTakesAPersonsToken()
    {
        // A team admin's rule whose pattern covers the org's emails ('*' crosses neither ':' nor '/'):
        // the people of the org keep mapping to themselves; only subjects that are nobody's email reach the rule.
        var d = Snapshot(Account("s1", "grab", GitHub.Url, null, Rule("everyone", "*@acme.example")));
        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("alice@acme.example"), out var alice, out _));
        Assert.Equal(("u1", "email"), (alice.Principal.Id, alice.Rule));
        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("robot@acme.example"), out var robot, out _));
        Assert.Equal("grab@ml/everyone", robot.Rule);

        // An access token minted through the rule ends once the subject is a person's email.
        Assert.True(FederatedMapping.StillMaps(d, GitHub.Url, "robot@acme.example", "fr_everyone", "s1"));
        var later = d.Apply(new ChangeSet().Put(new User { Id = "u2", Username = "robot", Email = "robot@acme.example", Org = "acme" }));
        Assert.False(FederatedMapping.StillMaps(later, GitHub.Url, "robot@acme.example", "fr_everyone", "s1"));
    }

    [Fact]
    public void AThousandHostileRules_StayCheapToScanForEveryToken()
    {
        // 32 accounts of 32 rules, each subject a 255-character pattern that a value of 'a's keeps wholly
        // alive, told apart by a condition (so creation allows them): every token of the issuer, from
        // anyone, is scanned against all of them, on every request.
        var hostile = string.Concat(Enumerable.Repeat("*a", 127));
        var accounts = Enumerable.Range(0, 32).Select(a => Account("s" + a, "n" + a, GitHub.Url, null,
            [.. Enumerable.Range(0, 32).Select(i => Rule("r" + i, hostile, ("environment", $"e{a}-{i}")))])).ToArray();
        var d = Snapshot(accounts);
        var token = Token(new string('a', ClaimPattern.MaxValueLength), ("environment", "x"));
        Assert.False(FederatedMapping.TryMap(d, GitHub, token, out _, out _)); // warm up

        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
        {
            Assert.False(FederatedMapping.TryMap(d, GitHub, token, out _, out _));
        }

        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"10 tokens took {started.Elapsed}");
    }

    [Fact]
    public void LoggedClaimValues_PrintAsThemselvesOrAsQuestionMarks()
    {
        // A branch name (so a GitHub subject or ref claim) may hold a line separator or a right-to-left override.
        var d = Snapshot(Account("s2", "ci", GitHub.Url, null, Rule("main", "repo:acme/*:ref:refs/heads/main", ("ref", "refs/heads/main"))));
        var closest = FederatedMapping.Closest(d, GitHub, Token("repo:acme/api:ref:refs/heads/main", ("ref", "refs/heads/x\u2028[Warning] forged\u202Eevil\u0007")));
        Assert.Equal("ref 'refs/heads/x?[Warning] forged?evil?' does not match 'refs/heads/main'", closest?.Failed);
        Assert.Equal("a?b?c\U0001F600d?", LogText.Printable("a\u2029b\u200Bc\U0001F600d\uD800", 100)); // a pair prints, a lone surrogate does not
        Assert.Equal("ab…", LogText.Printable("abc", 2));
    }

    [Fact]
    public void TwoRulesThatBothHold_MapNobody()
    {
        // Creation refuses this; a directory that holds it anyway fails closed.
        var d = Snapshot(
            Account("s1", "a", GitHub.Url, null, Rule("one", "repo:*")),
            Account("s2", "b", GitHub.Url, null, Rule("two", "repo:x")));
        Assert.False(FederatedMapping.TryMap(d, GitHub, Token("repo:x"), out _, out var ambiguous));
        Assert.True(ambiguous);
        Assert.True(FederatedMapping.TryMap(d, GitHub, Token("repo:y"), out var one, out _));
        Assert.Equal("a@ml/one", one.Rule);
    }

    [Fact]
    public void TheIndex_FollowsChangesAndDeletions()
    {
        var account = Account("s1", "ci", GitHub.Url, null, Rule("main", "repo:acme/*:ref:refs/heads/main"), Rule("tag", "repo:acme/web:ref:refs/tags/v1"));
        var d = Snapshot(account);
        Assert.Equal(2, d.FederationRules.OfIssuer(GitHub.Url).Length);
        Assert.Single(d.FederationRules.Candidates(GitHub.Url, "repo:acme/web:ref:refs/tags/v1"), e => e.Rule.Name == "tag");

        var fewer = d.Apply(new ChangeSet().Put(account with { Rules = [account.Rules[0]] }));
        Assert.Single(fewer.FederationRules.OfIssuer(GitHub.Url));
        Assert.DoesNotContain(fewer.FederationRules.Candidates(GitHub.Url, "repo:acme/web:ref:refs/tags/v1"), e => e.Rule.Name == "tag");
        Assert.Empty(fewer.Apply(new ChangeSet().Remove(account)).FederationRules.OfIssuer(GitHub.Url));
        Assert.Equal(2, d.FederationRules.OfIssuer(GitHub.Url).Length); // snapshots are immutable
    }

    [Fact]
    public void StoredTokens_StillMapOnlyWhileTheirRuleIsHeld()
    {
        var account = Account("s2", "ci", GitHub.Url, null, Rule("main", "repo:acme/*:ref:refs/heads/main"));
        var d = Snapshot(account);
        Assert.True(FederatedMapping.StillMaps(d, GitHub.Url, "repo:acme/web:ref:refs/heads/main", "fr_main", "s2"));
        Assert.False(FederatedMapping.StillMaps(d, GitHub.Url, "repo:acme/web:ref:refs/heads/main", "fr_other", "s2"));
        Assert.False(FederatedMapping.StillMaps(d, OtherOrgIdp.Url, "repo:acme/web:ref:refs/heads/main", "fr_main", "s2"));
        Assert.False(FederatedMapping.StillMaps(d.Apply(new ChangeSet().Put(account with { Rules = [] })), GitHub.Url, "repo:acme/web:ref:refs/heads/main", "fr_main", "s2"));
        Assert.False(FederatedMapping.StillMaps(d.Apply(new ChangeSet().Remove(GitHub)), GitHub.Url, "repo:acme/web:ref:refs/heads/main", "fr_main", "s2"));
    }

    [Fact]
    public void TheEmbeddedStore_KeepsRulesAndTheTokensRule()
    {
        using var dir = new TempDirectory();
        var account = Account("s2", "ci", GitHub.Url, null,
            Rule("main", "repo:acme/*:ref:refs/heads/main", ("aud", "wandb"), ("repository_owner", "acme")), Rule("tag", "repo:acme/web:ref:refs/tags/v*"));
        var token = new ApiKey
        {
            KeyId = "tok", Hash = KeyHash.Of("token-secret").ToArray(), OwnerId = "s2", Name = "token exchange", Format = ApiKeyFormatKind.AccessToken,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000), ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(1_790_003_600_000),
            Issuer = GitHub.Url, Subject = "repo:acme/web:ref:refs/heads/main", Rule = "fr_main",
        };
        using (var store = new LiteDbGatewayStore(dir.File("gateway.db")))
        {
            store.Commit(new ChangeSet().Put(new Organization { Name = "acme" }).Put(new Team { Name = "ml", Org = "acme" }).Put(GitHub).Put(account).Put(token));
        }

        using var reopened = new LiteDbGatewayStore(dir.File("gateway.db"));
        AssertSameRules(account, reopened.LoadDirectory().ServiceAccounts.Single());
        Assert.Equal("fr_main", reopened.FindAccessTokenByHash(KeyHash.Of("token-secret"))!.Rule);
    }

    internal static void AssertSameRules(ServiceAccount expected, ServiceAccount actual)
    {
        Assert.Equal(expected.Rules.Length, actual.Rules.Length);
        for (var i = 0; i < expected.Rules.Length; i++)
        {
            Assert.Equal(expected.Rules[i] with { Conditions = [] }, actual.Rules[i] with { Conditions = [] });
            Assert.Equal(expected.Rules[i].Conditions.ToArray(), actual.Rules[i].Conditions.ToArray());
        }
    }
}
