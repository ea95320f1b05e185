using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Issuer keys over real HTTP: rotation, outages, no usable key.</summary>
[Collection(FederationCollection.Name)]
public sealed class FederationKeyTests(FederationFixture fixture)
{
    private TestGateway Gw => fixture.Gw;

    [Fact]
    public async Task KeyRotation_TheFirstTokenSignedWithTheNewKeySucceeds()
    {
        await using var idp = await TestIssuer.StartAsync();
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", Gw.RootKey, new { issuer = idp.Url }));
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example"))).Status);
        var fetches = idp.JwksFetches;

        // The old key is withdrawn at once: no overlap, nothing published in advance.
        var old = idp.Current;
        idp.Rotate();
        await Task.Delay(TimeSpan.FromSeconds(2.2)); // the fixture's refetch interval since the last fetch
        var exchange = await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example"));
        Assert.Equal(200, exchange.Status);
        Assert.Equal(fetches + 1, idp.JwksFetches);

        // A token signed with the withdrawn key (never seen before) is now refused, without another fetch.
        FederationExchangeTests.AssertInvalidGrant(await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", key: old)));
        Assert.Equal(fetches + 1, idp.JwksFetches);
        await OrgFixture.Ok(Gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(idp.Url), Gw.RootKey));
    }

    [Fact]
    public async Task IssuerDown_LastGoodKeysKeepWorking()
    {
        await using var idp = await TestIssuer.StartAsync();
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", Gw.RootKey, new { issuer = idp.Url, acceptRawJwt = true }));
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example"))).Status);

        idp.Down = true;
        // Fresh tokens (not in the validation cache), verified with the keys fetched before the outage.
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example"))).Status);
        Assert.Equal(200, (await fixture.BearerAsync("/graphql", idp.Token("bob@acme.example"))).Response.Status);

        // A kid the gateway has never seen cannot be checked while the issuer is down: 503, not a
        // refusal that would end a training run.
        var rotated = SigningKey.NewRsa();
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var unknown = await FederationFixture.ExchangeAsync(Gw, idp.Token("bob@acme.example", key: rotated));
        Assert.Equal(503, unknown.Status);
        Assert.Equal("temporarily_unavailable", unknown.Json.GetProperty("error").GetString());
        Assert.NotNull(unknown.Headers.RetryAfter);

        idp.Down = false;
        await OrgFixture.Ok(Gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(idp.Url), Gw.RootKey));
    }

    [Fact]
    public async Task NoUsableKey_AndTheIssuerUnreachable_Is503WithRetryAfter_Never401()
    {
        var idp = await TestIssuer.StartAsync();
        var url = idp.Url;
        var token = idp.Token("bob@acme.example");
        await idp.DisposeAsync(); // nothing listens there any more
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", Gw.RootKey, new { issuer = url, acceptRawJwt = true }));

        var exchange = await FederationFixture.ExchangeAsync(Gw, token);
        Assert.Equal(503, exchange.Status);
        Assert.Equal("temporarily_unavailable", exchange.Json.GetProperty("error").GetString());
        Assert.NotNull(exchange.Headers.RetryAfter);

        var (bearer, upstream) = await fixture.BearerAsync("/graphql", token);
        Assert.Equal(503, bearer.Status);
        Assert.Equal("issuer_unavailable", bearer.Code);
        Assert.NotNull(bearer.Headers.RetryAfter);
        Assert.Null(upstream);

        var listed = await Gw.GetAsync("/admin/v1/orgs/acme/issuers", Gw.RootKey);
        var entry = listed.Json.EnumerateArray().Single(i => i.GetProperty("issuer").GetString() == url);
        Assert.True(entry.GetProperty("keys").GetProperty("lastFetchFailed").GetBoolean());
        Assert.Equal(0, entry.GetProperty("keys").GetProperty("count").GetInt32());
        await OrgFixture.Ok(Gw.DeleteAsync("/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(url), Gw.RootKey));
    }
}

/// <summary>A flood of tokens with unknown kids, against the default 30 s refetch interval.</summary>
public sealed class FederationFloodTests
{
    [Fact]
    public async Task UnknownKidFlood_CausesAtMostOneFetch_AndEveryAnswerIs400()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var idp = await TestIssuer.StartAsync();
        await using var gw = await TestGateway.StartAsync(_ => FederationFixture.Config(echo.Url));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", gw.RootKey, new { username = "bob", email = "bob@acme.example" }));
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/issuers", gw.RootKey, new { issuer = idp.Url }));
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(gw, idp.Token("bob@acme.example"))).Status);
        var before = idp.JwksFetches;

        var attacker = SigningKey.NewRsa();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var token = idp.Token("bob@acme.example", key: attacker, edit: (h, _) => h["kid"] = "random-" + i);
            statuses.Add((await FederationFixture.ExchangeAsync(gw, token)).Status);
        });

        Assert.All(statuses, s => Assert.Equal(400, s));
        Assert.True(idp.JwksFetches - before <= 1, $"{idp.JwksFetches - before} fetches during the flood");
        // Valid traffic is still served.
        Assert.Equal(200, (await FederationFixture.ExchangeAsync(gw, idp.Token("bob@acme.example"))).Status);
    }
}
