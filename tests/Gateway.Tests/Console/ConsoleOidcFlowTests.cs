using System.Net;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.OperatorConsole.Oidc;
using Gateway.Tests.Common;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// The identity provider sign-in over plain HTTP (a cookie jar, redirects followed): what a browser
/// cannot be made to do (a tampered PKCE exchange, a forged callback), and the configuration's checks.
/// </summary>
public sealed class ConsoleOidcFlowTests : IAsyncLifetime
{
    private TestIssuer _idp = null!;
    private TestGateway _gw = null!;

    public async Task InitializeAsync()
    {
        _idp = await TestIssuer.StartAsync();
        _idp.SignInAs = new TestIssuerUser("idp-root", "root@localhost");
        _gw = await TestGateway.StartAsync(
            "--Gateway:Console:Oidc:acme:Authority=" + _idp.Url, "--Gateway:Console:Oidc:acme:ClientId=" + _idp.ClientId);
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _idp.DisposeAsync();
    }

    private (HttpClient Client, CookieContainer Jar) Browser()
    {
        var jar = new CookieContainer();
        var client = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = true }) { BaseAddress = _gw.AdminUrl };
        return (client, jar);
    }

    private bool HasSession(CookieContainer jar) => jar.GetCookies(_gw.AdminUrl).Any(c => c.Name == "gw_console");

    [Fact]
    public async Task APublicClient_SignsIn_WithPkce()
    {
        var (client, jar) = Browser();
        using var _ = client;
        var answer = await client.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("http-equiv=\"refresh\"", await answer.Content.ReadAsStringAsync());
        Assert.True(HasSession(jar));
        var home = await client.GetStringAsync("/");
        Assert.Contains("data-testid=\"signed-in-as\">root<", home);
        Assert.Empty(_idp.TokenRefusals);
        // Neither the code nor the state reaches the log, at any level; the sign-in does.
        Assert.Contains("Console sign-in through the identity provider of acme: root", _gw.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_idp.LastCode!, _gw.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_idp.LastAuthorization!["state"].ToString(), _gw.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVerifierThatDoesNotMatchTheChallenge_IsRefusedByTheProvider_AndNoSessionStarts()
    {
        _idp.TamperChallenge = true;
        var (client, jar) = Browser();
        using var _ = client;
        var answer = await client.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        Assert.EndsWith("/sign-in?oidc=oidc_failed", answer.RequestMessage!.RequestUri!.ToString());
        Assert.Contains("did not complete", await answer.Content.ReadAsStringAsync());
        Assert.Equal("invalid_grant: pkce", Assert.Single(_idp.TokenRefusals));
        Assert.False(HasSession(jar));
        Assert.Equal(0, _idp.Redeemed);
    }

    [Fact]
    public async Task AForgedOrReplayedCallback_IsRefused_WithAPageNotAnError()
    {
        var (client, jar) = Browser();
        using var _ = client;
        // No correlation cookie, an unreadable state: the handler refuses before any code is redeemed.
        var forged = await client.GetAsync("/console/oidc/acme/callback?code=abc&state=xyz");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        Assert.EndsWith("/sign-in?oidc=oidc_failed", forged.RequestMessage!.RequestUri!.ToString());

        // A real callback, replayed: its correlation cookie is spent, and its code too.
        using var manual = new HttpClient(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = _gw.AdminUrl };
        var challenge = await manual.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = await manual.GetAsync(challenge.Headers.Location);
        var callback = authorize.Headers.Location!;
        Assert.Equal(HttpStatusCode.OK, (await manual.GetAsync(callback)).StatusCode);
        var replay = await manual.GetAsync(callback);
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.Equal("/sign-in?oidc=oidc_failed", replay.Headers.Location!.ToString());
        Assert.Equal(1, _idp.Redeemed);

        // The sign-in page shows only the messages it knows.
        var odd = await client.GetAsync("/sign-in?oidc=%3Cscript%3E");
        Assert.Equal(HttpStatusCode.OK, odd.StatusCode);
        Assert.DoesNotContain("<script>", await odd.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnIdTokenFromAnotherIssuer_OrATokenEndpointOverHttp_IsRefused()
    {
        // Discovery and token agree with each other, but not with the configured authority.
        _idp.DiscoveryIssuer = _idp.IdTokenIssuer = "http://127.0.0.1:1/elsewhere";
        var (client, jar) = Browser();
        using (client)
        {
            var answer = await client.GetAsync("/sign-in?handler=Oidc&org=acme");
            Assert.EndsWith("/sign-in?oidc=oidc_failed", answer.RequestMessage!.RequestUri!.ToString());
            Assert.False(HasSession(jar));
            Assert.Contains("failed: issuer_not_authority", _gw.Logs.All, StringComparison.Ordinal);
        }

        // A token endpoint over http on a host that is not loopback: the code and verifier are not sent there.
        _idp.DiscoveryIssuer = _idp.IdTokenIssuer = null;
        _idp.TokenEndpoint = "http://idp.invalid/token";
        await using var fresh = await TestGateway.StartAsync(
            "--Gateway:Console:Oidc:acme:Authority=" + _idp.Url, "--Gateway:Console:Oidc:acme:ClientId=" + _idp.ClientId);
        using var other = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = fresh.AdminUrl };
        var refused = await other.GetAsync("/sign-in?handler=Oidc&org=acme");
        Assert.EndsWith("/sign-in?oidc=oidc_failed", refused.RequestMessage!.RequestUri!.ToString());
        Assert.Contains("failed: token_endpoint_not_https", fresh.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLoneProvider_IsNobodysDefaultScheme()
    {
        var schemes = _gw.Services.GetRequiredService<Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider>();
        Assert.NotNull(await schemes.GetSchemeAsync(ConsoleOidcSetup.Scheme("acme")));
        Assert.Null(await schemes.GetDefaultAuthenticateSchemeAsync());
        Assert.Null(await schemes.GetDefaultChallengeSchemeAsync());
    }

    [Fact]
    public async Task AnOrganizationWithoutAProvider_GetsAPage()
    {
        var (client, _) = Browser();
        using var __ = client;
        var answer = await client.GetAsync("/sign-in?handler=Oidc&org=beta");
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Contains("oidc_provider_not_found", await answer.Content.ReadAsStringAsync());
    }
}

/// <summary>One provider per organization: each signs in people of its own organization only, by email or by its subject table.</summary>
public sealed class ConsoleOidcOrganizationsTests
{
    internal static async Task<string> SignInAsync(TestGateway gw, string org)
    {
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = gw.AdminUrl };
        var answer = await client.GetAsync("/sign-in?handler=Oidc&org=" + org);
        if (answer.StatusCode != HttpStatusCode.OK)
        {
            return answer.RequestMessage!.RequestUri!.Query;
        }

        var home = await client.GetStringAsync("/");
        var at = home.IndexOf("data-testid=\"signed-in-as\">", StringComparison.Ordinal);
        return at < 0 ? "no session" : home[(at + 27)..home.IndexOf('<', at)];
    }

    [Fact]
    public async Task EachProvider_MapsToItsOwnOrganization_AndNeverToAnother()
    {
        await using var idp = await TestIssuer.StartAsync();
        await using var gw = await TestGateway.StartAsync(
            "--Gateway:Console:Oidc:acme:Authority=" + idp.Url, "--Gateway:Console:Oidc:acme:ClientId=" + idp.ClientId,
            "--Gateway:Console:Oidc:beta:Authority=" + idp.Url, "--Gateway:Console:Oidc:beta:ClientId=" + idp.ClientId,
            "--Gateway:Console:Oidc:beta:MapBy=sub", "--Gateway:Console:Oidc:beta:Subjects:idp-bea=bea", "--Gateway:Console:Oidc:beta:Subjects:idp-root=root");

        // beta's provider, before beta exists.
        idp.SignInAs = new TestIssuerUser("idp-bea", "bea@beta.example");
        Assert.Equal("?oidc=oidc_org_not_found", await SignInAsync(gw, "beta"));
        await Functional.OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "beta", admin = new { username = "bea", email = "bea@beta.example" } }));
        Assert.Equal("bea", await SignInAsync(gw, "beta"));

        // beta maps by subject: an email counts for nothing there, and its table naming acme's root maps to nobody.
        idp.SignInAs = new TestIssuerUser("idp-someone", "bea@beta.example");
        Assert.Equal("?oidc=oidc_user_not_found", await SignInAsync(gw, "beta"));
        idp.SignInAs = new TestIssuerUser("idp-root", "root@localhost");
        Assert.Equal("?oidc=oidc_user_not_found", await SignInAsync(gw, "beta"));
        Assert.Equal("root", await SignInAsync(gw, "acme"));

        // acme maps by email: beta's admin is nobody in acme.
        idp.SignInAs = new TestIssuerUser("idp-bea", "bea@beta.example");
        Assert.Equal("?oidc=oidc_user_not_found", await SignInAsync(gw, "acme"));
    }
}

