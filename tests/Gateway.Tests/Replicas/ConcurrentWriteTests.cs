using System.Collections.Concurrent;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Replicas;

/// <summary>
/// Admin writes from three replicas at once, one of them killed (SIGKILL) in the middle: every
/// acknowledged write is there, a name raced for by all three exists once (one 201, the others 409),
/// and the audit log has exactly one creation event per project that exists.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConcurrentWriteTests(PostgresFixture pg)
{
    [Fact]
    public async Task ConcurrentWritesOnThreeReplicas_WithOneKilled_LoseNothingAndDuplicateNothing()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 3);
        var root = set.RootKey;
        Assert.Equal(201, (await set.AdminAsync(set[0], HttpMethod.Post, "/admin/v1/orgs/acme/teams", root, new { name = "ml" })).Status);
        // The team reaches the others before they plan projects in it.
        foreach (var replica in set.Replicas)
        {
            for (var i = 0; (await set.AdminAsync(replica, HttpMethod.Get, "/admin/v1/projects/ml/none", root)).Status != 404; i++)
            {
                Assert.True(i < 500, "the team did not propagate");
                await Task.Delay(10);
            }
        }

        const int PerReplica = 40;
        var acknowledged = new ConcurrentBag<string>();
        var conflicts = new ConcurrentBag<string>();
        var killed = new TaskCompletionSource();
        var writers = Enumerable.Range(0, 3).Select(r => Task.Run(async () =>
        {
            for (var i = 0; i < PerReplica; i++)
            {
                if (r == 2 && i == PerReplica / 2)
                {
                    killed.TrySetResult();
                }

                // Every replica creates its own project and races the others for a shared name.
                foreach (var name in new[] { $"own-{r}-{i}", $"shared-{i}" })
                {
                    int status;
                    try
                    {
                        status = (await set.AdminAsync(set[r], HttpMethod.Post, "/admin/v1/teams/ml/projects", root, new { name })).Status;
                    }
                    catch (HttpRequestException) when (r == 2)
                    {
                        return; // killed under this request: unacknowledged, may or may not be committed
                    }
                    catch (TaskCanceledException) when (r == 2)
                    {
                        return;
                    }

                    if (status == 201)
                    {
                        acknowledged.Add(name);
                    }
                    else
                    {
                        Assert.True(status == 409 && name.StartsWith("shared-", StringComparison.Ordinal), $"{name} on replica {r}: {status}");
                        conflicts.Add(name);
                    }
                }
            }
        })).ToList();
        // (A writer that fails before the kill point must fail the test, not leave it waiting.)
        await Task.WhenAny(killed.Task, Task.WhenAll(writers));
        set[2].Kill();
        await Task.WhenAll(writers);

        // Every acknowledged project is there, on both survivors (once the last changes have reached them).
        foreach (var name in acknowledged)
        {
            foreach (var replica in new[] { set[0], set[1] })
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                int status;
                while ((status = (await set.AdminAsync(replica, HttpMethod.Get, $"/admin/v1/projects/ml/{name}", root)).Status) != 200)
                {
                    Assert.True(status == 404 && clock.Elapsed < TimeSpan.FromSeconds(5), $"{name}: {status} after {clock.Elapsed}");
                    await Task.Delay(20);
                }
            }
        }

        // A shared name acknowledged once at most; the projects and their audit events match one to one.
        Assert.All(acknowledged.Where(n => n.StartsWith("shared-", StringComparison.Ordinal)).GroupBy(n => n), g => Assert.Single(g));
        Assert.Equal(PerReplica, acknowledged.Count(n => n.StartsWith("shared-", StringComparison.Ordinal)));
        var existing = new List<string>();
        foreach (var name in Enumerable.Range(0, 3).SelectMany(r => Enumerable.Range(0, PerReplica).Select(i => $"own-{r}-{i}")).Concat(Enumerable.Range(0, PerReplica).Select(i => $"shared-{i}")))
        {
            if ((await set.AdminAsync(set[0], HttpMethod.Get, $"/admin/v1/projects/ml/{name}", root)).Status == 200)
            {
                existing.Add(name);
            }
        }

        Assert.Superset(acknowledged.ToHashSet(), existing.ToHashSet());
        var (auditStatus, audit) = await set.AdminAsync(set[1], HttpMethod.Get, "/admin/v1/audit?action=project.create&limit=1000", root);
        Assert.Equal(200, auditStatus);
        var audited = audit.EnumerateArray().Select(e => e.GetProperty("target").GetString()!).ToList();
        Assert.Equal(existing.Count, audited.Count);
        Assert.Equal(existing.Order(), audited.Select(t => t[(t.IndexOf('/') + 1)..]).Order());
    }
}
