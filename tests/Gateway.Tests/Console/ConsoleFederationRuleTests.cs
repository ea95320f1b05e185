using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Microsoft.Playwright;
using Xunit;
using static Gateway.Tests.OperatorConsole.ConsoleBrowser;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.OperatorConsole;

/// <summary>A federated account's claim rules on its console page, in a real Chromium: listed, added (the API's refusals shown), deleted.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleFederationRuleTests(BrowserFixture fixture) : IAsyncLifetime
{
    private TestIssuer _issuer = null!;
    private TestGateway _gw = null!;

    public async Task InitializeAsync()
    {
        _issuer = await TestIssuer.StartAsync();
        _gw = await TestGateway.StartAsync();
        await OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "ml" }));
        await OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/issuers", _gw.RootKey, new { issuer = _issuer.Url }));
        await OrgFixture.Ok(_gw.PostAsync("/admin/v1/teams/ml/service-accounts", _gw.RootKey,
            new { name = "gha", authentication = "federated", issuer = _issuer.Url, subject = "repo:acme/ml:ref:refs/heads/release" }));
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task Rules_AreAddedRefusedAndDeleted_OnTheAccountsPage()
    {
        var page = await SignInAsync(fixture.Browser, _gw, _gw.RootKey);
        await page.GotoAsync("/service-accounts/gha%40ml");
        await Expect(page.GetByTestId("no-rules")).ToBeVisibleAsync();

        // Every error at once, each by its field; the form keeps what was typed.
        await page.GetByLabel("Rule name").FillAsync("Main Branch");
        await page.GetByLabel("Subject pattern").FillAsync("repo:***");
        await page.GetByLabel("Conditions").FillAsync("iss=x");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(page.Locator(".field-error").Filter(new() { HasText = "'name'" })).ToBeVisibleAsync();
        await Expect(page.Locator(".field-error").Filter(new() { HasText = "'subject'" })).ToBeVisibleAsync();
        await Expect(page.Locator(".field-error").Filter(new() { HasText = "'iss'" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("Subject pattern")).ToHaveValueAsync("repo:***");

        // A claim on two lines: refused, not narrowed or widened to either line.
        await page.GetByLabel("Rule name").FillAsync("main");
        await page.GetByLabel("Subject pattern").FillAsync("repo:acme/*:ref:refs/heads/main");
        await page.GetByLabel("Conditions").FillAsync("environment=prod\nenvironment=*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(page.Locator(".field-error").Filter(new() { HasText = "'environment' is on two lines" })).ToBeVisibleAsync();
        Assert.Empty((await _gw.GetAsync("/admin/v1/service-accounts/gha@ml/federation-rules", _gw.RootKey)).Json.EnumerateArray());

        await page.GetByLabel("Conditions").FillAsync("repository_owner=acme\nenvironment=ci-*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync("Rule 'main' added.");
        var row = page.GetByTestId("rule-main");
        await Expect(row).ToContainTextAsync("repo:acme/*:ref:refs/heads/main");
        await Expect(row).ToContainTextAsync("repository_owner = acme");
        await ShotAsync(page, "12-federation-rules");

        // One that would also match the account's exact subject: the API's conflict, readable.
        await page.GetByLabel("Rule name").FillAsync("release");
        await page.GetByLabel("Subject pattern").FillAsync("repo:acme/ml:ref:refs/heads/*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add rule" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("federation_rule_overlap");

        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("Rule 'main' deleted");
        await Expect(page.GetByTestId("no-rules")).ToBeVisibleAsync();
        Assert.Empty((await _gw.GetAsync("/admin/v1/service-accounts/gha@ml/federation-rules", _gw.RootKey)).Json.EnumerateArray());
        await CloseAsync(page);
    }
}