/// <summary>Email matching and the names of users created at first sign-in.</summary>
public sealed class ConsoleOidcEmailTests
{
    [Fact]
    public async Task AnEmailMatchesButForCase_AndACreatedUserGetsAFreeName()
    {
        await using var idp = await TestIssuer.StartAsync();
        await using var org = await OrgGateway.StartAsync(
            "--Gateway:Console:Oidc:acme:Authority=" + idp.Url, "--Gateway:Console:Oidc:acme:ClientId=" + idp.ClientId, "--Gateway:Console:Oidc:acme:CreateUsers=true",
            "--Gateway:Console:Oidc:acme:CreateUsersDomains:0=acme.example", "--Gateway:Console:Oidc:acme:CreateUsersDomains:1=Elsewhere.Example");
        var gw = org.Gw;

        idp.SignInAs = new TestIssuerUser("idp-alice", "ALICE@Acme.Example");
        Assert.Equal("alice", await ConsoleOidcOrganizationsTests.SignInAsync(gw, "acme"));

        // alice is taken (by a user with another email): the new user is alice-2, with the provider's email.
        idp.SignInAs = new TestIssuerUser("idp-alice-elsewhere", "alice@elsewhere.example");
        Assert.Equal("alice-2", await ConsoleOidcOrganizationsTests.SignInAsync(gw, "acme"));
        Assert.Equal("alice@elsewhere.example", (await gw.GetAsync("/admin/v1/users/alice-2", gw.RootKey)).Str("email"));
        Assert.Equal("alice-2", await ConsoleOidcOrganizationsTests.SignInAsync(gw, "acme"));

        // No claim to map on: refused, nothing created.
        idp.SignInAs = new TestIssuerUser("idp-anon", null);
        Assert.Equal("?oidc=oidc_claim_missing", await ConsoleOidcOrganizationsTests.SignInAsync(gw, "acme"));

        // A verified email of a domain the organization did not list: nobody is created for it.
        idp.SignInAs = new TestIssuerUser("idp-stranger", "stranger@gmail.example");
        Assert.Equal("?oidc=oidc_user_not_found", await ConsoleOidcOrganizationsTests.SignInAsync(gw, "acme"));
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/users/stranger", gw.RootKey)).Status);
    }
}

