using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Microsoft.Playwright;
using Xunit;
using static Gateway.Tests.OperatorConsole.ConsoleBrowser;
using static Microsoft.Playwright.Assertions;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// The console's web security in a real browser: the session cookie's flags and lifetime, no key kept
/// anywhere, sign-in failures counted with the proxy's own limits, anti-forgery on every form, the
/// content security policy, sign-out everywhere, and a narrow window.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleSecurityTests(BrowserFixture fixture)
{
    [Fact]
    public async Task TheSessionCookie_IsHttpOnlyStrictAndLimited_AndNeverHoldsTheKey()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url), "--Gateway:Console:SessionLifetime=00:30:00");
        var page = await SignInAsync(fixture.Browser, gw, gw.RootKey);
        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "gw_console");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.False(session.Secure); // plain http here; under TLS the cookie is __Host-gw_console and Secure
        // Measured on the browser's own clock, which keeps the cookie (Max-Age, counted from its receipt).
        // The wall clock on these machines is stepped by up to a minute either way between two readings
        // (31.05 and 29.3 minutes left have both been seen with Max-Age 30 minutes), so the bounds allow
        // for a step: what is asserted is the configured half hour, not the default eight hours.
        var browserNow = DateTimeOffset.FromUnixTimeMilliseconds((long)await page.EvaluateAsync<double>("Date.now()"));
        var lifetime = DateTimeOffset.FromUnixTimeSeconds((long)session.Expires) - browserNow;
        Assert.True(lifetime.TotalMinutes is > 25 and <= 33,
            $"{lifetime.TotalMinutes:F3} minutes left by the browser's clock ({(browserNow - DateTimeOffset.UtcNow).TotalSeconds:F1} s from the test's)");
        Assert.DoesNotContain(cookies, c => c.Value.Contains(gw.RootKey, StringComparison.Ordinal) || gw.RootKey.Contains(c.Value, StringComparison.Ordinal));
        Assert.DoesNotContain(gw.RootKey, await page.ContentAsync());
        Assert.Equal("", await page.EvaluateAsync<string>("document.cookie")); // nothing readable by script

        // The cookie is not a credential anywhere else: not on the admin API, not on the proxy.
        Assert.Equal(401, (await gw.GetAsync("/admin/v1/whoami", session.Value)).Status);
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/team-p/r1/file_stream", session.Value)).Status);
        Assert.Empty(echo.Received);

        // The sign-in is audited, naming the console as the channel.
        var audit = await gw.GetAsync("/admin/v1/audit?action=console.sign_in", gw.RootKey);
        Assert.Equal("console", Assert.Single(audit.Json.EnumerateArray()).GetProperty("channel").GetString());
        await CloseAsync(page);
    }

    [Fact]
    public async Task SignInFailures_AreCountedWithTheProxysLimits_AndAudited()
    {
        // The limits count per minute: a fake clock keeps all attempts in one window however slow the machine.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gw = await TestGateway.StartAsync(time, null, "--Gateway:Limits:FailedAuthenticationsPerAddress=3");
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Status); // a known key keeps working under the limit
        var page = await OpenAsync(fixture.Browser, gw);
        await page.GotoAsync("/sign-in");
        var wrongButWellFormed = TestKeys.SameIdOtherSecret(gw.RootKey);
        for (var i = 0; i < 3; i++)
        {
            await page.GetByLabel("API key").FillAsync(wrongButWellFormed);
            var response = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Url.EndsWith("/sign-in"));
            Assert.Equal(401, response.Status);
            await Expect(Banner(page)).ToContainTextAsync("invalid_credentials");
            await Expect(page.GetByLabel("API key")).ToHaveValueAsync(""); // never echoed back
        }

        // Over the limit: the console refuses with 429, and so does the proxy (the counters are shared).
        await page.GetByLabel("API key").FillAsync(wrongButWellFormed);
        var limited = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Url.EndsWith("/sign-in"));
        Assert.Equal(429, limited.Status);
        Assert.NotNull(await limited.HeaderValueAsync("retry-after"));
        await Expect(Banner(page)).ToContainTextAsync("too_many_failed_authentications");
        Assert.Equal(429, (await gw.GetAsync("/admin/v1/whoami", wrongButWellFormed)).Status);
        var failures = await gw.GetAsync("/admin/v1/audit?action=auth.failed", gw.RootKey);
        Assert.Contains(failures.Json.EnumerateArray(), e => e.GetProperty("detail").GetString()!.Contains("at=console", StringComparison.Ordinal));
        Assert.Contains("Console sign-in failed: key_unknown", gw.Logs.All);
        Assert.DoesNotContain(wrongButWellFormed, gw.Logs.All);
        Assert.DoesNotContain(gw.RootKey, gw.Logs.All);
        await CloseAsync(page);
    }

    [Fact]
    public async Task AFormPostedWithoutItsAntiforgeryToken_IsRefused_AndChangesNothing()
    {
        await using var gw = await TestGateway.StartAsync();
        var page = await SignInAsync(fixture.Browser, gw, gw.RootKey);
        // The browser's own cookies (session and anti-forgery cookie) but no token in the form: a forged POST.
        var forged = await page.APIRequest.PostAsync("/teams?handler=Create", new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            DataString = "name=forged",
        });
        Assert.Equal(400, forged.Status);
        var wrongToken = await page.APIRequest.PostAsync("/teams?handler=Create", new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            DataString = "name=forged&__gw_af=CfDJ8" + new string('A', 100),
        });
        Assert.Equal(400, wrongToken.Status);
        var signOut = await page.APIRequest.PostAsync("/sign-out");
        Assert.Equal(400, signOut.Status);
        Assert.Equal(404, (await gw.PostAsync("/admin/v1/teams/forged/projects", gw.RootKey, new { name = "p" })).Status);

        // The same form from the page itself carries its token and works.
        await GoAsync(page, "Teams", "Teams");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("real");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create team" }).ClickAsync();
        await Expect(Banner(page)).ToHaveTextAsync("Team 'real' created.");
        await CloseAsync(page);
    }

    [Fact]
    public async Task ARefreshAfterCreatingAKey_CreatesNothing_AndTheKeyIsShownOnlyOnce()
    {
        await using var gw = await TestGateway.StartAsync();
        var page = await SignInAsync(fixture.Browser, gw, gw.RootKey);
        await page.GotoAsync("/keys");
        await page.GetByLabel("Key name").FillAsync("once");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        // Post/Redirect/Get: the key is shown on the page the POST redirected to, a plain GET of /keys.
        await Expect(Banner(page)).ToHaveTextAsync("Key created.");
        await Expect(page).ToHaveURLAsync(new Regex("/keys$"));
        var shown = await page.GetByTestId("new-key-value").InputValueAsync();
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", shown)).Status);

        // A refresh repeats the GET: no second key, and the secret is not shown again.
        await page.ReloadAsync();
        await Expect(page.GetByTestId("one-time-key")).ToHaveCountAsync(0);
        var keys = await gw.GetAsync("/admin/v1/keys?owner=root", gw.RootKey);
        Assert.Single(keys.Json.EnumerateArray(), k => k.GetProperty("name").GetString() == "once");
        // Nothing of the secret rests in any cookie in clear.
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Value.Contains(shown[..12], StringComparison.Ordinal));
        await CloseAsync(page);
    }

    [Fact]
    public async Task EveryPage_ServesItsSecurityHeaders_AndNoInlineScript()
    {
        await using var gw = await TestGateway.StartAsync();
        var page = await SignInAsync(fixture.Browser, gw, gw.RootKey);
        // No page asks for anything that fails (the favicon was once a 404 in every browser console).
        var failed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                failed.Enqueue($"{r.Status} {r.Url}");
            }
        };
        page.RequestFailed += (_, r) => failed.Enqueue($"failed {r.Url}");
        foreach (var path in new[] { "/", "/teams", "/users", "/projects", "/service-accounts", "/keys", "/issuers", "/audit" })
        {
            var response = (await page.GotoAsync(path))!;
            Assert.Equal(200, response.Status);
            var headers = await response.AllHeadersAsync();
            Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"]);
            Assert.Contains("script-src 'self'", headers["content-security-policy"]);
            Assert.DoesNotContain("unsafe-inline", headers["content-security-policy"]);
            Assert.Equal("nosniff", headers["x-content-type-options"]);
            Assert.Contains("no-store", headers["cache-control"]);
            // Every script is a file of ours; no inline handlers or styles the policy would have to allow.
            Assert.Equal(0, await page.Locator("script:not([src])").CountAsync());
            Assert.Equal(0, await page.Locator("[style], [onclick], [onsubmit], [onchange]").CountAsync());
            // Every form field has a label.
            var unlabelled = await page.EvaluateAsync<int>(
                "Array.from(document.querySelectorAll('input:not([type=hidden]), select')).filter(e => !e.labels?.length && !e.getAttribute('aria-label')).length");
            Assert.Equal(0, unlabelled);
            Assert.DoesNotContain(gw.RootKey, await page.ContentAsync());
        }

        Assert.Empty(failed);
        var icon = await page.APIRequest.GetAsync("/favicon.ico");
        Assert.Equal(200, icon.Status);
        Assert.Equal("image/svg+xml", icon.Headers["content-type"]);

        // Not on the proxy listener: there "/" is not the console.
        using var http = new HttpClient();
        var proxied = await http.GetAsync(new Uri(gw.ProxyUrl, "/sign-in"));
        Assert.NotEqual(System.Net.HttpStatusCode.OK, proxied.StatusCode);
        await CloseAsync(page);
    }

    [Fact]
    public async Task SigningOut_EndsTheSessionEverywhere_AndDeletingItsKeyEndsItToo()
    {
        await using var gw = await TestGateway.StartAsync();
        var page = await SignInAsync(fixture.Browser, gw, gw.RootKey);
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "gw_console");

        // The same cookie in a second browser works (sessions live in the store, not in one process's memory)...
        var other = await OpenAsync(fixture.Browser, gw);
        await other.Context.AddCookiesAsync([new Cookie { Name = cookie.Name, Value = cookie.Value, Url = gw.AdminUrl.ToString() }]);
        await other.GotoAsync("/");
        await Expect(other.GetByTestId("signed-in-as")).ToHaveTextAsync("root");

        // ...until signed out: then it is refused in both.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/sign-in$"));
        await other.GotoAsync("/keys");
        await Expect(other).ToHaveURLAsync(new Regex("/sign-in$"));

        // A session ends with the key it was signed in with.
        var created = await gw.PostAsync("/admin/v1/users/root/keys", gw.RootKey, new { name = "short" });
        var second = created.Str("key");
        var viaSecond = await SignInAsync(fixture.Browser, gw, second);
        Assert.Equal(204, (await gw.DeleteAsync("/admin/v1/keys/" + created.Str("keyId"), gw.RootKey)).Status);
        await viaSecond.GotoAsync("/teams");
        await Expect(viaSecond).ToHaveURLAsync(new Regex("/sign-in$"));
        var actions = (await gw.GetAsync("/admin/v1/audit?action=console.sign_out", gw.RootKey)).Json.EnumerateArray().ToList();
        Assert.Single(actions);
        await CloseAsync(page);
        await CloseAsync(other);
        await CloseAsync(viaSecond);
    }

    [Fact]
    public async Task TheConsole_IsReadableInANarrowWindow()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        await OrgFixture.BuildAsync(gw, []);
        var page = await SignInAsync(fixture.Browser, gw, gw.RootKey, width: 390, height: 844);
        foreach (var (path, name) in new[] { ("/", "overview"), ("/service-accounts", "service-accounts"), ("/keys", "keys") })
        {
            await page.GotoAsync(path);
            // Wide tables scroll inside their own box; the page itself never scrolls sideways.
            var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"{path} overflows a 390px window by {overflow}px");
            await ShotAsync(page, "narrow-" + name);
        }

        await CloseAsync(page);
    }

    [Fact]
    public async Task ADisabledConsole_IsNotServed_AndTheAdminApiStillIs()
    {
        await using var gw = await TestGateway.StartAsync("--Gateway:Console:Enabled=false");
        using var http = new HttpClient { BaseAddress = gw.AdminUrl };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/sign-in")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/console/console.css")).StatusCode);
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Status);
    }

    [Fact]
    public async Task AnInvalidSessionLifetime_RefusesStartup_NamingIt()
    {
        var error = await Assert.ThrowsAsync<Gateway.Hosting.GatewayStartupException>(() => TestGateway.StartAsync("--Gateway:Console:SessionLifetime=00:01:00"));
        Assert.Contains("Gateway:Console:SessionLifetime", error.Message);
    }

    [Fact]
    public async Task UnderTls_TheCookieIsHostPrefixedAndSecure()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca("console-ca");
        var (cert, key) = TestCertificates.WritePem(TestCertificates.Leaf(ca, "127.0.0.1"), dir.File("admin.pem"), dir.File("admin.key"));
        await using var gw = await TestGateway.StartAsync("--Gateway:Admin:Urls=https://127.0.0.1:0",
            $"--Gateway:Admin:Certificate:Path={cert}", $"--Gateway:Admin:Certificate:KeyPath={key}");
        var https = new UriBuilder(gw.AdminUrl) { Scheme = "https" }.Uri;
        await using var context = await fixture.Browser.NewContextAsync(new() { BaseURL = https.ToString().TrimEnd('/'), IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/sign-in");
        await page.GetByLabel("API key").FillAsync(gw.RootKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("root");
        var cookies = await context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name.Contains("gw_console", StringComparison.Ordinal) && !c.Name.EndsWith("_af", StringComparison.Ordinal));
        Assert.Equal("__Host-gw_console", session.Name);
        Assert.True(session.Secure);
        Assert.True(session.HttpOnly);
        Assert.Equal("/", session.Path);
        var antiforgery = Assert.Single(cookies, c => c.Name == "__Host-gw_console_af");
        Assert.True(antiforgery.Secure);
        Assert.Equal("/", antiforgery.Path);
    }
}
