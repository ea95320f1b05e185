using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Rate limits on a real gateway (<c>Gateway:RateLimits</c>): token buckets per key, per principal and per
/// team, per route class; 429 with <c>Retry-After</c> and the IETF RateLimit fields; a principal's own
/// limits set through the admin API and the CLI. The buckets refill with real time (the framework's
/// limiter reads the stopwatch), so the tests use rates slow enough that nothing refills between two
/// requests, except where refilling is what is tested.
/// </summary>
public sealed class RateLimitTests
{
    private const string Upload = "/files/ml/team-p/r1/file_stream";
    private const string ReadProject = "{ project(name: \"team-p\", entityName: \"ml\") { id } }";


    private static string Header(ApiResponse response, string name) => response.Headers.TryGetValues(name, out var values) ? values.Single() : "";

    [Fact]
    public async Task KeyPrincipalAndTeamBuckets_Answer429_WithRetryAfterAndRateLimitFields()
    {
        // 0.01 a second: one token in 100 s, so nothing refills during the test.
        await using var org = await OrgGateway.StartAsync(
            "--Gateway:RateLimits:Classes:default:Key:PermitsPerSecond=0.01", "--Gateway:RateLimits:Classes:default:Key:Burst=3",
            "--Gateway:RateLimits:Classes:default:Principal:PermitsPerSecond=0.01", "--Gateway:RateLimits:Classes:default:Principal:Burst=5",
            "--Gateway:RateLimits:Classes:graphql:Team:PermitsPerSecond=0.01", "--Gateway:RateLimits:Classes:graphql:Team:Burst=4");
        var (gw, echo, keys) = org;
        var second = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "second" }))).Str("key");

        // The key's bucket: three, then 429.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
        }

        var forwarded = echo.Received.Count;
        var limited = await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"]);
        Assert.Equal((429, "rate_limited"), (limited.Status, limited.Code));
        Assert.Equal(forwarded, echo.Received.Count); // nothing reached the upstream
        var retry = int.Parse(Header(limited, "Retry-After"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retry, 90, 100);
        Assert.Equal("\"key-default\";q=3;w=300", Header(limited, "RateLimit-Policy"));
        Assert.Equal($"\"key-default\";r=0;t={retry}", Header(limited, "RateLimit"));
        Assert.StartsWith("Key ", limited.Str("detail"), StringComparison.Ordinal);
        Assert.Contains("over its limit on default routes (0.01 requests a second, 3 at once)", limited.Str("detail"));

        // Another key of the same principal has its own key bucket, but shares the principal's: 5 in all.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, second)).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, second)).Status);
        var principal = await gw.ProxyAsync(HttpMethod.Post, Upload, second);
        Assert.Equal((429, "\"principal-default\";q=5;w=500"), (principal.Status, Header(principal, "RateLimit-Policy")));
        Assert.StartsWith("bob is over its limit", principal.Str("detail"), StringComparison.Ordinal);

        // Another principal is untouched; another route class has buckets of its own.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["alice"])).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", keys["bob"], new { query = ReadProject })).Status);

        // The team's bucket on graphql routes is shared by everyone acting in team ml: bob used one above.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", keys["alice"], new { query = ReadProject })).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", keys["ci@ml"], new { query = ReadProject })).Status);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", keys["vic"], new { query = ReadProject })).Status);
        var team = await gw.ProxyAsync(HttpMethod.Post, "/gql", keys["alice"], new { query = ReadProject });
        Assert.Equal((429, "\"team-graphql\";q=4;w=400"), (team.Status, Header(team, "RateLimit-Policy")));
        // Team cv is another team.
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, "/gql", keys["carol"], new { query = "{ project(name: \"cv-p\", entityName: \"cv\") { id } }" })).Status);

        // A refusal is decided before the limit and costs no permit: an over-limit caller still learns why it was refused.
        Assert.Equal(403, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["vic"])).Status);
        Assert.Equal(404, (await gw.ProxyAsync(HttpMethod.Post, "/files/ml/secret/r1/file_stream", keys["bob"])).Status);
    }

    [Fact]
    public async Task Buckets_Refill_AndAPrincipalsOwnLimits_ReplaceTheConfiguredOnes()
    {
        // Two a second, two at once: the third request inside a second is refused; half a second later one more is allowed.
        await using var org = await OrgGateway.StartAsync(
            "--Gateway:RateLimits:Classes:default:Key:PermitsPerSecond=2", "--Gateway:RateLimits:Classes:default:Key:Burst=2");
        var (gw, echo, keys) = org;
        var refilled = false;
        for (var attempt = 0; attempt < 5 && !refilled; attempt++)
        {
            // Retried only if the machine stalled long enough between requests for a token to come back (then the 429 never came).
            var statuses = new List<int>();
            for (var i = 0; i < 3; i++)
            {
                statuses.Add((await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
            }

            if (!statuses.Contains(429))
            {
                continue;
            }

            Assert.Equal(429, statuses[^1]);
            await Task.Delay(TimeSpan.FromMilliseconds(700));
            Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
            refilled = true;
        }

        Assert.True(refilled, "the key's bucket never ran out");

        // Bob's own limits (set by an org admin, never by bob) replace the configured bucket for his keys.
        Assert.Equal((403, "org_admin_required"), await AdminCliRunner.StatusAsync(gw.PutAsync("/admin/v1/principals/bob/limits", keys["bob"], new { permitsPerSecond = 1000, burst = 1000 })));
        Assert.Equal((404, "principal_not_found"), await AdminCliRunner.StatusAsync(gw.PutAsync("/admin/v1/principals/bob/limits", keys["carol"], new { permitsPerSecond = 1000, burst = 1000 })));
        var invalid = await gw.PutAsync("/admin/v1/principals/bob/limits", keys["erin"], new { permitsPerSecond = 0, burst = 1, requestsPerDay = 0 });
        Assert.Equal((400, "invalid_fields"), (invalid.Status, invalid.Code));
        Assert.Contains("requestsPerDay", invalid.Text);
        // A rate so slow its refill period would overflow is refused, not a 503 on every request after.
        Assert.Equal(400, (await gw.PutAsync("/admin/v1/principals/bob/limits", keys["erin"], new { permitsPerSecond = 1e-300, burst = 1 })).Status);
        var (exit, output, errors) = await AdminCliRunner.RunAsync(gw, keys["erin"], "limits", "set", "bob", "--per-second", "0.01", "--burst", "1");
        Assert.True(exit == 0, errors);
        Assert.Contains("0.01", output);
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
        var own = await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"]);
        Assert.Equal((429, "\"key-default\";q=1;w=100"), (own.Status, Header(own, "RateLimit-Policy")));
        Assert.Contains("permitsPerSecond=0.01 burst=1", (await gw.GetAsync("/admin/v1/audit?action=principal.limits", keys["erin"])).Text);

        // Lifted: the configured limits again.
        (exit, _, errors) = await AdminCliRunner.RunAsync(gw, keys["erin"], "limits", "clear", "bob");
        Assert.True(exit == 0, errors);
        await Task.Delay(TimeSpan.FromSeconds(1.1)); // the configured bucket (2 a second) full again
        Assert.Equal(200, (await gw.ProxyAsync(HttpMethod.Post, Upload, keys["bob"])).Status);
        var view = await gw.GetAsync("/admin/v1/principals/bob/limits", keys["bob"]);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, view.Json.GetProperty("permitsPerSecond").ValueKind);

        // Operators manage limits and read usage in every organization; another organization's admin does neither here.
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs", gw.RootKey, new { name = "globex", admin = new { username = "gus", email = "gus@globex.example" } }));
        Assert.Equal(200, (await gw.PutAsync("/admin/v1/principals/gus/limits", gw.RootKey, new { requestsPerDay = 10 })).Status);
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/usage?principal=gus", gw.RootKey)).Status);
        Assert.Equal(404, (await gw.GetAsync("/admin/v1/usage?principal=gus", keys["erin"])).Status);
        Assert.Equal(404, (await gw.PutAsync("/admin/v1/principals/gus/limits", keys["erin"], new { requestsPerDay = 10 })).Status);
    }

    [Fact]
    public async Task UnknownClasses_AreConfigurationErrors()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestGateway.StartAsync(
            "--Gateway:RateLimits:Classes:file_stream:Key:PermitsPerSecond=1", "--Gateway:RateLimits:Classes:file_stream:Key:Burst=1",
            "--Gateway:RateLimits:Classes:graphql:Key:PermitsPerSecond=0", "--Gateway:RateLimits:Classes:graphql:Key:Burst=1"));
        Assert.Contains("Gateway:RateLimits:Classes:file_stream: no such route class", error.Message);
        Assert.Contains("Gateway:RateLimits:Classes:graphql:Key: PermitsPerSecond must be 0.001 to 1000000", error.Message);
    }
}
