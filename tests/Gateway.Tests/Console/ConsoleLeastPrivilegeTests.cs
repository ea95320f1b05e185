using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Microsoft.Playwright;
using Xunit;
using static Gateway.Tests.OperatorConsole.ConsoleBrowser;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// Least privilege in the console, in a real browser: a restricted key made and changed from the keys
/// page, its requests per hour as a chart (inline SVG, no script), a refusal explained from its request
/// id on "Why refused?", a read-only sign-in that changes nothing and a project-limited key that opens
/// no console at all.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleLeastPrivilegeTests(BrowserFixture fixture)
{
    [Fact]
    public async Task RestrictedKeys_Usage_AndExplain_FromTheConsole()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        var page = await SignInAsync(fixture.Browser, gw, keys["erin"]);
        await GoAsync(page, "API keys", "API keys");

        // A read-only key for ci@ml limited to one project.
        var create = page.Locator("form", new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = "Create new API key" }) });
        await create.GetByLabel("Owner (a user, or name@scope)").FillAsync("ci@ml");
        await create.GetByLabel("Key name").FillAsync("eval");
        await create.GetByLabel("Access").SelectOptionAsync("read");
        await create.GetByLabel("Only these projects (entity/project or entity/*; empty: all the owner's)").FillAsync("ml/team-p");
        await create.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var key = await page.GetByTestId("new-key-value").InputValueAsync();
        var keyId = key.Split('_')[1];
        await Expect(page.GetByTestId("restrictions-" + keyId)).ToContainTextAsync("read only");
        await Expect(page.GetByTestId("restrictions-" + keyId)).ToContainTextAsync("projects: ml/team-p");

        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x", key)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/y", key)).Status);
        var refused = await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", key);
        Assert.Equal((403, "key_restricted"), (refused.Status, refused.Code));

        // Its usage: two allowed, one refused, drawn without script.
        await page.GetByRole(AriaRole.Link, new() { Name = "Usage of key " + keyId }).ClickAsync();
        var chart = page.GetByTestId("usage-chart");
        await Expect(chart.GetByTestId("usage-allowed")).ToHaveTextAsync("2");
        await Expect(chart.GetByTestId("usage-refused")).ToHaveTextAsync("1");
        await Expect(chart.Locator("svg rect.allowed")).ToHaveCountAsync(48);
        await ShotAsync(page, "20-key-usage");

        // Why was it refused? From its request id.
        await GoAsync(page, "Why refused?", "Why was this refused?");
        await page.GetByLabel("Request id").FillAsync(refused.Headers.GetValues("X-Request-Id").Single());
        await page.GetByRole(AriaRole.Button, new() { Name = "Explain" }).First.ClickAsync();
        await Expect(page.GetByTestId("explain-outcome")).ToHaveTextAsync("Refused: 403 key_restricted");
        await Expect(page.GetByTestId("explain-result")).ToContainTextAsync("ci@ml may write project ml/team-p");
        await Expect(page.GetByTestId("explain-step").Filter(new() { HasText = "key restriction" })).ToContainTextAsync("access");
        await ShotAsync(page, "21-explain");

        // Lifted from the key's own form: the same write goes through.
        await GoAsync(page, "API keys", "API keys");
        var restrict = page.GetByTestId("restrict-" + keyId);
        await restrict.Locator("summary").ClickAsync();
        await restrict.GetByLabel("Access").SelectOptionAsync("write");
        await restrict.GetByLabel("Only these projects (entity/project or entity/*; empty: all the owner's)").FillAsync("");
        await restrict.GetByRole(AriaRole.Button, new() { Name = "Save restrictions of key " + keyId }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync($"Key {keyId}'s restrictions saved.");
        await Expect(page.GetByTestId("restrictions-" + keyId)).ToContainTextAsync("none (the owner's rights)");
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", key)).Status);
        await CloseAsync(page);

        // A read-only key opens a console that reads and changes nothing; a project-limited one opens none.
        var readOnly = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/erin/keys", keys["erin"], new { name = "ro", access = "read" }))).Str("key");
        var viewer = await SignInAsync(fixture.Browser, gw, readOnly);
        await GoAsync(viewer, "API keys", "API keys");
        await Expect(viewer.GetByTestId("key-" + keyId)).ToBeVisibleAsync();
        var form = viewer.Locator("form", new() { Has = viewer.GetByRole(AriaRole.Heading, new() { Name = "Create new API key" }) });
        await form.GetByLabel("Key name").FillAsync("wider");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(Banner(viewer)).ToContainTextAsync("key_restricted");
        await Expect(viewer.GetByTestId("one-time-key")).ToHaveCountAsync(0);
        await CloseAsync(viewer);

        var limited = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/erin/keys", keys["erin"], new { name = "p", projects = new[] { "erin/*" } }))).Str("key");
        var refusedPage = await OpenAsync(fixture.Browser, gw);
        await refusedPage.GotoAsync("/sign-in");
        await refusedPage.GetByLabel("API key").FillAsync(limited);
        await refusedPage.Keyboard.PressAsync("Enter");
        await Expect(refusedPage.GetByText("key_restricted")).ToBeVisibleAsync();
        await Expect(refusedPage).ToHaveURLAsync(new Regex("/sign-in"));
        await CloseAsync(refusedPage);
    }
}
