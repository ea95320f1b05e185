using System.Net.Http.Headers;
using Gateway.Tests.Common;
using Gateway.Tests.Functional;
using Xunit;

namespace Gateway.Tests.Abuse;

/// <summary>Failed-authentication limits over real HTTP, with low limits: 429 with RateLimit headers; valid cached keys keep working.</summary>
public sealed class FailedAuthenticationTests
{
    [Fact]
    public async Task AnAddressOverItsLimit_Gets429_WhileCachedValidKeysAreServed()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => FederationFixture.Config(echo.Url), "--Gateway:Limits:FailedAuthenticationsPerAddress=5");
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/teams", gw.RootKey, new { name = "ml" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/teams/ml/service-accounts", gw.RootKey, new { name = "ci" }));
        var warm = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", gw.RootKey, new { name = "warm" }))).Str("key");
        var cold = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/service-accounts/ci@ml/keys", gw.RootKey, new { name = "cold" }))).Str("key");
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", warm, new { })).Status);

        // An override placed after --config (the test gateway passes one) is honoured.
        Assert.Equal(5, Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Gateway.Configuration.LimitsOptions>(gw.Services).FailedAuthenticationsPerAddress);
        var format = new Gateway.Keys.ApiKeyFormat("gw");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", format.Mint(Policy.Model.ApiKeyFormatKind.Standard).Key, new { })).Status);
        }

        var limited = await gw.ProxyAsync(HttpMethod.Post, "/graphql", format.Mint(Policy.Model.ApiKeyFormatKind.Standard).Key, new { });
        Assert.Equal(429, limited.Status);
        Assert.Equal("too_many_failed_authentications", limited.Code);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Equal("0", limited.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.Equal("5", limited.Headers.GetValues("RateLimit-Limit").Single());
        var reset = int.Parse(limited.Headers.GetValues("RateLimit-Reset").Single());
        Assert.InRange(reset, 1, 60);

        // Valid traffic keeps flowing: a key in the cache is served; one that would need the store waits.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", warm, new { })).Status);
        Assert.Equal(429, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", cold, new { })).Status);
        // Raw JWTs and malformed credentials are limited too, before any work; the admin API likewise.
        Assert.Equal(429, (await gw.ProxyAsync(HttpMethod.Post, "/graphql", null, new { }, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "a.b.c"))).Status);
        Assert.Equal(429, (await gw.GetAsync("/admin/v1/whoami", "not-a-key")).Status);
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Status);
        Assert.DoesNotContain(echo.Received, r => r.Path == "/graphql" && r.Single("X-Gateway-Key-Id") is null);
    }

    [Fact]
    public async Task AKeyIdOverItsLimit_Gets429_OtherKeysDoNot()
    {
        await using var gw = await TestGateway.StartAsync("--Gateway:Limits:FailedAuthenticationsPerKeyId=3");
        var created = await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/root/keys", gw.RootKey, new { name = "second" }));
        var key = created.Str("key");
        var keyId = created.Str("keyId");
        Assert.Contains("_" + keyId + "_", key); // the limited id is the key's public id
        // The same key id with other secrets, each with a valid checksum: what a guesser would send.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await gw.GetAsync("/admin/v1/whoami", TestKeys.SameIdOtherSecret(key))).Status);
        }

        Assert.Equal(429, (await gw.GetAsync("/admin/v1/whoami", TestKeys.SameIdOtherSecret(key))).Status);
        // The key itself was never used, so it is not cached: it waits for the window too.
        Assert.Equal(429, (await gw.GetAsync("/admin/v1/whoami", key)).Status);
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/whoami", gw.RootKey)).Status);
        Assert.Equal(401, (await gw.GetAsync("/admin/v1/whoami", TestKeys.SameIdOtherSecret(gw.RootKey))).Status);
    }
}
