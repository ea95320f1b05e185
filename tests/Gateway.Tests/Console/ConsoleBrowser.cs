using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.OperatorConsole;

/// <summary>Signing in and moving around the console the way a person does: labels, buttons, the keyboard.</summary>
internal static class ConsoleBrowser
{
    public static async Task<IPage> OpenAsync(IBrowser browser, TestGateway gw, int width = 1280, int height = 720)
    {
        var context = await browser.NewContextAsync(new()
        {
            BaseURL = gw.AdminUrl.ToString().TrimEnd('/'),
            ViewportSize = new() { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    /// <summary>Signs in by keyboard only: the key field has focus on arrival, Enter submits.</summary>
    public static async Task<IPage> SignInAsync(IBrowser browser, TestGateway gw, string key, int width = 1280, int height = 720)
    {
        var page = await OpenAsync(browser, gw, width, height);
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
        await Expect(page.GetByLabel("API key")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(key);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
        return page;
    }

    public static async Task GoAsync(IPage page, string link, string heading)
    {
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync(heading);
    }

    public static Task ShotAsync(IPage page, string name)
        => page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    public static ILocator Banner(IPage page) => page.GetByTestId("banner");

    public static async Task CloseAsync(IPage page) => await page.Context.CloseAsync();
}
