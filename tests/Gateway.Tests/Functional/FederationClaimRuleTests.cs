using System.Text.Json.Nodes;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// A real gateway with three real OIDC issuers on loopback minting tokens shaped as GitHub Actions,
/// GitLab CI and Kubernetes service-account tokens, registered for org acme; team ml, project p.
/// </summary>
public sealed class ClaimRuleFixture : IAsyncLifetime
{
    public EchoUpstream Echo { get; private set; } = null!;

    public TestIssuer GitHub { get; private set; } = null!;

    public TestIssuer GitLab { get; private set; } = null!;

    public TestIssuer Kubernetes { get; private set; } = null!;

    public TestGateway Gw { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Echo = await EchoUpstream.StartAsync();
        GitHub = await TestIssuer.StartAsync();
        GitLab = await TestIssuer.StartAsync();
        Kubernetes = await TestIssuer.StartAsync();
        Gw = await TestGateway.StartAsync(_ => FederationFixture.Config(Echo.Url), "--Gateway:Limits:AuditedFailuresPerSecond=1000000");
        var root = Gw.RootKey;
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/projects", root, new { name = "p" }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = GitHub.Url, audiences = new[] { "https://github.com/acme", "wandb" } }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = GitLab.Url, audiences = new[] { "https://wandb.acme.example" } }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = Kubernetes.Url, audiences = new[] { "wandb" }, acceptRawJwt = true }));
    }

    public async Task DisposeAsync()
    {
        await Gw.DisposeAsync();
        await GitHub.DisposeAsync();
        await GitLab.DisposeAsync();
        await Kubernetes.DisposeAsync();
        await Echo.DisposeAsync();
    }

    /// <summary>A GitHub Actions OIDC token for a push to <paramref name="branch"/> of <paramref name="repository"/>.</summary>
    public string GitHubToken(string repository, string branch, string? owner = null, string? environment = null, string audience = "https://github.com/acme")
    {
        var subject = environment is null ? $"repo:{repository}:ref:refs/heads/{branch}" : $"repo:{repository}:environment:{environment}";
        return GitHub.Token(subject, audience, edit: (_, p) =>
        {
            p["repository"] = repository;
            p["repository_owner"] = owner ?? repository.Split('/')[0];
            p["repository_owner_id"] = "4711";
            p["ref"] = "refs/heads/" + branch;
            p["ref_type"] = "branch";
            p["event_name"] = "push";
            p["workflow"] = "train";
            p["job_workflow_ref"] = $"{repository}/.github/workflows/train.yml@refs/heads/{branch}";
            p["runner_environment"] = "github-hosted";
            if (environment is not null)
            {
                p["environment"] = environment;
            }
        });
    }

    /// <summary>A GitLab CI id_token for a pipeline of <paramref name="project"/> on <paramref name="branch"/>.</summary>
    public string GitLabToken(string project, string branch, bool protectedRef)
        => GitLab.Token($"project_path:{project}:ref_type:branch:ref:{branch}", "https://wandb.acme.example", edit: (_, p) =>
        {
            p["namespace_id"] = "72";
            p["namespace_path"] = project.Split('/')[0];
            p["project_id"] = "20";
            p["project_path"] = project;
            p["user_login"] = "alice";
            p["pipeline_source"] = "push";
            p["ref"] = branch;
            p["ref_type"] = "branch";
            p["ref_protected"] = protectedRef ? "true" : "false";
            p["runner_environment"] = "gitlab-hosted";
        });

    /// <summary>A projected Kubernetes service-account token: audiences as a list, the pod's details nested.</summary>
    public string KubernetesToken(string ns, string serviceAccount)
        => Kubernetes.Token($"system:serviceaccount:{ns}:{serviceAccount}", edit: (_, p) =>
        {
            p["aud"] = new JsonArray("https://kubernetes.default.svc.cluster.local", "wandb");
            p["nbf"] = p["iat"]!.GetValue<long>();
            p["kubernetes.io"] = new JsonObject
            {
                ["namespace"] = ns,
                ["pod"] = new JsonObject { ["name"] = "train-0", ["uid"] = Guid.NewGuid().ToString() },
                ["serviceaccount"] = new JsonObject { ["name"] = serviceAccount, ["uid"] = Guid.NewGuid().ToString() },
            };
        });

