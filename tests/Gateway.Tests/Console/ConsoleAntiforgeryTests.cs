using System.Net;
using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// Anti-forgery tokens are bound to the session they were issued with: a token and cookie pair taken
/// from the anonymous sign-in page, or from another user's session, is refused beside a victim's
/// session cookie, and nothing changes. Plain HTTP with hand-kept cookies, as an attacker would send it.
/// </summary>
public sealed partial class ConsoleAntiforgeryTests : IAsyncLifetime
{
    private TestGateway _gw = null!;

    public async Task InitializeAsync()
    {
        _gw = await TestGateway.StartAsync();
        await Functional.OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "ml" }));
        await Functional.OrgFixture.Ok(_gw.PostAsync("/admin/v1/orgs/acme/users", _gw.RootKey, new { username = "erin", email = "erin@acme.example", orgRole = "admin" }));
    }

    public async Task DisposeAsync() => await _gw.DisposeAsync();

    /// <summary>One "browser": its cookies, kept by hand so a test can mix them.</summary>
    private sealed class Jar
    {
        public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

        public string Header => string.Join("; ", Cookies.Select(c => c.Key + "=" + c.Value));

        public void Take(HttpResponseMessage response)
        {
            if (response.Headers.TryGetValues("Set-Cookie", out var values))
            {
                foreach (var value in values)
                {
                    var pair = value.Split(';')[0];
                    var eq = pair.IndexOf('=');
                    Cookies[pair[..eq]] = pair[(eq + 1)..];
                }
            }
        }
    }

    [GeneratedRegex("name=\"__gw_af\" type=\"hidden\" value=\"([^\"]+)\"|name=\"__gw_af\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();

    private static readonly HttpClient Http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private async Task<string> PageTokenAsync(Jar jar, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gw.AdminUrl, path));
        request.Headers.TryAddWithoutValidation("Cookie", jar.Header);
        using var response = await Http.SendAsync(request);
        jar.Take(response);
        var html = await response.Content.ReadAsStringAsync();
        var match = TokenField().Match(html);
        Assert.True(match.Success, $"no anti-forgery field on {path}: {(int)response.StatusCode}");
        return WebUtility.HtmlDecode(match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value);
    }

    private async Task<HttpResponseMessage> PostAsync(string cookieHeader, string path, params (string, string)[] form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_gw.AdminUrl, path)) { Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Item1, f.Item2))) };
        request.Headers.TryAddWithoutValidation("Cookie", cookieHeader);
        return await Http.SendAsync(request);
    }

    private async Task<Jar> SignInAsync(string key)
    {
        var jar = new Jar();
        var token = await PageTokenAsync(jar, "/sign-in");
        using var response = await PostAsync(jar.Header, "/sign-in", ("key", key), ("__gw_af", token));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        jar.Take(response);
        Assert.Contains("gw_console", jar.Cookies.Keys);
        return jar;
    }

    private static string Mix(Jar session, Jar antiforgery) => $"gw_console={session.Cookies["gw_console"]}; gw_console_af={antiforgery.Cookies["gw_console_af"]}";

    private async Task<bool> TeamExistsAsync(string name) => (await _gw.PostAsync($"/admin/v1/teams/{name}/projects", _gw.RootKey, new { name = "probe" })).Status == 201;

    [Fact]
    public async Task ATokenFromAnotherSessionOrFromSigningIn_IsRefusedBesideTheVictimsSession()
    {
        var victim = await SignInAsync(_gw.RootKey);

        // An anonymous pair from the sign-in page.
        var anonymous = new Jar();
        var anonymousToken = await PageTokenAsync(anonymous, "/sign-in");
        using (var forged = await PostAsync(Mix(victim, anonymous), "/teams?handler=Create", ("name", "forged1"), ("__gw_af", anonymousToken)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        // The attacker's own session's pair (erin, another signed-in user).
        var erinKey = (await Functional.OrgFixture.Ok(_gw.PostAsync("/admin/v1/users/erin/keys", _gw.RootKey, new { name = "k" }))).Str("key");
        var attacker = await SignInAsync(erinKey);
        var attackerToken = await PageTokenAsync(attacker, "/teams");
        using (var forged = await PostAsync(Mix(victim, attacker), "/teams?handler=Create", ("name", "forged2"), ("__gw_af", attackerToken)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        Assert.False(await TeamExistsAsync("forged1"));
        Assert.False(await TeamExistsAsync("forged2"));

        // The control: the victim's own page's pair works.
        var ownToken = await PageTokenAsync(victim, "/teams");
        using (var own = await PostAsync(victim.Header, "/teams?handler=Create", ("name", "real"), ("__gw_af", ownToken)))
        {
            Assert.True(own.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, own.StatusCode.ToString());
        }

        Assert.True(await TeamExistsAsync("real"));
    }
}
