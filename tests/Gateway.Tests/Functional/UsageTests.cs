using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Requests per key and per principal per hour, allowed and refused by code (<c>GET /admin/v1/usage</c>),
/// after a known number of requests; daily quotas per key and per principal (429 <c>quota_exceeded</c>)
/// over the same counts, on the embedded store.
/// </summary>
public sealed class UsageTests
{
    private const string Upload = "/files/ml/team-p/r1/file_stream";


        private static long Refused(JsonElement view, string code) => view.GetProperty("refused").TryGetProperty(code, out var n) ? n.GetInt64() : 0;

    [Fact]
    public async Task UsageFigures_AfterAKnownNumberOfRequests_PerKeyAndPerPrincipal()
    {
        await using var org = await OrgGateway.StartAsync();
        var (gw, echo, keys) = org;
        var second = await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "second" }));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
        }

        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["bob"])).Status);
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", keys["bob"])).Status);
        Assert.Equal(404, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/secret/r1/file_stream", keys["bob"])).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Get, "/read/ml/team-p/x", second.Str("key"))).Status);
        Assert.Equal(401, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"] + "x")).Status); // nobody's

        var byKey = (await OrgFixture.Ok(gw.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(keys["bob"])}&hours=3", keys["bob"]))).Json;
        Assert.Equal(5, byKey.GetProperty("allowed").GetInt64());
        Assert.Equal(2, Refused(byKey, "not_a_member"));
        Assert.Equal(1, Refused(byKey, "project_not_found"));
        Assert.Equal(3, byKey.GetProperty("hours").GetArrayLength());
        Assert.Equal(5, byKey.GetProperty("hours")[2].GetProperty("allowed").GetInt64());

        var byPrincipal = (await OrgFixture.Ok(gw.GetAsync("/admin/v1/usage?principal=bob", keys["erin"]))).Json;
        Assert.Equal(6, byPrincipal.GetProperty("allowed").GetInt64());
        Assert.Equal(48, byPrincipal.GetProperty("hours").GetArrayLength());

        // Counts are flushed before each read and added, never overwritten.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
        Assert.Equal(6, (await gw.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(keys["bob"])}", keys["bob"])).Json.GetProperty("allowed").GetInt64());

        // Only the owner and those who may act on it; anything else is a key that does not exist.
        Assert.Equal((404, "key_not_found"), await AdminCliRunner.StatusAsync(gw.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(keys["bob"])}", keys["dave"])));
        Assert.Equal((404, "principal_not_found"), await AdminCliRunner.StatusAsync(gw.GetAsync("/admin/v1/usage?principal=bob", keys["carol"])));
        Assert.Equal((400, "invalid_fields"), await AdminCliRunner.StatusAsync(gw.GetAsync("/admin/v1/usage?principal=bob&keyId=x&hours=0", keys["erin"])));
    }

    [Fact]
    public async Task DailyQuotas_PerKeyAndPerPrincipal_Answer429UntilTheDayEnds()
    {
        await using var org = await OrgGateway.StartAsync("--Gateway:RateLimits:KeyRequestsPerDay=3");
        var (gw, echo, keys) = org;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
        }

        var over = await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"]);
        Assert.Equal((429, "quota_exceeded"), (over.Status, over.Code));
        var retry = long.Parse(over.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retry, 1, 86_400);
        Assert.Equal("\"key-day\";q=3;w=86400", over.Headers.GetValues("RateLimit-Policy").Single());
        // Another key of bob has a quota of its own; refusals do not count toward it.
        var second = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "second" }))).Str("key");
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, "/files/cv/cv-p/r1/file_stream", second)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, second)).Status);

        // A principal's own daily quota counts all its keys together.
        await OrgFixture.Ok(gw.PutAsync("/admin/v1/principals/alice/limits", keys["erin"], new { requestsPerDay = 2 }));
        var aliceSecond = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/alice/keys", keys["alice"], new { name = "second" }))).Str("key");
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["alice"])).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, aliceSecond)).Status);
        var principal = await gw.ProxyAsync(HttpMethod.Post, Upload, aliceSecond);
        Assert.Equal((429, "quota_exceeded", "\"principal-day\";q=2;w=86400"), (principal.Status, principal.Code, principal.Headers.GetValues("RateLimit-Policy").Single()));
        Assert.StartsWith("alice has used its 2 requests for today", principal.Str("detail"), StringComparison.Ordinal);

        // The quota refusals are counted as such.
        var usage = (await OrgFixture.Ok(gw.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(keys["bob"])}", keys["bob"]))).Json;
        Assert.Equal((3, 1L), (usage.GetProperty("allowed").GetInt64(), Refused(usage, "quota_exceeded")));
    }

    [Fact]
    public async Task ConcurrentRequests_TakeAQuotasLastSlotsExactly()
    {
        await using var org = await OrgGateway.StartAsync("--Gateway:RateLimits:KeyRequestsPerDay=5");
        var (gw, _, keys) = org;
        var statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])));
        Assert.Equal(5, statuses.Count(s => s.Status == 200));
        Assert.Equal(55, statuses.Count(s => s.Status == 429 && s.Code == "quota_exceeded"));
        var usage = (await OrgFixture.Ok(gw.GetAsync($"/admin/v1/usage?keyId={OrgGateway.KeyIdOf(keys["bob"])}", keys["bob"]))).Json;
        Assert.Equal((5, 55L), (usage.GetProperty("allowed").GetInt64(), Refused(usage, "quota_exceeded")));
    }
}
