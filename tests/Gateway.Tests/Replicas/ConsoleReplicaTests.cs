using System.Text.RegularExpressions;
using Gateway.Tests.OperatorConsole;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.Replicas;

/// <summary>
/// Console sessions across replicas: two gateway processes on one PostgreSQL database, one browser.
/// A session started on one replica is served by the other (it lives in the store, not in a process),
/// and a sign-out on either ends it on both.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConsoleReplicaTests(PostgresFixture pg, BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task ASessionStartedOnOneReplica_IsServedAndEndedOnTheOther()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 2);
        // Cookies belong to the host, not the port: one browser context reaches both replicas.
        await using var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(set[0].AdminUrl, "/sign-in").ToString());
        await page.GetByLabel("API key").FillAsync(set.RootKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("root");

        await page.GotoAsync(new Uri(set[1].AdminUrl, "/teams").ToString());
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("root");
        // A write from the second replica, with that replica's own form.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("ml");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create team" }).ClickAsync();
        await Expect(page.GetByTestId("banner")).ToHaveTextAsync("Team 'ml' created.");

        // Signed out on the second replica: the first one refuses the session too.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
        await page.GotoAsync(new Uri(set[0].AdminUrl, "/teams").ToString());
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
    }
}