    /// <summary>Waits for a log line holding every one of <paramref name="parts"/> (logging is synchronous, but to be safe).</summary>
    public async Task<string> LogLineAsync(params string[] parts)
    {
        for (var i = 0; i < 100; i++)
        {
            if (Gw.Logs.Lines.FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal))) is { } line)
            {
                return line;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"No log line with {string.Join(" and ", parts)}:\n{Gw.Logs.All}");
        return "";
    }
}

/// <summary>
/// Claim-based federation end to end: a rule over <c>sub</c> (exact or glob) and other claims maps a
/// token to a federated service account, overlapping rules are refused at creation, the exchange's
/// audit names the rule, and a refused token's subject and failing condition are logged, never the token.
/// </summary>
public sealed class FederationClaimRuleTests(ClaimRuleFixture fixture) : IClassFixture<ClaimRuleFixture>
{
    private TestGateway Gw => fixture.Gw;

    private static void AssertInvalidGrant(ApiResponse response)
    {
        Assert.Equal(400, response.Status);
        Assert.Equal("invalid_grant", response.Str("error"));
    }

    [Fact]
    public async Task GitHubActions_TheMainBranchOfAnyAcmeRepository_MapsThroughTheRule_OtherBranchesAndOwnersDoNot()
    {
        var created = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new
        {
            name = "web-ci", authentication = "federated", issuer = fixture.GitHub.Url,
            rules = new[] { new { name = "main", subject = "repo:acme/*:ref:refs/heads/main", conditions = new Dictionary<string, string> { ["repository_owner"] = "acme" } } },
        });
        Assert.Equal(201, created.Status);

