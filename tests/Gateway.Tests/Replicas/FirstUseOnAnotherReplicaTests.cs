using System.Net.Http.Headers;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>
/// The CI pattern behind a load balancer: provision a user or service account and its key on one
/// replica, use the key at once on another. The second replica reaches PostgreSQL over a link that
/// adds 20 ms each way, so its snapshot is always behind when the key arrives; it must decide on the
/// store's version (catching up), never answer 401 for a valid key, and never count it as a failure.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FirstUseOnAnotherReplicaTests(PostgresFixture pg)
{
    [Fact]
    public async Task AFreshKey_IsNeverRefusedOnALaggingReplica()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 1);
        await using var relay = new DelayRelay(pg.Server.Port, TimeSpan.FromMilliseconds(20));
        var slow = set.ConnectionString.Replace($"Port={pg.Server.Port}", $"Port={relay.Port}", StringComparison.Ordinal);
        Assert.NotEqual(set.ConnectionString, slow);
        var a = set[0];
        var b = await set.AddAsync("--Gateway:Store:ConnectionString=" + slow);
        Assert.True((await set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/teams", set.RootKey, new { name = "ml" })).Status == 201);

        var refused = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            string key;
            if (i % 2 == 0)
            {
                Assert.Equal(201, (await set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/users", set.RootKey, new { username = $"u{i}", email = $"u{i}@acme.example" })).Status);
                var (status, json) = await set.AdminAsync(a, HttpMethod.Post, $"/admin/v1/users/u{i}/keys", set.RootKey, new { name = "ci" });
                Assert.Equal(201, status);
                key = json.GetProperty("key").GetString()!;
            }
            else
            {
                Assert.Equal(201, (await set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/service-accounts", set.RootKey, new { name = $"sa{i}", defaultTeam = "ml" })).Status);
                var (status, json) = await set.AdminAsync(a, HttpMethod.Post, $"/admin/v1/service-accounts/sa{i}@acme/keys", set.RootKey, new { name = "ci" });
                Assert.Equal(201, status);
                key = json.GetProperty("key").GetString()!;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(b.ProxyUrl, "/graphql"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await set.Http.SendAsync(request);
            if ((int)response.StatusCode != 200)
            {
                refused.Add($"#{i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(refused.Count == 0, $"{refused.Count} of 100 fresh keys refused on the lagging replica:\n{string.Join('\n', refused.Take(5))}\n"
            + string.Join('\n', b.Output.Split('\n').Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("Store", StringComparison.Ordinal)).TakeLast(15)));
        Assert.DoesNotContain("key_owner_deleted", b.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Authentication failed", b.Output, StringComparison.Ordinal);
    }
}