public sealed class ConsoleOidcConfigurationTests
{
    [Fact]
    public void EveryErrorIsReportedAtOnce()
    {
        var errors = new List<string>();
        ConsoleOidcOptionsValidator.Validate(new Dictionary<string, ConsoleOidcOptions>
        {
            ["Acme"] = new() { Authority = "http://idp.example.com", ClientId = "c" },
            ["beta"] = new() { MapBy = "name", CreateUsers = true, ClientSecret = "s", ClientSecretFile = "/nonexistent" },
            ["gamma"] = new() { Authority = "https://idp.example.com/?x=1", ClientId = "c", MapBy = "sub", Scopes = ["email"] },
            ["delta"] = new() { Authority = "http://127.0.0.1:8080/realms/d", ClientId = "c", ClientSecretFile = "/nonexistent/secret" },
        }, errors);

        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:Acme: 'Acme' is not an organization name", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:Acme:Authority 'http://idp.example.com' is http", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:beta:Authority is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:beta:ClientId is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:beta: set ClientSecret or ClientSecretFile, not both", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:beta:MapBy 'name'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:beta:CreateUsers needs MapBy 'email'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:beta:CreateUsers needs CreateUsersDomains", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:gamma:Authority", StringComparison.Ordinal) && e.Contains("without query"));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:gamma:Subjects is empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:gamma:Scopes must include 'openid'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Gateway:Console:Oidc:delta:ClientSecretFile '/nonexistent/secret' cannot be read", StringComparison.Ordinal));
        Assert.Equal(12, errors.Count);
    }

    [Fact]
    public void AClientSecretWrittenInGatewayJson_RefusesStartup_WithoutTheSecret()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("gateway.json"), """
            { "Gateway": { "Console": { "Oidc": { "acme": { "Authority": "https://idp.example.com", "ClientId": "c", "ClientSecret": "hunter2" } } } } }
            """);
        var refused = Assert.Throws<GatewayStartupException>(() => GatewayApp.Build(
            ["--config", dir.File("gateway.json"), "--Gateway:Store:Path=" + dir.File("gateway.db"), "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0"]));
        Assert.Contains(refused.Errors, e => e.StartsWith("Gateway:Console:Oidc:acme:ClientSecret is written in gateway.json", StringComparison.Ordinal));
        Assert.DoesNotContain(refused.Errors, e => e.Contains("hunter2"));
    }
}