        var assertion = fixture.GitHubToken("acme/web", "main");
        var exchange = await FederationFixture.ExchangeAsync(Gw, assertion);
        Assert.Equal(200, exchange.Status);
        var token = exchange.Str("access_token");
        var proxied = await Gw.ProxyAsync(HttpMethod.Post, "/files/ml/p/run-1/file_stream", token, new { });
        Assert.Equal(200, proxied.Status);
        Assert.Equal("web-ci@ml", fixture.Echo.Received.Last().Single("X-Gateway-Principal"));
        // Another repository of acme, same branch: the same rule.
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, fixture.GitHubToken("acme/api", "main"))).Status);

        // The exchange's audit names the rule that matched.
        var audit = await Gw.GetAsync("/admin/v1/audit?action=token.exchange&actor=web-ci@ml", Gw.RootKey);
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("keyId").GetString() == token.Split('_')[1]
            && e.GetProperty("detail").GetString()!.Contains("rule=web-ci@ml/main", StringComparison.Ordinal));

        // Another branch: refused; the log names the subject and the closest rule's failing condition.
        var dev = fixture.GitHubToken("acme/web", "dev");
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, dev));
        await fixture.LogLineAsync("names subject 'repo:acme/web:ref:refs/heads/dev'", "Closest rule web-ci@ml/main: sub does not match 'repo:acme/*:ref:refs/heads/main'");

        // The right subject with a failing condition (a repository whose owner claim says otherwise), and with the claim missing.
        var evil = fixture.GitHubToken("acme/fork", "main", owner: "evil");
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, evil));
        await fixture.LogLineAsync("names subject 'repo:acme/fork:ref:refs/heads/main'", "repository_owner 'evil' does not match 'acme'");
        var bare = fixture.GitHub.Token("repo:acme/bare:ref:refs/heads/main", "wandb");
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, bare));
        await fixture.LogLineAsync("names subject 'repo:acme/bare:ref:refs/heads/main'", "repository_owner is missing");

        // A wildcard never crosses ':' or '/': a longer subject does not slip through.
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitHub.Token("repo:acme/a/b:ref:refs/heads/main", "wandb",
            edit: (_, p) => p["repository_owner"] = "acme")));
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitHub.Token("repo:acme/web:pull_request:ref:refs/heads/main", "wandb",
            edit: (_, p) => p["repository_owner"] = "acme")));

        // A branch name holding a line separator and a right-to-left override: the subject is logged without them.
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitHubToken("acme/web", "x\u2028[Warning] forged\u202Eevil")));
        await fixture.LogLineAsync("names subject 'repo:acme/web:ref:refs/heads/x?[Warning] forged?evil'");
        Assert.DoesNotContain(Gw.Logs.Lines, l => l.Contains('\u2028') || l.Contains('\u202E'));

        foreach (var jwt in new[] { assertion, dev, evil, bare })
        {
            Assert.DoesNotContain(jwt, Gw.Logs.All);
        }

        Assert.DoesNotContain(token, Gw.Logs.All);
        Assert.DoesNotContain(Gw.Logs.Lines, l => l.Contains("eyJ", StringComparison.Ordinal));

        // Listed as created; deleting the rule ends the access tokens minted through it on their next use.
        var rules = await Gw.GetAsync("/admin/v1/service-accounts/web-ci@ml/federation-rules", Gw.RootKey);
        var rule = Assert.Single(rules.Json.EnumerateArray());
        Assert.Equal(("main", "web-ci@ml/main", "acme"), (rule.GetProperty("name").GetString(), rule.GetProperty("rule").GetString(),
            rule.GetProperty("conditions").GetProperty("repository_owner").GetString()));
        Assert.Equal(204, (await Gw.DeleteAsync("/admin/v1/service-accounts/web-ci@ml/federation-rules/main", Gw.RootKey)).Status);
        Assert.Equal(401, (await Gw.ProxyAsync(HttpMethod.Post, "/files/ml/p/run-1/file_stream", token, new { })).Status);
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitHubToken("acme/web", "main")));
        Assert.Equal(404, (await Gw.DeleteAsync("/admin/v1/service-accounts/web-ci@ml/federation-rules/main", Gw.RootKey)).Status);
    }

    [Fact]
    public async Task OverlappingRules_AreRefusedAtCreation_DisjointOnesAreNot()
    {
        var root = Gw.RootKey;
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new
        {
            name = "deploy", authentication = "federated", issuer = fixture.GitHub.Url,
            rules = new[] { new { name = "prod", subject = "repo:acme/web:environment:prod", conditions = new Dictionary<string, string> { ["environment"] = "prod" } } },
        }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = "staging", authentication = "federated", issuer = fixture.GitHub.Url, subject = "repo:acme/api:environment:staging" }));

        // Any environment of acme/web would also match deploy's prod tokens.
        var overlap = await Gw.PostAsync("/admin/v1/service-accounts/staging@ml/federation-rules", root, new { name = "envs", subject = "repo:acme/web:environment:*" });
        Assert.Equal((409, "federation_rule_overlap"), (overlap.Status, overlap.Code));
        Assert.Contains("deploy@ml/prod", overlap.Str("detail"));
        // The same subject pattern with a condition no token can meet together with deploy's: exclusive, accepted.
        var exclusive = await Gw.PostAsync("/admin/v1/service-accounts/staging@ml/federation-rules", root,
            new { name = "web-qa", subject = "repo:acme/web:environment:*", conditions = new Dictionary<string, string> { ["environment"] = "qa-*" } });
        Assert.Equal(201, exclusive.Status);
        Assert.Equal("staging@ml/web-qa", exclusive.Str("rule"));
        // An exact subject has no conditions: a rule whose subject pattern covers it overlaps it, even on the same account.
        var ownSubject = await Gw.PostAsync("/admin/v1/service-accounts/staging@ml/federation-rules", root, new { name = "any-staging", subject = "repo:acme/*:environment:staging" });
        Assert.Equal((409, "federation_rule_overlap"), (ownSubject.Status, ownSubject.Code));
        Assert.Contains("staging@ml/subject", ownSubject.Str("detail"));

        // An exact-subject account is a rule too: refused where a rule already maps its subject.
        var exact = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = "exact", authentication = "federated", issuer = fixture.GitHub.Url, subject = "repo:acme/web:environment:prod" });
        Assert.Equal((409, "federation_rule_overlap"), (exact.Status, exact.Code));
        // Two overlapping rules in one creation request.
        var both = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new
        {
            name = "both", authentication = "federated", issuer = fixture.GitHub.Url,
            rules = new[] { new { name = "a", subject = "repo:acme/x:ref:refs/tags/*" }, new { name = "b", subject = "repo:acme/x:ref:refs/tags/v*" } },
        });
        Assert.Equal((409, "federation_rule_overlap"), (both.Status, both.Code));
        Assert.Equal(404, (await Gw.GetAsync("/admin/v1/service-accounts/both@ml", root)).Status);

        // The deploy rule works for prod and only prod.
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, fixture.GitHubToken("acme/web", "main", environment: "prod"))).Status);
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, fixture.GitHubToken("acme/web", "main", environment: "qa-1"))).Status);
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitHubToken("acme/web", "main", environment: "dev")));
        var audit = await Gw.GetAsync("/admin/v1/audit?action=token.exchange&actor=staging@ml", root);
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("detail").GetString()!.Contains("rule=staging@ml/web-qa", StringComparison.Ordinal));
        var created = await Gw.GetAsync("/admin/v1/audit?action=service_account.rule_create", root);
        Assert.Contains(created.Json.EnumerateArray(), e => e.GetProperty("target").GetString() == "staging@ml"
            && e.GetProperty("detail").GetString() == "rule=web-qa subject=repo:acme/web:environment:* environment=qa-*");
    }

    [Fact]
    public async Task ACachedToken_MeetsARuleOnAClaimNoRuleNamedWhenItWasFirstSeen()
    {
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new
        {
            name = "late", authentication = "federated", issuer = fixture.GitHub.Url,
            rules = new[] { new { name = "plain", subject = "repo:acme/late:ref:refs/heads/trunk" } },
        }));
        var assertion = fixture.GitHubToken("acme/late", "trunk");
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, assertion)).Status); // validated and cached

        await OrgFixture.Ok(Gw.DeleteAsync("/admin/v1/service-accounts/late@ml/federation-rules/plain", Gw.RootKey));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/service-accounts/late@ml/federation-rules", Gw.RootKey,
            new { name = "workflow", subject = "repo:acme/late:ref:refs/heads/trunk", conditions = new Dictionary<string, string> { ["job_workflow_ref"] = "acme/late/.github/workflows/train.yml@refs/heads/trunk" } }));
        var again = await FederationFixture.ExchangeAsync(Gw, assertion);
        Assert.Equal(200, again.Status);
        var audit = await Gw.GetAsync("/admin/v1/audit?action=token.exchange&actor=late@ml", Gw.RootKey);
        Assert.Contains(audit.Json.EnumerateArray(), e => e.GetProperty("detail").GetString()!.Contains("rule=late@ml/workflow", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Validation_ReportsEveryErrorAtOnce_AndRulesNeedAFederatedAccount()
    {
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new { name = "v-ext", authentication = "federated", issuer = fixture.GitHub.Url, subject = "repo:acme/v:ref:refs/heads/v" }));
        var bad = await Gw.PostAsync("/admin/v1/service-accounts/v-ext@ml/federation-rules", Gw.RootKey,
            new { name = "Not A Name", subject = "repo:***", conditions = new Dictionary<string, string> { ["iss"] = "x", ["environment"] = "" } });
        Assert.Equal((400, "invalid_fields"), (bad.Status, bad.Code));
        var errors = bad.Json.GetProperty("errors");
        Assert.True(errors.TryGetProperty("name", out _) && errors.TryGetProperty("subject", out _)
            && errors.TryGetProperty("conditions.iss", out _) && errors.TryGetProperty("conditions.environment", out _), bad.Text);

        // Also at account creation, with the rule's index in the field name.
        var account = await Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new
        {
            name = "v-two", authentication = "federated", issuer = fixture.GitHub.Url,
            rules = new object[] { new { name = "ok", subject = "repo:acme/v2:*" }, new { name = "", subject = "" } },
        });
        Assert.Equal((400, "invalid_fields"), (account.Status, account.Code));
        Assert.True(account.Json.GetProperty("errors").TryGetProperty("rules[1].name", out _), account.Text);
        Assert.True(account.Json.GetProperty("errors").TryGetProperty("rules[1].subject", out _), account.Text);

        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new { name = "v-builtin" }));
        var builtin = await Gw.PostAsync("/admin/v1/service-accounts/v-builtin@ml/federation-rules", Gw.RootKey, new { name = "r", subject = "repo:acme/v3:*" });
        Assert.Equal((409, "service_account_not_federated"), (builtin.Status, builtin.Code));
    }

    [Fact]
    public async Task GitLabCi_ProtectedMainOfAnyProjectUnderTheGroup()
    {
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new
        {
            name = "gl-train", authentication = "federated", issuer = fixture.GitLab.Url,
            rules = new[]
            {
                new
                {
                    name = "protected-main", subject = "project_path:acme/**:ref_type:branch:ref:main",
                    conditions = new Dictionary<string, string> { ["namespace_path"] = "acme", ["ref_protected"] = "true", ["aud"] = "https://wandb.acme.example" },
                },
            },
        }));

        // ** crosses the '/' of subgroups.
        var exchange = await FederationFixture.ExchangeAsync(Gw, fixture.GitLabToken("acme/vision/train", "main", protectedRef: true));
        Assert.Equal(200, exchange.Status);
        Assert.Equal(200, (await Gw.ProxyAsync(HttpMethod.Post, "/files/ml/p/run-2/file_stream", exchange.Str("access_token"), new { })).Status);
        Assert.Equal("gl-train@ml", fixture.Echo.Received.Last().Single("X-Gateway-Principal"));

        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitLabToken("acme/vision/train", "main", protectedRef: false)));
        await fixture.LogLineAsync("names subject 'project_path:acme/vision/train:ref_type:branch:ref:main'", "ref_protected 'false' does not match 'true'");
        AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, fixture.GitLabToken("acme/vision/train", "feature", protectedRef: true)));
    }

    [Fact]
    public async Task KubernetesServiceAccountTokens_OfOneNamespace_WorkAsRawBearerJwts()
    {
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new
        {
            name = "trainer", authentication = "federated", issuer = fixture.Kubernetes.Url,
            rules = new[] { new { name = "ml-train-ns", subject = "system:serviceaccount:ml-train:*", conditions = new Dictionary<string, string> { ["aud"] = "wandb" } } },
        }));

        // aud is a list: the condition holds when one audience matches.
        var ok = await Gw.ProxyAsync(HttpMethod.Post, "/files/ml/p/run-3/file_stream", null, new { },
            r => r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fixture.KubernetesToken("ml-train", "runner")));
        Assert.Equal(200, ok.Status);
        var upstream = fixture.Echo.Received.Last();
        Assert.Equal(("trainer@ml", "federated_jwt"), (upstream.Single("X-Gateway-Principal"), upstream.Single("X-Gateway-Auth-Method")));

        var other = await Gw.ProxyAsync(HttpMethod.Post, "/files/ml/p/run-3/file_stream", null, new { },
            r => r.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", fixture.KubernetesToken("default", "runner")));
        Assert.Equal(401, other.Status);
        await fixture.LogLineAsync("names subject 'system:serviceaccount:default:runner'", "Closest rule trainer@ml/ml-train-ns");
    }

    [Fact]
    public async Task TheCli_AddsListsAndRemovesRules()
    {
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", Gw.RootKey, new { name = "cli-ext", authentication = "federated", issuer = fixture.GitLab.Url, subject = "project_path:acme/cli:ref_type:branch:ref:dev" }));
        var (exit, output, errors) = await AdminCliRunner.RunAsync(Gw, Gw.RootKey, "federation-rules", "add", "cli-ext@ml", "tags",
            "project_path:acme/cli:ref_type:tag:ref:v*", "--when", "namespace_path=acme,ref_protected=true", "--output", "json");
        Assert.True(exit == 0, errors);
        Assert.Contains("cli-ext@ml/tags", output);
        (exit, output, errors) = await AdminCliRunner.RunAsync(Gw, Gw.RootKey, "federation-rules", "list", "cli-ext@ml");
        Assert.True(exit == 0, errors);
        Assert.Contains("project_path:acme/cli:ref_type:tag:ref:v*", output);
        // The same again overlaps itself: the API's refusal, with its code.
        (exit, _, errors) = await AdminCliRunner.RunAsync(Gw, Gw.RootKey, "federation-rules", "add", "cli-ext@ml", "tags2", "project_path:acme/cli:ref_type:tag:ref:v1*");
        Assert.NotEqual(0, exit);
        Assert.Contains("federation_rule_overlap", errors);
        (exit, _, errors) = await AdminCliRunner.RunAsync(Gw, Gw.RootKey, "federation-rules", "remove", "cli-ext@ml", "tags");
        Assert.True(exit == 0, errors);
        Assert.Empty((await Gw.GetAsync("/admin/v1/service-accounts/cli-ext@ml/federation-rules", Gw.RootKey)).Json.EnumerateArray());

        (exit, _, errors) = await AdminCliRunner.RunAsync(Gw, Gw.RootKey, "service-accounts", "create", "cli-rule", "--team", "ml", "--federated", "--issuer", fixture.GitLab.Url,
            "--rule", "main", "--rule-subject", "project_path:acme/cli:ref_type:branch:ref:release", "--when", "ref_protected=true");
        Assert.True(exit == 0, errors);
        var rule = Assert.Single((await Gw.GetAsync("/admin/v1/service-accounts/cli-rule@ml/federation-rules", Gw.RootKey)).Json.EnumerateArray());
        Assert.Equal("true", rule.GetProperty("conditions").GetProperty("ref_protected").GetString());
    }
}
