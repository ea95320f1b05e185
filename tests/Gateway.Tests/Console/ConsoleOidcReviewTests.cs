using System.Net;
using Gateway.OperatorConsole.Oidc;
using Gateway.Tests.Common;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// The identity provider sign-in under attack (an adversarial review): a provider that cannot be
/// reached, a callback carried to another browser or another organization, cookies a sibling site
/// could plant, a claim the provider does not verify, and the handler kept off every other path.
/// </summary>
public sealed class ConsoleOidcReviewTests : IAsyncLifetime
{
    private TestIssuer _idp = null!;

    public async Task InitializeAsync()
    {
        _idp = await TestIssuer.StartAsync();
        _idp.SignInAs = new TestIssuerUser("idp-root", "root@localhost");
    }

    public async Task DisposeAsync() => await _idp.DisposeAsync();

    private string[] Provider(string org, string? authority = null) =>
        ["--Gateway:Console:Oidc:" + org + ":Authority=" + (authority ?? _idp.Url), "--Gateway:Console:Oidc:" + org + ":ClientId=" + _idp.ClientId];

    private static HttpClient Manual(Uri baseAddress, CookieContainer jar) =>
        new(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false, ServerCertificateCustomValidationCallback = (_, _, _, _) => true })
        {
            BaseAddress = baseAddress,
        };

    /// <summary>Starts a sign-in at the provider and stops at the callback URL it sends the browser back to (code and state).</summary>
    private static async Task<Uri> CallbackOfAsync(HttpClient browser, string org)
    {
        var challenge = await browser.GetAsync("/sign-in?handler=Oidc&org=" + org);
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = await browser.GetAsync(challenge.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        return authorize.Headers.Location!;
    }

    [Fact]
    public async Task AProviderThatCannotBeReached_GivesTheSignInPage_NotAServerError()
    {
        // Nothing listens there: the discovery document cannot be fetched when the sign-in starts.
        await using var gw = await TestGateway.StartAsync(Provider("acme", "http://127.0.0.1:1/realms/acme"));
        using var browser = Manual(gw.AdminUrl, new CookieContainer());
        var answer = await browser.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/sign-in?oidc=" + OidcRefusals.ProviderUnavailable, answer.Headers.Location!.ToString());
        var page = await browser.GetAsync(answer.Headers.Location);
        Assert.Contains("cannot be reached", await page.Content.ReadAsStringAsync());
        Assert.Contains("failed: provider_unavailable", gw.Logs.All, StringComparison.Ordinal);

        // The provider down (503) rather than absent: the same page.
        _idp.Down = true;
        await using var other = await TestGateway.StartAsync(Provider("acme"));
        using var second = Manual(other.AdminUrl, new CookieContainer());
        var down = await second.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.Redirect, down.StatusCode);
        Assert.Equal("/sign-in?oidc=" + OidcRefusals.ProviderUnavailable, down.Headers.Location!.ToString());
    }

    [Fact]
    public async Task ACallbackCarriedToAnotherBrowser_SignsNobodyIn()
    {
        // Login CSRF: the attacker starts a sign-in as themselves and sends the victim the callback URL.
        await using var gw = await TestGateway.StartAsync(Provider("acme"));
        using var attacker = Manual(gw.AdminUrl, new CookieContainer());
        var callback = await CallbackOfAsync(attacker, "acme");

        var victimJar = new CookieContainer();
        using var victim = Manual(gw.AdminUrl, victimJar);
        var answer = await victim.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/sign-in?oidc=" + OidcRefusals.Failed, answer.Headers.Location!.ToString());
        Assert.DoesNotContain(victimJar.GetCookies(gw.AdminUrl), c => c.Name == "gw_console");
        Assert.Equal(0, _idp.Redeemed);
        // A refused callback logs neither its code nor its state, at any level.
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query);
        Assert.DoesNotContain(query["code"].ToString(), gw.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(query["state"].ToString(), gw.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVictimSentToTheAttackersAuthorizationUrl_FinishesNobodysFlow()
    {
        // The attacker starts a sign-in and sends the victim the provider's URL (the attacker's state in it):
        // the victim signs in at the provider, but back at the gateway their browser holds no correlation cookie.
        await using var gw = await TestGateway.StartAsync(Provider("acme"));
        var attackerJar = new CookieContainer();
        using var attacker = Manual(gw.AdminUrl, attackerJar);
        var challenge = await attacker.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);

        var victimJar = new CookieContainer();
        using var victim = Manual(gw.AdminUrl, victimJar);
        var authorize = await victim.GetAsync(challenge.Headers.Location);
        var answer = await victim.GetAsync(authorize.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/sign-in?oidc=" + OidcRefusals.Failed, answer.Headers.Location!.ToString());
        Assert.DoesNotContain(victimJar.GetCookies(gw.AdminUrl), c => c.Name == "gw_console");
        Assert.DoesNotContain(attackerJar.GetCookies(gw.AdminUrl), c => c.Name == "gw_console");
        Assert.Equal(0, _idp.Redeemed);
    }

    [Fact]
    public async Task OneOrganizationsCallback_CarriedToAnothersCallback_IsRefused_EvenWithItsCookies()
    {
        // Both organizations trust the same provider and client: only the state's scheme tells them apart.
        await using var gw = await TestGateway.StartAsync([.. Provider("acme"), .. Provider("beta")]);
        await Functional.OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "beta", admin = new { username = "bea", email = "root@beta.example" } }));
        var jar = new CookieContainer();
        using var browser = Manual(gw.AdminUrl, jar);
        var callback = await CallbackOfAsync(browser, "acme");
        Assert.StartsWith("/console/oidc/acme/callback", callback.PathAndQuery, StringComparison.Ordinal);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/console/oidc/beta/callback" + callback.Query);
        request.Headers.Add("Cookie", string.Join("; ", jar.GetCookies(callback).Select(c => c.Name + "=" + c.Value)));
        using var plain = Manual(gw.AdminUrl, new CookieContainer());
        var answer = await plain.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/sign-in?oidc=" + OidcRefusals.Failed, answer.Headers.Location!.ToString());
        Assert.Equal(0, _idp.Redeemed);

        // The callback still works where it belongs.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(callback)).StatusCode);
        Assert.Equal(1, _idp.Redeemed);
    }

    [Fact]
    public async Task UnderTls_TheCorrelationAndNonceCookies_AreHostPrefixed_SoASiblingSiteCannotPlantThem()
    {
        using var dir = new TempDirectory();
        var ca = TestCertificates.Ca("oidc-ca");
        var (cert, key) = TestCertificates.WritePem(TestCertificates.Leaf(ca, "127.0.0.1"), dir.File("admin.pem"), dir.File("admin.key"));
        await using var gw = await TestGateway.StartAsync([.. Provider("acme"), "--Gateway:Admin:Urls=https://127.0.0.1:0",
            $"--Gateway:Admin:Certificate:Path={cert}", $"--Gateway:Admin:Certificate:KeyPath={key}"]);
        var https = new UriBuilder(gw.AdminUrl) { Scheme = "https" }.Uri;
        var jar = new CookieContainer();
        using var browser = Manual(https, jar);
        var challenge = await browser.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var set = challenge.Headers.GetValues("Set-Cookie").ToList();
        Assert.Equal(2, set.Count);
        Assert.All(set, c =>
        {
            Assert.StartsWith("__Host-gw_console_oidc_", c, StringComparison.Ordinal);
            Assert.Contains("; path=/;", c + ";", StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; secure", c, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; httponly", c, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("; samesite=lax", c, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("domain=", c, StringComparison.OrdinalIgnoreCase);
        });

        // And the flow completes with them.
        var authorize = await browser.GetAsync(challenge.Headers.Location);
        var done = await browser.GetAsync(authorize.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Contains(jar.GetCookies(https), c => c.Name == "__Host-gw_console");
    }

    [Fact]
    public void AnEmailClaimOtherThanEmail_CannotMapByEmail_ForEmailVerifiedVouchesForTheEmailClaimOnly()
    {
        var errors = new List<string>();
        ConsoleOidcOptionsValidator.Validate(new Dictionary<string, ConsoleOidcOptions>
        {
            ["acme"] = new() { Authority = "https://idp.example.com", ClientId = "c", EmailClaim = "preferred_username" },
            ["beta"] = new() { Authority = "https://idp.example.com", ClientId = "c", EmailClaim = "upn", MapBy = "sub", Subjects = { ["s"] = "bea" } },
        }, errors);
        var error = Assert.Single(errors);
        Assert.StartsWith("Gateway:Console:Oidc:acme:EmailClaim 'preferred_username'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ASubjectTable_MayNotBeKeyedOnAClaimPeopleChangeOrReuse()
    {
        var errors = new List<string>();
        ConsoleOidcOptionsValidator.Validate(new Dictionary<string, ConsoleOidcOptions>
        {
            ["acme"] = new() { Authority = "https://idp.example.com", ClientId = "c", MapBy = "sub", SubjectClaim = "preferred_username", Subjects = { ["alice"] = "alice" } },
            ["beta"] = new() { Authority = "https://idp.example.com", ClientId = "c", MapBy = "sub", SubjectClaim = "oid", Subjects = { ["0000-1"] = "bea" } },
        }, errors);
        var error = Assert.Single(errors);
        Assert.StartsWith("Gateway:Console:Oidc:acme:SubjectClaim 'preferred_username'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnHttpsAuthority_OnLoopbackToo_HasItsDocumentAndKeysFetchedOverHttpsOnly()
    {
        await using var gw = await TestGateway.StartAsync([.. Provider("acme", "https://127.0.0.1:1/realms/acme"), .. Provider("beta")]);
        var monitor = gw.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>();
        Assert.True(monitor.Get(ConsoleOidcSetup.Scheme("acme")).RequireHttpsMetadata);
        Assert.False(monitor.Get(ConsoleOidcSetup.Scheme("beta")).RequireHttpsMetadata); // http on loopback: the tests' provider
    }

    [Fact]
    public void AnHttpsProvidersDocument_MayNotNameHttpEndpoints_NotEvenOnLoopback()
    {
        var https = new Uri("https://idp.example.com/realms/acme");
        Assert.True(ConsoleOidcSetup.IsAllowedEndpoint("https://idp.example.com/token", https));
        Assert.False(ConsoleOidcSetup.IsAllowedEndpoint("http://127.0.0.1:5081/token", https));
        Assert.False(ConsoleOidcSetup.IsAllowedEndpoint("http://localhost/token", https));
        Assert.False(ConsoleOidcSetup.IsAllowedEndpoint("http://idp.example.com/token", https));
        Assert.False(ConsoleOidcSetup.IsAllowedEndpoint("/token", https));
        var loopback = new Uri("http://127.0.0.1:8080/realms/acme");
        Assert.True(ConsoleOidcSetup.IsAllowedEndpoint("http://127.0.0.1:8080/token", loopback));
        Assert.False(ConsoleOidcSetup.IsAllowedEndpoint("http://idp.example.com/token", loopback));
    }

    [Fact]
    public async Task TheProvidersHandler_RunsOnItsCallbackOnly_NotOnTheProxyListenerNorOnItsOtherPaths()
    {
        // With ASP.NET's authentication middleware in the pipeline, the handler would answer these itself.
        await using var gw = await TestGateway.StartAsync(Provider("acme"));
        using var proxy = Manual(gw.ProxyUrl, new CookieContainer());
        var onProxy = await proxy.GetAsync("/console/oidc/acme/callback?code=x&state=y");
        Assert.Equal(HttpStatusCode.NotFound, onProxy.StatusCode);
        using var admin = Manual(gw.AdminUrl, new CookieContainer());
        foreach (var path in new[] { "/signout-callback-oidc?state=x", "/signout-oidc", "/signin-oidc?code=x&state=y" })
        {
            var answer = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        }
    }
}
