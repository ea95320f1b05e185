using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary>
/// <c>gateway directory export|apply</c> end to end: real gateways on loopback with real LiteDB files,
/// the CLI in process, the admin API's own answers.
/// </summary>
public sealed class DirectoryAsCodeTests
{
    /// <summary>The org fixture plus what the fixture lacks: an issuer, a federated account, a full name, a default entity, limits, a deactivated user.</summary>
    private static async Task<Dictionary<string, string>> BuildOrgAsync(TestGateway gw)
    {
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        var root = gw.RootKey;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = "https://idp.example", audiences = new[] { "acme" }, maxTokenLifetimeSeconds = 600 }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", keys["alice"], new { name = "ext", authentication = "federated", issuer = "https://idp.example", subject = "repo:acme/ml:ref:main" }));
        await OrgFixture.Ok(gw.PatchAsync("/admin/v1/users/alice", root, new { name = "Alice Doe" }));
        await OrgFixture.Ok(gw.PatchAsync("/admin/v1/users/bob", root, new { defaultEntity = "ml" }));
        await OrgFixture.Ok(gw.PutAsync("/admin/v1/principals/bob/limits", root, new { permitsPerSecond = 2.5, burst = 10, requestsPerDay = 5000 }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/dave/deactivate", root, null));
        return keys;
    }

    [Fact]
    public async Task RoundTrip_ExportApplyOnEmptyStoreExport_IsByteIdentical()
    {
        await using var source = await TestGateway.StartAsync();
        await BuildOrgAsync(source);
        var yaml = await DirectoryCliRunner.ExportAsync(source, source.RootKey);
        var json = await DirectoryCliRunner.ExportAsync(source, source.RootKey, "--format", "json");
        Assert.Contains("username: alice", yaml);
        Assert.Contains("subject: \"repo:acme/ml:ref:main\"", yaml);

        // A fresh store: only the bootstrap organization and its admin, on a real LiteDB file.
        await using var target = await TestGateway.StartAsync();
        Assert.True(File.Exists(target.DatabasePath));
        var file = target.Directory.File("acme.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file);
        Assert.True(exit == 0, $"apply failed ({exit}): {output}{errors}");
        Assert.Contains("+ team ml", output);
        Assert.Contains("+ service-account ext@ml", output);

        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(target, target.RootKey));
        Assert.Equal(json, await DirectoryCliRunner.ExportAsync(target, target.RootKey, "--format", "json"));

        // Applying it again changes nothing: the dry run says so with exit 0.
        var (again, said, _) = await DirectoryCliRunner.RunAsync(target, target.RootKey, "apply", file, "--dry-run");
        Assert.Equal(0, again);
        Assert.Equal("No changes: the directory matches the document.\n", said);

        // The JSON form applies the same way to another fresh store.
        await using var third = await TestGateway.StartAsync();
        var jsonFile = third.Directory.File("acme.json");
        await File.WriteAllTextAsync(jsonFile, json);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(third, third.RootKey, "apply", jsonFile)).Exit);
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(third, third.RootKey));
    }

    [Fact]
    public async Task DryRun_PrintsTheDiffPerObject_ExitsTwo_AndChangesNothing()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, _) = org;
        var before = await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json");
        var document = JsonNode.Parse(before)!.AsObject();
        document["teams"]!.AsArray().Add(new JsonObject { ["name"] = "nlp" });
        var bob = document["users"]!.AsArray().Single(u => (string)u!["username"]! == "bob")!;
        bob["teams"]!["ml"] = "admin";
        bob["orgRole"] = "admin";
        var projects = document["projects"]!.AsArray();
        projects.Single(p => (string)p!["name"]! == "pub-p")!["visibility"] = "team";
        projects.Remove(projects.Single(p => (string)p!["name"]! == "late-p"));
        var file = gw.Directory.File("edited.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run");

        Assert.True(exit == 2, $"{exit}: {output}{errors}");
        Assert.Equal(
            """
            + team nlp
            ~ user bob: orgRole member -> admin, teams.ml member -> admin
            ~ project ml/pub-p: visibility public -> team
            - project ml/late-p

            """.ReplaceLineEndings("\n"), output[..(output.IndexOf("4 changes planned", StringComparison.Ordinal))]);
        Assert.Matches("4 changes planned \\(dry run: nothing applied\\)\\. Plan ([0-9a-f]{16}): apply it with --plan \\1, which refuses if the directory has changed since\\.\n$", output);
        Assert.Equal("", errors);
        Assert.Equal(before, await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"));

        // Applied, the store is the document; the dry run then has nothing left to do.
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file)).Exit);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run")).Exit);
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/projects/ml/late-p", gw.RootKey)).Status);
        Assert.Equal("admin", (await gw.GetAsync("/admin/v1/users/bob", gw.RootKey)).Json.GetProperty("teams").GetProperty("ml").GetString());
    }

    [Fact]
    public async Task ApplyWithThePlan_RefusesWhenTheDirectoryMovedSinceTheDryRun()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, _) = org;
        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"))!.AsObject();
        document["teams"]!.AsArray().Add(new JsonObject { ["name"] = "nlp" });
        var file = gw.Directory.File("edited.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());
        var (exit, output, _) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run");
        Assert.Equal(2, exit);
        var plan = System.Text.RegularExpressions.Regex.Match(output, "--plan ([0-9a-f]{16})").Groups[1].Value;

        // Someone adds a team after the review: applying the reviewed plan would now also delete it.
        Assert.Equal(201, (await gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "late" })).Status);
        var stale = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--plan", plan);
        Assert.NotEqual(0, stale.Exit);
        Assert.Contains("plan_changed", stale.Errors, StringComparison.Ordinal);
        Assert.Contains("- team late", stale.Errors, StringComparison.Ordinal);
        var teams = await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json");
        Assert.Contains("\"late\"", teams, StringComparison.Ordinal);
        Assert.DoesNotContain("\"nlp\"", teams, StringComparison.Ordinal);

        // The new plan, reviewed, applies; a made-up fingerprint is a usage error of the API.
        var again = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run");
        var fresh = System.Text.RegularExpressions.Regex.Match(again.Output, "--plan ([0-9a-f]{16})").Groups[1].Value;
        Assert.NotEqual(plan, fresh);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--plan", fresh)).Exit);
        Assert.Contains("\"nlp\"", await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"), StringComparison.Ordinal);
        Assert.Equal((400, "invalid_query"), await AdminCliRunner.StatusAsync(PostPlanAsync(gw, "NOT-A-PLAN")));
    }

    private static async Task<ApiResponse> PostPlanAsync(TestGateway gw, string plan)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gw.AdminUrl, "/admin/v1/directory/apply?plan=" + plan))
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gw.RootKey);
        using var response = await http.SendAsync(request);
        return new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task RemovingATeamAndEverythingInIt_AppliesInDependencyOrder()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"))!.AsObject();
        var teams = document["teams"]!.AsArray();
        teams.Remove(teams.Single(t => (string)t!["name"]! == "cv"));
        var users = document["users"]!.AsArray();
        users.Single(u => (string)u!["username"]! == "carol")!["teams"]!.AsObject().Remove("cv");
        users.Remove(users.Single(u => (string)u!["username"]! == "dave"));
        var accounts = document["serviceAccounts"]!.AsArray();
        accounts.Remove(accounts.Single(a => (string)a!["name"]! == "cvbot"));
        accounts.Single(a => (string)a!["name"]! == "bot")!["team"] = "ml";
        var projects = document["projects"]!.AsArray();
        projects.Remove(projects.Single(p => (string)p!["entity"]! == "cv"));
        var file = gw.Directory.File("no-cv.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file);

        Assert.True(exit == 0, output + errors);
        Assert.Equal(
            [
                "~ user carol: teams.cv admin -> -",
                "~ service-account bot@acme: team cv -> ml",
                "- project cv/cv-p",
                "- service-account cvbot@cv",
                "- user dave",
                "- team cv",
            ],
            output.Split('\n').Take(6));
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/projects/cv/cv-p", gw.RootKey)).Status);
        // Deleted with its account: cvbot's key no longer authenticates.
        Assert.Equal(401, (await gw.GetAsync("/admin/v1/whoami", keys["cvbot@cv"])).Status);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run")).Exit);

        // Leaving a user out while a kept project still grants to her is refused: it could not end as written.
        users.Remove(users.Single(u => (string)u!["username"]! == "olga"));
        await File.WriteAllTextAsync(file, document.ToJsonString());
        var (refused, _, said) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file);
        Assert.Equal(5, refused);
        Assert.Contains("- user olga: 409 still_referenced", said);

        // An account's access mode cannot change in place.
        accounts.Single(a => (string)a!["name"]! == "ci")!["access"] = "explicit";
        await File.WriteAllTextAsync(file, document.ToJsonString());
        Assert.Contains("~ service-account ci@ml: access scope -> explicit: 409 immutable_field", (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file)).Errors);
    }

    [Fact]
    public async Task NonAdminCaller_GetsEveryRefusalListed_AndNothingIsApplied()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        var before = await DirectoryCliRunner.ExportAsync(gw, gw.RootKey);

        // alice administers team ml only: her view is ml, herself, ml's account and projects.
        var view = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, keys["alice"], "--format", "json"))!.AsObject();
        Assert.Equal(["ml"], view["teams"]!.AsArray().Select(t => (string)t!["name"]!));
        Assert.Equal(["alice"], view["users"]!.AsArray().Select(u => (string)u!["username"]!));
        view["teams"]!.AsArray().Add(new JsonObject { ["name"] = "nlp" });
        view["users"]![0]!["orgRole"] = "admin";
        // Hers to make, but refused with the rest: nothing is half-applied.
        view["projects"]!.AsArray().Single(p => (string)p!["name"]! == "late-p")!["visibility"] = "restricted";
        var file = gw.Directory.File("alice.json");
        await File.WriteAllTextAsync(file, view.ToJsonString());

        var (exit, output, errors) = await DirectoryCliRunner.RunAsync(gw, keys["alice"], "apply", file);

        Assert.Equal(4, exit);
        Assert.Contains("403 directory_changes_refused: 2 of 3 changes refused; nothing was applied.", errors);
        Assert.Contains("+ team nlp: 403 org_admin_required: Only an org admin may do this.", errors);
        Assert.Contains("~ user alice: orgRole member -> admin: 403 org_admin_required: Only an org admin changes a user's role.", errors);
        Assert.Equal("", output);
        Assert.Equal(before, await DirectoryCliRunner.ExportAsync(gw, gw.RootKey));

        // The dry run lists the same refusals beside the diff.
        var (dryExit, diff, refused) = await DirectoryCliRunner.RunAsync(gw, keys["alice"], "apply", file, "--dry-run");
        Assert.Equal(4, dryExit);
        Assert.Equal("+ team nlp\n~ user alice: orgRole member -> admin\n~ project ml/late-p: visibility team -> restricted\n", diff);
        Assert.Contains("refused: + team nlp\n  403 org_admin_required", refused);

        // A member who sees no projects cannot delete them by leaving them out: they are not in her view.
        var bobView = await DirectoryCliRunner.ExportAsync(gw, keys["bob"]);
        Assert.DoesNotContain("projects:\n-", bobView);
        var bobFile = gw.Directory.File("bob.yaml");
        await File.WriteAllTextAsync(bobFile, bobView);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, keys["bob"], "apply", bobFile, "--dry-run")).Exit);
    }

    [Fact]
    public async Task ADocumentWrongEverywhere_IsAnsweredWithAPageOfErrorsAndACount()
    {
        await using var gw = await TestGateway.StartAsync();
        var document = "version: 1\norganization: acme\nteams:\n" + string.Concat(Enumerable.Range(0, 250).Select(i => $"- name: Bad Name {i}\n"));

        var answer = await PostDocumentAsync(gw, gw.RootKey, document, "application/yaml", dryRun: true);

        Assert.Equal((400, "invalid_document"), (answer.Status, answer.Code));
        var errors = answer.Json.GetProperty("errors").EnumerateObject().ToList();
        Assert.Equal(201, errors.Count);
        Assert.Equal("50 more places in the document have errors; fix these and check again.", errors.Single(e => e.Name == "(more)").Value[0].GetString());
    }

    [Fact]
    public async Task InvalidDocument_ReportsEverySchemaErrorAtOnce()
    {
        await using var gw = await TestGateway.StartAsync();
        const string document = """
            version: 2
            organization: acme
            teams:
            - name: Bad Name
            users:
            - username: eve
              orgRole: owner
            projects:
            - entity: acme
              name: p
              colour: blue
            """;

        var answer = await PostDocumentAsync(gw, gw.RootKey, document, "application/yaml", dryRun: true);

        Assert.Equal((400, "invalid_document"), (answer.Status, answer.Code));
        var errors = answer.Json.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Equal(["/projects/0/colour", "/teams/0/name", "/users/0", "/users/0/orgRole", "/version"], errors.Where(e => e != "/").Order(StringComparer.Ordinal));

        Assert.Equal("'colour' is not a field here (misspelt, or not part of a directory document).", answer.Json.GetProperty("errors").GetProperty("/projects/0/colour")[0].GetString());

        var file = gw.Directory.File("bad.yaml");
        await File.WriteAllTextAsync(file, document);
        var (exit, _, said) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file);
        Assert.Equal(6, exit);
        Assert.Contains("400 invalid_document", said);
        Assert.Contains("/teams/0/name", said);
        Assert.Contains("/version", said);

        Assert.Equal((400, "invalid_document"), await AdminCliRunner.StatusAsync(PostDocumentAsync(gw, gw.RootKey, "version: [1", "application/yaml", dryRun: false)));
        Assert.Equal((400, "invalid_document"), await AdminCliRunner.StatusAsync(PostDocumentAsync(gw, gw.RootKey, "organization: acme\norganization: other\nversion: 1\n", "application/yaml", dryRun: false)));
        Assert.Equal((415, "unsupported_media_type"), await AdminCliRunner.StatusAsync(PostDocumentAsync(gw, gw.RootKey, "{}", "text/plain", dryRun: false)));
    }

    [Fact]
    public async Task YamlThatCouldExhaustTheGateway_IsRefusedBeforeItIsBuilt()
    {
        await using var gw = await TestGateway.StartAsync();
        var laughs = new StringBuilder("version: 1\norganization: acme\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 12; i++)
        {
            laughs.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n");
        }

        var laughed = await PostDocumentAsync(gw, gw.RootKey, laughs.ToString(), "application/yaml", dryRun: true);
        Assert.Equal((400, "invalid_document"), (laughed.Status, laughed.Code));
        Assert.Contains("Anchors and aliases are not accepted", laughed.Str("detail"));

        var deep = "version: 1\norganization: acme\nteams: " + new string('[', 100_000) + new string(']', 100_000) + "\n";
        var nested = await PostDocumentAsync(gw, gw.RootKey, deep, "application/yaml", dryRun: true);
        Assert.Equal((400, "invalid_document"), (nested.Status, nested.Code));
        Assert.Contains("nests deeper than 16 levels", nested.Str("detail"));

        var two = await PostDocumentAsync(gw, gw.RootKey, "version: 1\norganization: acme\n---\nversion: 1\norganization: acme\n", "application/yaml", dryRun: true);
        Assert.Equal((400, "invalid_document"), (two.Status, two.Code));
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Status);
    }

    [Theory]
    [InlineData("application/yaml", "1e400")]
    [InlineData("application/yaml", "-1e400")]
    [InlineData("application/json", "1e400")]
    [InlineData("application/json", "1e-400")]
    [InlineData("application/json", "123456789012345678901234567890")]
    public async Task NumbersBeyondAnyRange_AreInvalidDocuments_NotServerErrors(string mediaType, string number)
    {
        await using var gw = await TestGateway.StartAsync();
        var document = mediaType == "application/yaml"
            ? $"version: 1\norganization: acme\nusers:\n- username: root\n  email: root@acme.example\n  limits:\n    permitsPerSecond: {number}\n    burst: {number}\n    requestsPerDay: {number}\n"
            : "{\"version\": 1, \"organization\": \"acme\", \"users\": [{\"username\": \"root\", \"email\": \"root@acme.example\", \"limits\": "
                + $"{{\"permitsPerSecond\": {number}, \"burst\": {number}, \"requestsPerDay\": {number}}}}}]}}";

        var answer = await PostDocumentAsync(gw, gw.RootKey, document, mediaType, dryRun: true);

        Assert.Equal((400, "invalid_document"), (answer.Status, answer.Code));
    }

    [Fact]
    public async Task ANameHeldByAnotherOrganization_IsCountedAndAuditedAsAProbe()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "globex", admin = new { username = "gadmin", email = "gadmin@globex.example" } }));
        var document = JsonNode.Parse(await DirectoryCliRunner.ExportAsync(gw, keys["erin"], "--format", "json"))!.AsObject();
        document["users"]!.AsArray().Add(new JsonObject { ["username"] = "gadmin", ["email"] = "someone@acme.example" });
        var file = gw.Directory.File("probe.json");
        await File.WriteAllTextAsync(file, document.ToJsonString());

        var (exit, _, errors) = await DirectoryCliRunner.RunAsync(gw, keys["erin"], "apply", file, "--dry-run");

        Assert.Equal(5, exit);
        Assert.Contains("+ user gadmin\n  409 name_taken", errors);
        var probe = (await gw.GetAsync("/admin/v1/audit?action=user.create_conflict", gw.RootKey)).Json.EnumerateArray().Single();
        Assert.Equal("erin", probe.GetProperty("actor").GetString());
        Assert.StartsWith("conflict=name_taken sha256=", probe.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AReadOnlyKey_MayExportAndDryRun_ButNotApply()
    {
        await using var gw = await TestGateway.StartAsync();
        var readOnly = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/root/keys", gw.RootKey, new { name = "drift-check", access = "read" }))).Str("key");
        var yaml = await DirectoryCliRunner.ExportAsync(gw, readOnly);
        var file = gw.Directory.File("drift.yaml");
        await File.WriteAllTextAsync(file, yaml.Replace("teams: []", "teams:\n- name: ml"));

        var (planned, diff, _) = await DirectoryCliRunner.RunAsync(gw, readOnly, "apply", file, "--dry-run");
        Assert.Equal(2, planned);
        Assert.StartsWith("+ team ml\n", diff);

        var (exit, _, errors) = await DirectoryCliRunner.RunAsync(gw, readOnly, "apply", file);
        Assert.Equal(4, exit);
        Assert.Contains("403 key_restricted", errors);
        Assert.Equal((403, "key_restricted"), await AdminCliRunner.StatusAsync(PostDocumentAsync(gw, readOnly, yaml, "application/yaml", dryRun: false)));
        Assert.Equal(yaml, await DirectoryCliRunner.ExportAsync(gw, gw.RootKey));
    }

    [Fact]
    public async Task Apply_IsAuditedAsOneChangeSet()
    {
        await using var gw = await TestGateway.StartAsync();
        const string document = """
            version: 1
            organization: acme
            teams:
            - name: ml
            users:
            - username: ann
              email: ann@acme.example
              teams:
                ml: admin
            - username: root
              email: root@localhost
              orgRole: admin
              operator: true
            projects:
            - entity: ml
              name: runs
              visibility: restricted
              grants:
                ann: owner
            """;

        var applied = await PostDocumentAsync(gw, gw.RootKey, document, "application/yaml", dryRun: false);

        Assert.Equal(200, applied.Status);
        var changeSet = applied.Str("changeSet");
        Assert.Equal(["+ team ml", "+ user ann", "+ project ml/runs"], applied.Json.GetProperty("changes").EnumerateArray().Select(c => c.GetString()));
        var audit = (await gw.GetAsync("/admin/v1/audit?limit=100", gw.RootKey)).Json.EnumerateArray()
            .Where(e => e.GetProperty("detail").GetString()?.Contains("changeSet=" + changeSet, StringComparison.Ordinal) == true).ToList();
        Assert.Equal(["directory.apply", "project.create", "team.create", "user.create"], audit.Select(e => e.GetProperty("action").GetString()).Order(StringComparer.Ordinal));
        Assert.Single(audit.Select(e => e.GetProperty("at").GetDateTimeOffset()).Distinct());
        Assert.All(audit, e => Assert.Equal("root", e.GetProperty("actor").GetString()));
        Assert.Contains("changes=3 +3 ~0 -0", audit.Single(e => e.GetProperty("action").GetString() == "directory.apply").GetProperty("detail").GetString());

        // Nothing left to change: no second change set.
        var again = await PostDocumentAsync(gw, gw.RootKey, document, "application/yaml", dryRun: false);
        Assert.False(again.Json.GetProperty("applied").GetBoolean());
        Assert.Single((await gw.GetAsync("/admin/v1/audit?action=directory.apply", gw.RootKey)).Json.EnumerateArray());
    }

    [Fact]
    public async Task Keys_AreExportedAsMetadataOnly_AndApplyNeverCreatesThem()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, _, keys) = org;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", gw.RootKey, new { name = "ro", access = "read", projects = new[] { "ml/team-p" } }));

        var withKeys = await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--keys", "--format", "json");
        var exported = JsonNode.Parse(withKeys)!["keys"]!.AsArray();
        Assert.Contains(exported, k => (string)k!["id"]! == OrgGateway.KeyIdOf(keys["alice"]) && (string)k["owner"]! == "alice" && (string)k["name"]! == "laptop");
        var restricted = exported.Single(k => (string)k!["name"]! == "ro")!;
        Assert.Equal("read", (string)restricted["restrictions"]!["access"]!);
        Assert.Equal("ml/team-p", (string)restricted["restrictions"]!["projects"]![0]!);
        foreach (var key in keys.Values)
        {
            Assert.DoesNotContain(key, withKeys);
            Assert.DoesNotContain(key.Split('_')[^1], withKeys);
        }

        Assert.DoesNotContain("hash", withKeys, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\"keys\"", await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--format", "json"));

        // The same document matches: nothing to do.
        var file = gw.Directory.File("keys.json");
        await File.WriteAllTextAsync(file, withKeys);
        Assert.Equal(0, (await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file, "--dry-run")).Exit);

        // A key the store does not hold, and a changed one: listed as refusals, never created or changed.
        var document = JsonNode.Parse(withKeys)!.AsObject();
        document["keys"]!.AsArray().Add(new JsonObject { ["id"] = "Zz9NotAKey", ["owner"] = "bob", ["name"] = "new", ["format"] = "standard", ["createdAt"] = "2026-01-01T00:00:00Z" });
        document["keys"]!.AsArray().Single(k => (string)k!["name"]! == "ro")!["name"] = "renamed";
        await File.WriteAllTextAsync(file, document.ToJsonString());
        var (exit, _, errors) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "apply", file);
        Assert.Equal(5, exit);
        Assert.Contains("+ key Zz9NotAKey (bob): 409 key_not_creatable", errors);
        Assert.Contains(": name ro -> renamed: 409 key_not_changeable", errors);
        Assert.Equal(withKeys, await DirectoryCliRunner.ExportAsync(gw, gw.RootKey, "--keys", "--format", "json"));
    }

    [Fact]
    public async Task Export_OfAnotherOrganization_IsNotFound_AndTheSchemaIsPublished()
    {
        await using var gw = await TestGateway.StartAsync();
        Assert.Equal((404, "org_not_found"), await AdminCliRunner.StatusAsync(gw.GetAsync("/admin/v1/directory?org=other", gw.RootKey)));
        var (exit, _, errors) = await DirectoryCliRunner.RunAsync(gw, gw.RootKey, "export", "--org", "other");
        Assert.Equal(4, exit);
        Assert.Contains("404 org_not_found", errors);

        var schema = await gw.GetAsync("/admin/v1/directory/schema", gw.RootKey);
        Assert.Equal(200, schema.Status);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Find(), "docs", "directory.schema.json")), schema.Text);
    }

    internal static async Task<ApiResponse> PostDocumentAsync(TestGateway gw, string key, string document, string mediaType, bool dryRun)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gw.AdminUrl, "/admin/v1/directory/apply" + (dryRun ? "?dryRun=true" : "")))
        {
            Content = new StringContent(document, Encoding.UTF8, mediaType),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        return new ApiResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers, response.Content.Headers.ContentType?.MediaType);
    }
}
