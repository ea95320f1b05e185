using System.Net.Http.Headers;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Issuers defined in gateway.json follow a configuration reload: added, removed (their access tokens end), invalid ones refused.</summary>
public sealed class IssuerReloadTests
{
    private static string Config(Uri echo, params string[] issuers) => $$"""
    { "Gateway": { "Federation": { "Issuers": [ {{string.Join(",", issuers.Select(i => $$"""{ "Organization": "acme", "Issuer": "{{i}}" }"""))}} ] } },
      "ReverseProxy": { "Routes": { "who": { "ClusterId": "c", "Match": { "Path": "/who/{**rest}" }, "Metadata": { "Gateway.Scope": "authenticated" } } },
        "Clusters": { "c": { "Destinations": { "d": { "Address": "{{echo}}" } } } } } }
    """;

    private static async Task<List<string>> IssuersAsync(TestGateway gw)
        => [.. (await gw.GetAsync("/admin/v1/orgs/acme/issuers", gw.RootKey)).Json.EnumerateArray().Select(i => i.GetProperty("issuer").GetString()!)];

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the reload was not applied in time");
            await Task.Delay(100);
        }
    }

    private static async Task<int> WhoAsync(TestGateway gw, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gw.ProxyUrl, "/who/x"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await gw.Http.SendAsync(request);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task IssuersFromGatewayJson_FollowAReload()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var a = await TestIssuer.StartAsync();
        await using var b = await TestIssuer.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => Config(echo.Url, a.Url));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", gw.RootKey, new { name = "ext", authentication = "federated", issuer = a.Url, subject = "job-a" }));
        var exchanged = await FederationFixture.ExchangeAsync(gw, a.Token("job-a"));
        Assert.Equal(200, exchanged.Status);
        var accessToken = exchanged.Str("access_token");
        Assert.Equal(200, await WhoAsync(gw, accessToken));
        Assert.Equal(400, (await FederationFixture.ExchangeAsync(gw, b.Token("job-b"))).Status); // b is not trusted yet

        // a replaced by b: b's tokens are exchanged, a's are not, and a's access token ends.
        await File.WriteAllTextAsync(gw.Directory.File("gateway.json"), Config(echo.Url, b.Url));
        await WaitForAsync(async () => await IssuersAsync(gw) is [var only] && only == b.Url);
        Assert.Equal(401, await WhoAsync(gw, accessToken));
        Assert.Equal(400, (await FederationFixture.ExchangeAsync(gw, a.Token("job-a"))).Status);
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", gw.RootKey, new { name = "extb", authentication = "federated", issuer = b.Url, subject = "job-b" }));
        var fromB = await FederationFixture.ExchangeAsync(gw, b.Token("job-b"));
        Assert.Equal(200, fromB.Status);
        Assert.Equal(200, await WhoAsync(gw, fromB.Str("access_token")));
        Assert.Contains(gw.Logs.Lines, l => l.Contains("1 added, 0 changed, 1 removed"));

        // An invalid reload is refused whole, logged, and b keeps serving.
        await File.WriteAllTextAsync(gw.Directory.File("gateway.json"), Config(echo.Url, b.Url, "ftp://not-an-issuer"));
        await WaitForAsync(() => Task.FromResult(gw.Logs.Lines.Any(l => l.Contains("reloaded issuers of gateway.json are invalid"))));
        Assert.Equal([b.Url], await IssuersAsync(gw));
        Assert.Equal(200, await WhoAsync(gw, fromB.Str("access_token")));
    }
}
