using System.Diagnostics;
using Gateway.Tests.Common;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Replicas;

/// <summary>
/// The figure issue 14 asks for: a key revoked on one replica, refused on every other within 1 s at
/// p99. Three processes on one database; the poll backstop set to 10 s so that only the pushed
/// notification can be this fast; 200 revocations, each timed from the DELETE's answer to the first
/// 401 on each other replica (polled concurrently). Run alone: it measures.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RevocationPropagationTests(PostgresFixture pg, ITestOutputHelper output)
{
    private const int Revocations = 200;

    [Fact]
    public async Task ARevocation_ReachesEveryOtherReplica_WellWithinASecond()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 3, "--Gateway:Store:PollInterval=00:00:10");
        var root = set.RootKey;
        Assert.Equal(201, (await set.AdminAsync(set[0], HttpMethod.Post, "/admin/v1/orgs/acme/teams", root, new { name = "ml" })).Status);
        Assert.Equal(201, (await set.AdminAsync(set[0], HttpMethod.Post, "/admin/v1/teams/ml/projects", root, new { name = "p" })).Status);
        Assert.Equal(201, (await set.AdminAsync(set[0], HttpMethod.Post, "/admin/v1/teams/ml/service-accounts", root, new { name = "ci" })).Status);

        var samples = new List<double>();
        for (var i = 0; i < Revocations; i++)
        {
            var writer = set[i % 3];
            var others = set.Replicas.Where(r => r != writer).ToList();
            var (status, created) = await set.AdminAsync(writer, HttpMethod.Post, "/admin/v1/service-accounts/ci@ml/keys", root, new { name = "k" + i });
            Assert.Equal(201, status);
            var key = created.GetProperty("key").GetString()!;
            foreach (var replica in others)
            {
                // Cached as valid on each other replica before the revocation.
                await WaitForAsync(replica, key, 200, TimeSpan.FromSeconds(20));
            }

            Assert.Equal(204, (await set.AdminAsync(writer, HttpMethod.Delete, $"/admin/v1/keys/{created.GetProperty("keyId").GetString()}", root)).Status);
            var revoked = Stopwatch.GetTimestamp();
            var times = await Task.WhenAll(others.Select(async replica =>
            {
                await WaitForAsync(replica, key, 401, TimeSpan.FromSeconds(20));
                return Stopwatch.GetElapsedTime(revoked).TotalMilliseconds;
            }));
            samples.AddRange(times);

            async Task WaitForAsync(GatewayProcess replica, string credential, int expected, TimeSpan limit)
            {
                var start = Stopwatch.GetTimestamp();
                int got;
                while ((got = await set.WriteAsync(replica, credential)) != expected)
                {
                    Assert.True(got is 200 or 401, $"unexpected {got}");
                    Assert.True(Stopwatch.GetElapsedTime(start) < limit, $"still {got} after {limit}");
                }
            }
        }

        samples.Sort();
        double P(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        output.WriteLine($"{Revocations} revocations, {samples.Count} replica observations: p50 {P(0.5):F1} ms, p90 {P(0.9):F1} ms, p99 {P(0.99):F1} ms, max {samples[^1]:F1} ms");
        Assert.True(P(0.99) < 1000, $"p99 {P(0.99):F0} ms: the notification path is not working");
    }
}
