using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Microsoft.Playwright;
using Xunit;
using static Gateway.Tests.OperatorConsole.ConsoleBrowser;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// Console sign-in at an organization's identity provider, in a real Chromium: the test issuer on
/// loopback runs the authorization code flow with PKCE, the gateway maps the person to a user of the
/// organization (never another's, never a new one unless configured) and starts a console session.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleOidcTests(BrowserFixture fixture) : IAsyncLifetime
{
    private TestIssuer _idp = null!;

    public async Task InitializeAsync()
    {
        _idp = await TestIssuer.StartAsync();
        _idp.ClientSecret = "console-client-secret";
    }

    public async Task DisposeAsync() => await _idp.DisposeAsync();

    private string[] Oidc(params string[] more) =>
    [
        "--Gateway:Console:Oidc:acme:Authority=" + _idp.Url, "--Gateway:Console:Oidc:acme:ClientId=" + _idp.ClientId,
        "--Gateway:Console:Oidc:acme:ClientSecret=" + _idp.ClientSecret, "--Gateway:Console:Oidc:acme:DisplayName=Acme SSO", .. more,
    ];

    private static async Task<IPage> SignInAtProviderAsync(IBrowser browser, TestGateway gw)
    {
        var page = await OpenAsync(browser, gw);
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Acme SSO" }).ClickAsync();
        return page;
    }

    [Fact]
    public async Task APersonSignsInAtTheProvider_AndActsAsTheUserWithTheirEmail_UntilTheUserIsDeactivated()
    {
        await using var org = await OrgGateway.StartAsync(Oidc());
        var gw = org.Gw;
        _idp.SignInAs = new TestIssuerUser("idp-alice-1", "alice@acme.example");

        var page = await SignInAtProviderAsync(fixture.Browser, gw);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("alice");
        await Expect(page).ToHaveURLAsync(new Regex("/$"));
        await ShotAsync(page, "oidc-01-signed-in");
        // The console acts as alice, with her rights: she administers ml but is no org admin.
        await GoAsync(page, "Teams", "Teams");
        await Expect(page.GetByTestId("team-ml")).ToBeVisibleAsync();

        // The flow the gateway asked for: the code, PKCE with S256, a nonce, the answer in the query (so SameSite=Lax cookies come with it).
        var asked = _idp.LastAuthorization!;
        Assert.Equal("code", asked["response_type"]);
        Assert.Equal("S256", asked["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(asked["code_challenge"]));
        Assert.False(string.IsNullOrEmpty(asked["nonce"]));
        Assert.True(string.IsNullOrEmpty(asked["response_mode"]) || asked["response_mode"] == "query"); // the code's default: the query, not a form post
        Assert.Equal(new Uri(gw.AdminUrl, "/console/oidc/acme/callback").ToString(), asked["redirect_uri"]);
        Assert.Equal(1, _idp.Redeemed);

        var audit = await gw.GetAsync("/admin/v1/audit?action=console.sign_in", gw.RootKey);
        var signIn = Assert.Single(audit.Json.EnumerateArray(), e => e.GetProperty("actor").GetString() == "alice");
        Assert.Contains("method=oidc", signIn.GetProperty("detail").GetString());
        Assert.Contains("subject=idp-alice-1", signIn.GetProperty("detail").GetString());

        Assert.DoesNotContain(_idp.ClientSecret!, gw.Logs.All, StringComparison.Ordinal);

        // Deactivated: the session ends at the next page, and the provider signs her in no more.
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/deactivate", gw.RootKey, new { }));
        await page.ReloadAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Acme SSO" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("oidc_user_deactivated");
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        await ShotAsync(page, "oidc-02-deactivated");
    }

    [Fact]
    public async Task AnUnknownOrUnverifiedEmail_IsRefusedWithAClearPage_AndNoUserIsCreated()
    {
        await using var org = await OrgGateway.StartAsync(Oidc());
        var gw = org.Gw;
        var before = (await gw.GetAsync("/admin/v1/orgs/acme/users", gw.RootKey)).Json.GetArrayLength();

        _idp.SignInAs = new TestIssuerUser("idp-nobody", "nobody@acme.example");
        var page = await SignInAtProviderAsync(fixture.Browser, gw);
        await Expect(Banner(page)).ToContainTextAsync("no user of this organization is you");
        await Expect(Banner(page)).ToContainTextAsync("oidc_user_not_found");
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        await ShotAsync(page, "oidc-03-unknown");

        // Alice's address, but the provider has not verified it: not alice.
        _idp.SignInAs = new TestIssuerUser("idp-mallory", "alice@acme.example", EmailVerified: false);
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Acme SSO" }).ClickAsync();
        await Expect(Banner(page)).ToContainTextAsync("oidc_email_unverified");
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);

        Assert.Equal(before, (await gw.GetAsync("/admin/v1/orgs/acme/users", gw.RootKey)).Json.GetArrayLength());
        var refused = await gw.GetAsync("/admin/v1/audit?action=console.sign_in_refused", gw.RootKey);
        Assert.Equal(2, refused.Json.GetArrayLength());
    }

    [Fact]
    public async Task WithCreateUsers_AnUnknownVerifiedEmail_BecomesAMemberWithNoTeams()
    {
        await using var org = await OrgGateway.StartAsync(Oidc("--Gateway:Console:Oidc:acme:CreateUsers=true", "--Gateway:Console:Oidc:acme:CreateUsersDomains:0=acme.example"));
        var gw = org.Gw;
        _idp.SignInAs = new TestIssuerUser("idp-newbie", "New.Bie@acme.example");

        var page = await SignInAtProviderAsync(fixture.Browser, gw);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("new-bie");
        var user = await gw.GetAsync("/admin/v1/users/new-bie", gw.RootKey);
        Assert.Equal(200, user.Status);
        Assert.Equal("member", user.Str("orgRole"));
        Assert.Equal("New.Bie@acme.example", user.Str("email"));
        var created = await gw.GetAsync("/admin/v1/audit?action=user.create", gw.RootKey);
        Assert.Contains(created.Json.EnumerateArray(), e => e.GetProperty("target").GetString() == "new-bie" && e.GetProperty("detail").GetString()!.Contains("method=oidc"));

        // The second sign-in finds the same user: nobody is created twice.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Acme SSO" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("new-bie");
        Assert.Single((await gw.GetAsync("/admin/v1/audit?action=user.create", gw.RootKey)).Json.EnumerateArray(), e => e.GetProperty("target").GetString() == "new-bie");
    }

    [Fact]
    public async Task UnderTls_TheFlowsCookiesAreSecureAndLax_AndTheSessionIsHostPrefixed()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca("console-oidc-ca");
        var (cert, key) = TestCertificates.WritePem(TestCertificates.Leaf(ca, "127.0.0.1"), dir.File("admin.pem"), dir.File("admin.key"));
        await using var gw = await TestGateway.StartAsync(Oidc("--Gateway:Admin:Urls=https://127.0.0.1:0",
            $"--Gateway:Admin:Certificate:Path={cert}", $"--Gateway:Admin:Certificate:KeyPath={key}"));
        var https = new UriBuilder(gw.AdminUrl) { Scheme = "https" }.Uri;
        _idp.SignInAs = new TestIssuerUser("idp-root", "root@localhost");

        using (var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = https })
        {
            var challenge = await client.GetAsync("/sign-in?handler=Oidc&org=acme");
            Assert.Equal(System.Net.HttpStatusCode.Redirect, challenge.StatusCode);
            Assert.StartsWith(_idp.Url + "/authorize?", challenge.Headers.Location!.ToString(), StringComparison.Ordinal);
            var cookies = challenge.Headers.GetValues("Set-Cookie").ToList();
            Assert.Equal(2, cookies.Count); // correlation and nonce
            Assert.All(cookies, c =>
            {
                Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase);
                Assert.Contains("; samesite=lax", c, StringComparison.OrdinalIgnoreCase);
                Assert.Contains("; httponly", c, StringComparison.OrdinalIgnoreCase);
                Assert.StartsWith("__Host-gw_console_oidc_", c, StringComparison.Ordinal); // host-only, path /: no sibling subdomain plants them
                Assert.Contains("; path=/;", c + ";", StringComparison.OrdinalIgnoreCase);
            });
        }

        await using var context = await fixture.Browser.NewContextAsync(new() { BaseURL = https.ToString().TrimEnd('/'), IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/sign-in");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Acme SSO" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("root");
        var session = Assert.Single(await context.CookiesAsync(), c => c.Name.Contains("gw_console", StringComparison.Ordinal) && !c.Name.EndsWith("_af", StringComparison.Ordinal));
        Assert.Equal("__Host-gw_console", session.Name);
        Assert.True(session.Secure);
    }

    [Fact]
    public async Task APIKeySignIn_StillWorks_BesideTheProvider()
    {
        await using var org = await OrgGateway.StartAsync(Oidc());
        var page = await SignInAsync(fixture.Browser, org.Gw, org.Keys["erin"]);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("erin");
    }
}
