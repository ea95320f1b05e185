using System.Text.Json.Nodes;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary>Claim rules of federated service accounts in directory documents: exported, diffed, applied under the rules endpoints' checks.</summary>
public sealed class DirectoryFederationRuleTests
{
    internal static async Task BuildAsync(TestGateway gw)
    {
        var root = gw.RootKey;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = "https://idp.example", audiences = new[] { "acme" } }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new
        {
            name = "ci", authentication = "federated", issuer = "https://idp.example", subject = "repo:acme/ml:ref:refs/heads/main",
            rules = new object[]
            {
                new { name = "release", subject = "repo:acme/ml:ref:refs/tags/*", conditions = new Dictionary<string, string> { ["workflow"] = "release", ["aud"] = "acme" } },
            },
        }));
        // Rules only: no exact subject.
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new
        {
            name = "web", authentication = "federated", issuer = "https://idp.example",
            rules = new object[] { new { name = "main", subject = "repo:acme/web:**" } },
        }));
    }

    [Fact]
    public async Task Rules_RoundTripByteIdentical_IncludingARuleOnlyAccount()
    {
        await using var source = await TestGateway.StartAsync();
        await BuildAsync(source);
        var yaml = await DirectoryCliRunner.ExportAsync(source, source.RootKey);
        var json = await DirectoryCliRunner.ExportAsync(source, source.RootKey, "--format", "json");
        Assert.Contains("  rules:\n    release:\n      subject: \"repo:acme/ml:ref:refs/tags/*\"\n      conditions:\n        aud: acme\n        workflow: release\n", yaml);
        Assert.Contains("  rules:\n    main:\n      subject: \"repo:acme/web:**\"\n", yaml);
        Assert.DoesNotContain("fr_", yaml);

        await using var target = await TestGateway.StartAsync();
        var file = target.Directory.File("acme.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file);
        Assert.True(exit == 0, $"apply failed ({exit}): {output}{errors}");
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(target, target.RootKey));
        Assert.Equal(json, await DirectoryCliRunner.ExportAsync(target, target.RootKey, "--format", "json"));
        var rules = (await target.GetAsync("/admin/v1/service-accounts/web@ml/federation-rules", target.RootKey)).Json;
        Assert.Equal("repo:acme/web:**", rules[0].GetProperty("subject").GetString());
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file, "--dry-run")).Exit);
    }

    [Fact]
    public async Task ChangedRules_AreDiffedAndApplied_AnUnchangedRuleKeepsItsId_AnOverlapIsRefused()
    {
        await using var gw = await TestGateway.StartAsync();
        await BuildAsync(gw);
        string IdOf(ApiResponse list, string name) => list.Json.EnumerateArray().Single(r => r.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
        var releaseId = IdOf(await gw.GetAsync("/admin/v1/service-accounts/ci@ml/federation-rules", gw.RootKey), "release");
        var mainId = IdOf(await gw.GetAsync("/admin/v1/service-accounts/web@ml/federation-rules", gw.RootKey), "main");

        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"))!.AsObject();
        var accounts = document["serviceAccounts"]!.AsArray();
        var web = accounts.Single(a => (string)a!["name"]! == "web")!;
        web["rules"]!["main"]!["subject"] = "repo:acme/web:ref:refs/heads/main";
        web["rules"]!["pr"] = new JsonObject { ["subject"] = "repo:acme/web:pull_request" };
        var file = gw.Directory.File("rules.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var (exit, diff, _) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run");
        Assert.Equal(2, exit);
        Assert.Equal("~ service-account web@ml: rules.main.subject repo:acme/web:** -> repo:acme/web:ref:refs/heads/main, rules.pr.subject - -> repo:acme/web:pull_request\n"
            + "1 changes planned (dry run: nothing applied).", diff[..diff.IndexOf(" Plan ", StringComparison.Ordinal)]);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file)).Exit);
        var after = await gw.GetAsync("/admin/v1/service-accounts/web@ml/federation-rules", gw.RootKey);
        Assert.Equal(["main", "pr"], after.Json.EnumerateArray().Select(r => r.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.NotEqual(mainId, IdOf(after, "main"));
        Assert.Equal(releaseId, IdOf(await gw.GetAsync("/admin/v1/service-accounts/ci@ml/federation-rules", gw.RootKey), "release"));

        // A rule that could match ci@ml's tokens, a new account whose subject one of ci@ml's rules matches,
        // rules of one account that overlap each other: each refused as the endpoints refuse it; nothing applied.
        var before = await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json");
        web["rules"]!["steal"] = new JsonObject { ["subject"] = "repo:acme/ml:ref:refs/heads/*" };
        accounts.Add(new JsonObject { ["name"] = "tagger", ["scope"] = "team", ["team"] = "ml", ["authentication"] = "federated", ["issuer"] = "https://idp.example", ["subject"] = "repo:acme/ml:ref:refs/tags/v1" });
        accounts.Add(new JsonObject
        {
            ["name"] = "twice", ["scope"] = "team", ["team"] = "ml", ["authentication"] = "federated", ["issuer"] = "https://idp.example",
            ["rules"] = new JsonObject { ["a"] = new JsonObject { ["subject"] = "repo:other/x:*" }, ["b"] = new JsonObject { ["subject"] = "repo:other/*:main" } },
        });
        await File.WriteAllTextAsync(file, document.ToJsonString());
        var (refusedExit, _, refused) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file);
        Assert.Equal(5, refusedExit);
        Assert.Contains("3 of 3 changes refused", refused);
        Assert.Contains("+ service-account tagger@ml: 409 federation_rule_overlap", refused);
        Assert.Contains("+ service-account twice@ml: 409 federation_rule_overlap", refused);
        Assert.Contains("~ service-account web@ml: rules.steal.subject - -> repo:acme/ml:ref:refs/heads/*: 409 federation_rule_overlap", refused);
        Assert.Equal(before, await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"));
    }

    [Fact]
    public async Task InvalidRules_AreRefusedWithEveryError()
    {
        await using var gw = await TestGateway.StartAsync();
        await BuildAsync(gw);
        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"))!.AsObject();
        var accounts = document["serviceAccounts"]!.AsArray();
        // A federated account without an issuer, and a built-in account with rules: schema errors.
        accounts.Add(new JsonObject { ["name"] = "none", ["scope"] = "team", ["team"] = "ml", ["authentication"] = "federated", ["rules"] = new JsonObject { ["a"] = new JsonObject { ["subject"] = "x" } } });
        accounts.Add(new JsonObject { ["name"] = "plain", ["scope"] = "team", ["team"] = "ml", ["rules"] = new JsonObject { ["a"] = new JsonObject { ["subject"] = "x" } } });
        var schema = await DirectoryAsCodeTests.PostDocumentAsync(gw, gw.RootKey, document.ToJsonString(), "application/json", dryRun: true);
        Assert.Equal((400, "invalid_document"), (schema.Status, schema.Code));
        var at = schema.Json.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains("/serviceAccounts/2", at);
        Assert.Contains("/serviceAccounts/3", at);

        // Valid by the schema, refused by the rules' own checks (a reserved claim, a bad pattern).
        accounts.RemoveAt(3);
        accounts.RemoveAt(2);
        accounts.Single(a => (string)a!["name"]! == "web")!["rules"]!["bad"] = new JsonObject
        {
            ["subject"] = "repo:acme/***", ["conditions"] = new JsonObject { ["exp"] = "1" },
        };
        var refused = await DirectoryAsCodeTests.PostDocumentAsync(gw, gw.RootKey, document.ToJsonString(), "application/json", dryRun: false);
        Assert.Equal((400, "directory_changes_refused"), (refused.Status, refused.Code));
        var reason = refused.Json.GetProperty("errors").EnumerateObject().Single().Value[0].GetString();
        Assert.Contains("400 invalid_fields", reason);
        Assert.Contains("'subject' is required: a pattern for sub", reason);
        Assert.Contains("'exp' is checked by the gateway itself", reason);
    }

    [Fact]
    public async Task AnIssuerARuleOnlyAccountMapsTo_IsNotDeleted()
    {
        await using var gw = await TestGateway.StartAsync();
        await BuildAsync(gw);
        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"))!.AsObject();
        // ci@ml (exact subject) goes; web@ml (rules only) stays and still names the issuer.
        var accounts = document["serviceAccounts"]!.AsArray();
        accounts.Remove(accounts.Single(a => (string)a!["name"]! == "ci"));
        document["issuers"] = new JsonArray();
        var before = await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json");

        var answer = await DirectoryAsCodeTests.PostDocumentAsync(gw, gw.RootKey, document.ToJsonString(), "application/json", dryRun: false);

        Assert.Equal((409, "directory_changes_refused"), (answer.Status, answer.Code));
        Assert.StartsWith("409 issuer_in_use", answer.Json.GetProperty("errors").GetProperty("- issuer https://idp.example")[0].GetString());
        Assert.Equal(before, await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"));
    }

    [Fact]
    public async Task AnAccountWhoseLastRuleWasDeleted_StillRoundTrips()
    {
        // The rules endpoints let the last rule go (a rule is replaced by deleting it, then creating its successor).
        await using var source = await TestGateway.StartAsync();
        await BuildAsync(source);
        Assert.Equal(204, (await source.DeleteAsync("/admin/v1/service-accounts/web@ml/federation-rules/main", source.RootKey)).Status);
        var yaml = await DirectoryCliRunner.ExportAsync(source, source.RootKey);

        await using var target = await TestGateway.StartAsync();
        var file = target.Directory.File("acme.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file);
        Assert.True(exit == 0, $"apply failed ({exit}): {output}{errors}");
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(target, target.RootKey));
    }

    [Fact]
    public async Task ARuleOverlappingAnAccountTheCallerCannotSee_IsRefusedWithoutNamingIt_AndAuditedAsAProbe()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = "https://idp.example", audiences = new[] { "acme" } }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/cv/service-accounts", keys["carol"], new
        {
            name = "cvci", authentication = "federated", issuer = "https://idp.example", rules = new object[] { new { name = "main", subject = "repo:acme/cv:*" } },
        }));
        // alice administers ml only: cvci@cv is not in her view.
        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, keys["alice"], "--format", "json"))!.AsObject();
        document["serviceAccounts"]!.AsArray().Add(new JsonObject
        {
            ["name"] = "spy", ["scope"] = "team", ["team"] = "ml", ["authentication"] = "federated", ["issuer"] = "https://idp.example",
            ["rules"] = new JsonObject { ["all"] = new JsonObject { ["subject"] = "repo:acme/*:main" } },
        });

        var answer = await DirectoryAsCodeTests.PostDocumentAsync(gw, keys["alice"], document.ToJsonString(), "application/json", dryRun: true);

        var refusal = answer.Json.GetProperty("refusals").EnumerateArray().Single();
        Assert.Equal("federation_rule_overlap", refusal.GetProperty("code").GetString());
        Assert.DoesNotContain("cvci", refusal.GetProperty("detail").GetString());
        var probe = (await gw.GetAsync("/admin/v1/audit?action=service_account.rule_conflict", gw.RootKey)).Json.EnumerateArray().Single();
        Assert.Equal("alice", probe.GetProperty("actor").GetString());
        Assert.StartsWith("conflict=federation_rule_overlap sha256=", probe.GetProperty("detail").GetString());
    }
}
