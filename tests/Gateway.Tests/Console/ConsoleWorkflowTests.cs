using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Microsoft.Playwright;
using Xunit;
using static Gateway.Tests.OperatorConsole.ConsoleBrowser;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// The seeds' workflows in a real Chromium against the real gateway: service accounts and their keys
/// end to end through the proxy, restricted projects and grants, deactivation, issuers and the audit.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleWorkflowTests(BrowserFixture fixture) : IAsyncLifetime
{
    private EchoUpstream _echo = null!;
    private TestGateway _gw = null!;

    public async Task InitializeAsync()
    {
        _echo = await EchoUpstream.StartAsync();
        _gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, _echo.Url));
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private Task<ApiResponse> WriteRunAsync(string key, string project = "team-p")
        => _gw.ProxyAsync(HttpMethod.Post, $"/files/ml/{project}/r1/file_stream", key);

    [Fact]
    public async Task TheSeedWorkflow_ATeamServiceAccountsKey_WorksOnTheProxy_UntilItIsDeleted()
    {
        var page = await SignInAsync(fixture.Browser, _gw, _gw.RootKey);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("root");
        await ShotAsync(page, "01-overview");

        // A team and a project, through their pages.
        await GoAsync(page, "Teams", "Teams");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("ml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create team" }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync("Team 'ml' created.");
        await Expect(page.GetByTestId("team-ml")).ToBeVisibleAsync();
        await ShotAsync(page, "02-teams");

        await GoAsync(page, "Projects", "Projects");
        await page.GetByLabel("Team", new() { Exact = true }).SelectOptionAsync("ml");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("team-p");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Expect(page.GetByTestId("project-ml-team-p")).ToContainTextAsync("team");
        await ShotAsync(page, "03-projects");

        // "New service account": team-scoped, built-in.
        await GoAsync(page, "Service accounts", "Service accounts");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("ci");
        await page.GetByLabel("Team (or the org account's default team)").SelectOptionAsync("ml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create service account" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/service-accounts/ci%40ml"));
        await Expect(Banner(page)).ToHaveTextAsync("Service account 'ci@ml' created.");
        await Expect(page.GetByTestId("sa-status")).ToHaveTextAsync("active");

        // "Create new API key": shown once, with a copy button and the warning.
        await page.GetByLabel("Key name").FillAsync("gha");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var oneTime = page.GetByTestId("one-time-key");
        await Expect(oneTime).ToContainTextAsync("It is shown only once");
        await Expect(oneTime.GetByRole(AriaRole.Button, new() { Name = "Copy" })).ToBeVisibleAsync();
        var key = await page.GetByTestId("new-key-value").InputValueAsync();
        Assert.StartsWith("gw_", key);
        await ShotAsync(page, "04-service-account-new-key");

        Assert.Equal(200, (await WriteRunAsync(key)).Status);
        Assert.Equal("ci@ml", _echo.Received.Last().Single("X-Gateway-Principal"));

        // Never shown again: not on a reload, not on the keys page; the key id and last use are.
        await page.GotoAsync("/service-accounts/ci%40ml");
        await Expect(page.GetByTestId("one-time-key")).ToHaveCountAsync(0);
        Assert.DoesNotContain(key, await page.ContentAsync());
        var keyId = key.Split('_')[1];
        await GoAsync(page, "API keys", "API keys");
        await Expect(page.GetByTestId("key-" + keyId)).ToContainTextAsync("ci@ml");
        Assert.DoesNotContain(key, await page.ContentAsync());
        await ShotAsync(page, "05-keys");

        // Rotate: a new key shown once; the old one keeps working for the overlap chosen (a day by default).
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate key " + keyId }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync($"Key {keyId} replaced by ");
        await Expect(Banner(page)).ToContainTextAsync("the old key works until");
        var rotated = await page.GetByTestId("new-key-value").InputValueAsync();
        Assert.NotEqual(key, rotated);
        Assert.Equal(200, (await WriteRunAsync(rotated)).Status);
        Assert.Equal(200, (await WriteRunAsync(key)).Status);

        // Delete, with a confirmation step; the next proxy request is refused.
        await page.GotoAsync("/service-accounts/ci%40ml");
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete key " + keyId }).ClickAsync();
        await Expect(page.GetByTestId("confirm-delete")).ToContainTextAsync(keyId);
        Assert.Equal(200, (await WriteRunAsync(key)).Status); // nothing happens before the confirmation
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete key", Exact = true }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync($"Key {keyId} deleted.");
        await Expect(page.GetByTestId("key-" + keyId)).ToHaveCountAsync(0);
        Assert.Equal(401, (await WriteRunAsync(key)).Status);

        // The service account itself: the typed confirmation is required.
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete service account" }).ClickAsync();
        await page.GetByLabel("Service account name").FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete service account" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("Type the service account's name");
        Assert.Equal(200, (await _gw.GetAsync("/admin/v1/service-accounts/ci@ml", _gw.RootKey)).Status);
        await page.GetByLabel("Service account name").FillAsync("ci@ml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete service account" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/service-accounts$"));
        Assert.Equal(404, (await _gw.GetAsync("/admin/v1/service-accounts/ci@ml", _gw.RootKey)).Status);
        await CloseAsync(page);
    }

    [Fact]
    public async Task ARestrictedProject_IsShownOnlyToThoseWhoMaySeeIt_AndAGrantOpensIt()
    {
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(_gw, keys);
        var bob = await SignInAsync(fixture.Browser, _gw, keys["bob"]);
        await GoAsync(bob, "Projects", "Projects");
        await Expect(bob.GetByTestId("project-ml-team-p")).ToContainTextAsync("read");
        await Expect(bob.GetByTestId("project-ml-secret")).ToHaveCountAsync(0);

        // alice (admin of ml) grants bob viewer on the restricted project from its page.
        var alice = await SignInAsync(fixture.Browser, _gw, keys["alice"]);
        await GoAsync(alice, "Projects", "Projects");
        await alice.GetByRole(AriaRole.Link, new() { Name = "ml/secret" }).ClickAsync();
        await Expect(alice.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("ml/secret");
        await alice.GetByLabel("User or service account").FillAsync("bob");
        await alice.GetByLabel("Role").SelectOptionAsync("viewer");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Grant" }).ClickAsync();
        await Expect(alice.GetByTestId("grant-bob")).ToContainTextAsync("viewer");
        await ShotAsync(alice, "06-project-grants");

        await bob.ReloadAsync();
        await Expect(bob.GetByTestId("project-ml-secret")).ToContainTextAsync("restricted");
        // A viewer reads but does not manage: no link, and the page itself answers the API's 403.
        await Expect(bob.GetByRole(AriaRole.Link, new() { Name = "ml/secret" })).ToHaveCountAsync(0);
        var direct = await bob.GotoAsync("/projects/ml/secret");
        Assert.Equal(403, direct!.Status);
        await Expect(Banner(bob)).ToContainTextAsync("not_project_manager");

        // Removing the grant hides it again.
        await alice.GetByRole(AriaRole.Button, new() { Name = "Remove the grant of bob" }).ClickAsync();
        await Expect(alice.GetByTestId("grant-bob")).ToHaveCountAsync(0);
        await bob.GotoAsync("/projects");
        await Expect(bob.GetByTestId("project-ml-secret")).ToHaveCountAsync(0);
        Assert.Equal(404, (await bob.GotoAsync("/projects/ml/secret"))!.Status);
        await CloseAsync(bob);
        await CloseAsync(alice);
    }

    [Fact]
    public async Task AMember_SeesOnlyWhatTheyManage_AndIsRefusedTheRest()
    {
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(_gw, keys);
        var bob = await SignInAsync(fixture.Browser, _gw, keys["bob"]);

        await GoAsync(bob, "Users", "Users");
        await Expect(bob.Locator("tr[data-testid^=user-]")).ToHaveCountAsync(1);
        await Expect(bob.GetByTestId("user-bob")).ToBeVisibleAsync();
        await Expect(bob.GetByRole(AriaRole.Button, new() { Name = "Create user" })).ToHaveCountAsync(0);

        await GoAsync(bob, "Teams", "Teams");
        await Expect(bob.GetByTestId("team-ml")).ToBeVisibleAsync();
        await Expect(bob.GetByTestId("team-cv")).ToHaveCountAsync(0);
        await Expect(bob.GetByRole(AriaRole.Button, new() { Name = "Add or change member" })).ToHaveCountAsync(0);

        await GoAsync(bob, "Service accounts", "Service accounts");
        await Expect(bob.Locator("tr[data-testid^=sa-]")).ToHaveCountAsync(0);
        await Expect(bob.GetByRole(AriaRole.Button, new() { Name = "Create service account" })).ToHaveCountAsync(0);

        await GoAsync(bob, "API keys", "API keys");
        await Expect(bob.Locator("tr[data-testid^=key-]")).ToHaveCountAsync(1);
        await Expect(bob.Locator("tr[data-testid^=key-]")).ToContainTextAsync("bob");
        // A key for someone else is refused with the API's answer.
        await bob.GetByLabel("Owner (a user, or name@scope)").FillAsync("alice");
        await bob.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(Banner(bob)).ToContainTextAsync("user_not_found");
        await Expect(bob.GetByTestId("one-time-key")).ToHaveCountAsync(0);

        var audit = await bob.GotoAsync("/audit");
        Assert.Equal(403, audit!.Status);
        await Expect(Banner(bob)).ToContainTextAsync("org_admin_required");
        await ShotAsync(bob, "07-member-audit-refused");

        // alice, admin of ml, manages ml's members and its service account, not cv's.
        var alice = await SignInAsync(fixture.Browser, _gw, keys["alice"]);
        await GoAsync(alice, "Service accounts", "Service accounts");
        await Expect(alice.GetByTestId("sa-ci@ml")).ToBeVisibleAsync();
        await Expect(alice.GetByTestId("sa-cvbot@cv")).ToHaveCountAsync(0);
        await Expect(alice.GetByTestId("sa-bot@acme")).ToHaveCountAsync(0);
        Assert.Equal(404, (await alice.GotoAsync("/service-accounts/cvbot%40cv"))!.Status);
        await CloseAsync(bob);
        await CloseAsync(alice);
    }

    [Fact]
    public async Task AUser_IsChanged_AndAnEmptyTeamDeleted_FromTheConsole()
    {
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(_gw, keys);
        var page = await SignInAsync(fixture.Browser, _gw, keys["erin"]);
        await GoAsync(page, "Users", "Users");
        var form = page.GetByTestId("update-user");
        await form.GetByLabel("User", new() { Exact = true }).SelectOptionAsync("alice");
        await form.GetByLabel("Org role").SelectOptionAsync("admin");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync("User 'alice' updated.");
        Assert.Equal("admin", (await _gw.GetAsync("/admin/v1/users/alice", keys["erin"])).Str("orgRole"));

        // A default entity the user is not a member of: refused, with the choices, by the field.
        await form.GetByLabel("User", new() { Exact = true }).SelectOptionAsync("bob");
        await form.GetByLabel("Default entity", new() { Exact = false }).FillAsync("cv");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Expect(page.GetByTestId("update-user")).ToContainTextAsync("must be the user's own name or one of their teams: bob, ml");
        Assert.Equal("ml", (await _gw.GetAsync("/admin/v1/users/bob", keys["erin"])).Str("defaultEntity"));

        // An empty team, deleted after its name is typed.
        await OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/teams", keys["erin"], new { name = "tmp" }));
        await GoAsync(page, "Teams", "Teams");
        var delete = page.GetByTestId("delete-team-tmp");
        await delete.GetByRole(AriaRole.Button, new() { Name = "Delete team tmp" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("Type the team's name, tmp, to delete it.");
        await page.GetByTestId("delete-team-tmp").GetByLabel("Type the team's name to delete it").FillAsync("tmp");
        await page.GetByTestId("delete-team-tmp").GetByRole(AriaRole.Button, new() { Name = "Delete team tmp" }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync("Team 'tmp' deleted.");
        await Expect(page.GetByTestId("team-tmp")).ToHaveCountAsync(0);
        await CloseAsync(page);
    }

    [Fact]
    public async Task AnOrgAdmin_CannotSeeAnotherOrganization()
    {
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(_gw, keys);

        // The operator creates globex from the overview; its admin's key is shown once.
        var root = await SignInAsync(fixture.Browser, _gw, _gw.RootKey);
        await root.GetByLabel("Name", new() { Exact = true }).FillAsync("globex");
        await root.GetByLabel("First admin's username").FillAsync("hank");
        await root.GetByLabel("First admin's email").FillAsync("hank@globex.example");
        await root.GetByRole(AriaRole.Button, new() { Name = "Create organization" }).ClickAsync();
        await Expect(Banner(root)).ToContainTextAsync("Organization 'globex' created");
        var hankKey = await root.GetByTestId("new-key-value").InputValueAsync();
        await ShotAsync(root, "08-operator-new-organization");

        var hank = await SignInAsync(fixture.Browser, _gw, hankKey);
        await Expect(hank.GetByTestId("signed-in-as")).ToHaveTextAsync("hank");
        await Expect(hank.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("globex");
        await Expect(hank.GetByRole(AriaRole.Button, new() { Name = "Create organization" })).ToHaveCountAsync(0);
        await Expect(hank.GetByTestId("count-teams")).ToHaveTextAsync("0");
        await GoAsync(hank, "Projects", "Projects");
        await Expect(hank.Locator("tr[data-testid^=project-]")).ToHaveCountAsync(0);
        Assert.Equal(404, (await hank.GotoAsync("/projects/ml/team-p"))!.Status);
        Assert.Equal(404, (await hank.GotoAsync("/service-accounts/ci%40ml"))!.Status);
        await hank.GotoAsync("/keys?owner=bob");
        await Expect(Banner(hank)).ToContainTextAsync("principal_not_found");
        await hank.GotoAsync("/audit");
        await Expect(hank.Locator("[data-testid=audit-row]").Filter(new() { HasText = "org.create" })).ToHaveCountAsync(1);
        Assert.DoesNotContain("team.create", await hank.ContentAsync());
        await CloseAsync(root);
        await CloseAsync(hank);
    }

    [Fact]
    public async Task DeactivatingAUser_EndsTheirSessionForGood_AndTheirKeysUntilReactivated()
    {
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(_gw, keys);
        var bob = await SignInAsync(fixture.Browser, _gw, keys["bob"]);
        var bobsCookie = (await bob.Context.CookiesAsync()).Single(c => c.Name == "gw_console");
        Assert.Equal(200, (await WriteRunAsync(keys["bob"])).Status);

        var erin = await SignInAsync(fixture.Browser, _gw, keys["erin"]);
        await GoAsync(erin, "Users", "Users");
        await erin.GetByRole(AriaRole.Button, new() { Name = "Deactivate bob" }).ClickAsync();
        await Expect(erin.GetByTestId("user-bob")).ToContainTextAsync("deactivated");
        await ShotAsync(erin, "09-users");
        Assert.Equal(401, (await WriteRunAsync(keys["bob"])).Status);
        await bob.ReloadAsync();
        await Expect(bob).ToHaveURLAsync(new Regex("/sign-in$"));

        // Herself: refused with the API's own code.
        await erin.GetByRole(AriaRole.Button, new() { Name = "Deactivate erin" }).ClickAsync();
        await Expect(Banner(erin)).ToContainTextAsync("cannot_deactivate_self");

        await erin.GetByRole(AriaRole.Button, new() { Name = "Reactivate bob" }).ClickAsync();
        await Expect(erin.GetByTestId("user-bob")).ToContainTextAsync("active");
        Assert.Equal(200, (await WriteRunAsync(keys["bob"])).Status);
        // His keys work again; the session he had does not come back: reactivation needs a new sign-in.
        var replay = await OpenAsync(fixture.Browser, _gw);
        await replay.Context.AddCookiesAsync([new Cookie { Name = bobsCookie.Name, Value = bobsCookie.Value, Url = _gw.AdminUrl.ToString() }]);
        await replay.GotoAsync("/keys");
        await Expect(replay).ToHaveURLAsync(new Regex("/sign-in$"));
        await CloseAsync(replay);

        // A service account: deactivation revokes its keys; reactivation lets it have new ones.
        await erin.GotoAsync("/service-accounts/ci%40ml");
        await erin.GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(erin.GetByTestId("sa-status")).ToHaveTextAsync("deactivated");
        Assert.Equal(401, (await WriteRunAsync(keys["ci@ml"])).Status);
        await Expect(erin.GetByRole(AriaRole.Button, new() { Name = "Create key" })).ToHaveCountAsync(0);
        await erin.GetByRole(AriaRole.Button, new() { Name = "Reactivate" }).ClickAsync();
        await Expect(erin.GetByTestId("sa-status")).ToHaveTextAsync("active");
        await erin.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var fresh = await erin.GetByTestId("new-key-value").InputValueAsync();
        Assert.Equal(200, (await WriteRunAsync(fresh)).Status);
        Assert.Equal(401, (await WriteRunAsync(keys["ci@ml"])).Status);
        await CloseAsync(bob);
        await CloseAsync(erin);
    }

    [Fact]
    public async Task AnIssuer_IsRegistered_ItsKeysShown_AndAFederatedAccountUsesIt()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var page = await SignInAsync(fixture.Browser, _gw, _gw.RootKey);
        await OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "ml" }));

        await GoAsync(page, "Issuers", "Trusted issuers");
        await page.GetByLabel("Issuer URL").FillAsync(issuer.Url);
        await page.GetByLabel("Audience (optional)").FillAsync("acme");
        await page.GetByRole(AriaRole.Button, new() { Name = "Trust issuer" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("is trusted");
        var row = page.GetByTestId("issuer-" + issuer.Url);
        await Expect(row).ToContainTextAsync("api");
        // The keys are fetched in the background: the page shows them once they are.
        for (var attempt = 0; attempt < 50 && !Regex.IsMatch(await row.InnerTextAsync(), @"\d+ keys"); attempt++)
        {
            await Task.Delay(100);
            await page.GotoAsync("/issuers");
        }

        await Expect(row).ToContainTextAsync(new Regex(@"[1-9]\d* keys fetched"));
        await ShotAsync(page, "10-issuers");

        // The same issuer again: the API's conflict, readable.
        await page.GetByLabel("Issuer URL").FillAsync(issuer.Url);
        await page.GetByRole(AriaRole.Button, new() { Name = "Trust issuer" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("issuer_exists");

        // An external service account with issuer and subject (the fields appear when chosen).
        await GoAsync(page, "Service accounts", "Service accounts");
        await Expect(page.GetByLabel("Subject")).ToBeHiddenAsync();
        await page.GetByLabel("External (federated identity)").CheckAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("gha");
        await page.GetByLabel("Issuer URL").FillAsync(issuer.Url);
        await page.GetByLabel("Subject").FillAsync("repo:acme/ml:ref:refs/heads/main");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create service account" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/service-accounts/gha%40ml"));
        await Expect(page.GetByText("hold no API keys")).ToBeVisibleAsync();
        await ShotAsync(page, "11-federated-service-account");
        await CloseAsync(page);
    }

    [Fact]
    public async Task TheAuditPage_ShowsConsoleActions_FiltersThem_AndPagesWithoutLosingOne()
    {
        var page = await SignInAsync(fixture.Browser, _gw, _gw.RootKey);
        await GoAsync(page, "Teams", "Teams");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("ml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create team" }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync("Team 'ml' created.");
        // 70 more events through the API, many within the same millisecond.
        await Task.WhenAll(Enumerable.Range(0, 70).Select(i => OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "t" + i }))));

        await GoAsync(page, "Audit log", "Audit log");
        await page.GetByLabel("Action").FillAsync("team.create");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("action=team.create"));
        var seen = new List<string>();
        for (var pages = 0; pages < 5; pages++)
        {
            var rows = page.Locator("[data-testid=audit-row]");
            await Expect(rows.First).ToBeVisibleAsync();
            Assert.InRange(await rows.CountAsync(), 1, 50);
            foreach (var row in await rows.AllAsync())
            {
                var cells = await row.Locator("td").AllInnerTextsAsync();
                Assert.Equal("team.create", cells[1]);
                seen.Add(cells[3] + "|" + cells[5]);
            }

            if (pages == 0)
            {
                await ShotAsync(page, "12-audit");
            }

            var older = page.GetByRole(AriaRole.Link, new() { Name = "Older events" });
            if (await older.CountAsync() == 0)
            {
                break;
            }

            await older.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("until="));
        }

        // Every one of the 71 exactly once; the console's own creation names its channel.
        Assert.Equal(71, seen.Count);
        Assert.Equal(71, seen.Distinct().Count());
        Assert.Contains("ml|console", seen);
        Assert.Contains("t5|api", seen);
        await CloseAsync(page);
    }
}
