using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Replicas;

/// <summary>
/// Three gateway processes on one PostgreSQL database: what one replica changes, the others enforce on
/// the next request after the change reaches them (a notification, well under a second; the poll of
/// the version as the backstop). Times are reported, and bounded generously here: the figures that
/// count come from the measurement below and loadtests/README.md.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ReplicaPropagationTests(PostgresFixture pg, ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    // An admin call reads its own replica's snapshot, which follows the store within milliseconds: a
    // setup call naming what another replica has just written can meet a 404 first (it failed one
    // fresh-clone run: a key for a service account created on C, asked of A). A 404 changed nothing,
    // so it is retried until the bound; any other answer must be a success at once.
    private static async Task<T> Ok<T>(Func<Task<(int Status, T Json)>> call)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (status, json) = await call();
            if (status == 404 && clock.Elapsed < Bound)
            {
                await Task.Delay(5);
                continue;
            }

            Assert.True(status is 200 or 201 or 204, $"setup call answered {status}: {json}");
            return json;
        }
    }

    /// <summary>Grants and new principals propagate like revocations: sends until the replica answers 200.</summary>
    private static async Task UntilAllowedAsync(Func<Task<int>> send)
    {
        var clock = Stopwatch.StartNew();
        int status;
        while ((status = await send()) != 200)
        {
            Assert.True(clock.Elapsed < Bound, $"still {status} after {clock.Elapsed}");
            await Task.Delay(5);
        }
    }

    // The replica whose log explains an unexpected answer (a failure message without it says too little).
    private Func<string>? _diagnose;

    /// <summary>Sends until the replica stops answering 200; how long that took.</summary>
    private async Task<TimeSpan> UntilRefusedAsync(Func<Task<int>> send, int[] refused)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var status = await send();
            if (refused.Contains(status))
            {
                return clock.Elapsed;
            }

            // One snapshot per request: a request that straddles the new snapshot's arrival is decided
            // on the snapshot its principal came from (allowed), never refused with the next one's grants.
            Assert.True(status == 200, $"unexpected {status}" + (_diagnose is null ? "" : "\n" + _diagnose()));
            Assert.True(clock.Elapsed < Bound, $"still allowed after {clock.Elapsed}");
        }
    }

    [Fact]
    public async Task WhatOneReplicaRevokes_EveryOtherReplicaRefuses()
    {
        await using var set = await ReplicaSet.StartAsync(pg.Server, 3);
        var (a, b, c) = (set[0], set[1], set[2]);
        _diagnose = () => "replica A:\n" + string.Join('\n', a.Output.Split('\n').TakeLast(30));
        var root = set.RootKey;
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await Ok(() => set.AdminAsync(b, HttpMethod.Post, "/admin/v1/teams/ml/projects", root, new { name = "p" }));
        await Ok(() => set.AdminAsync(c, HttpMethod.Post, "/admin/v1/teams/ml/service-accounts", root, new { name = "ci" }));

        // A key created on A works on B and C (found in the store by its hash, once its owner has reached them).
        var created = await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/service-accounts/ci@ml/keys", root, new { name = "k1" }));
        var (key, keyId) = (created.GetProperty("key").GetString()!, created.GetProperty("keyId").GetString()!);
        foreach (var replica in set.Replicas)
        {
            await UntilAllowedAsync(() => set.WriteAsync(replica, key));
        }

        // Deleted on B: refused on A and C.
        await Ok(() => set.AdminAsync(b, HttpMethod.Delete, $"/admin/v1/keys/{keyId}", root));
        var times = new List<(string, TimeSpan)>
        {
            ("key deleted, A", await UntilRefusedAsync(() => set.WriteAsync(a, key), [401])),
            ("key deleted, C", await UntilRefusedAsync(() => set.WriteAsync(c, key), [401])),
        };

        // Deactivated on C: its other key refused on A and B; reactivated on A: accepted again.
        var second = (await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/service-accounts/ci@ml/keys", root, new { name = "k2" }))).GetProperty("key").GetString()!;
        await UntilAllowedAsync(() => set.WriteAsync(a, second));
        await UntilAllowedAsync(() => set.WriteAsync(b, second));
        await Ok(() => set.AdminAsync(c, HttpMethod.Post, "/admin/v1/service-accounts/ci@ml/deactivate", root));
        times.Add(("deactivated, A", await UntilRefusedAsync(() => set.WriteAsync(a, second), [401])));
        times.Add(("deactivated, B", await UntilRefusedAsync(() => set.WriteAsync(b, second), [401])));

        // A grant removed on A: the grantee refused on B and C.
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/users", root, new { username = "olga", email = "olga@acme.example", orgRole = "member" }));
        var olga = (await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/users/olga/keys", root, new { name = "k" }))).GetProperty("key").GetString()!;
        await Ok(() => set.AdminAsync(a, HttpMethod.Put, "/admin/v1/projects/ml/p/grants/olga", root, new { role = "owner" }));
        await UntilAllowedAsync(() => set.WriteAsync(b, olga));
        await UntilAllowedAsync(() => set.WriteAsync(c, olga));
        await Ok(() => set.AdminAsync(a, HttpMethod.Delete, "/admin/v1/projects/ml/p/grants/olga", root));
        times.Add(("grant removed, B", await UntilRefusedAsync(() => set.WriteAsync(b, olga), [403, 404])));
        times.Add(("grant removed, C", await UntilRefusedAsync(() => set.WriteAsync(c, olga), [403, 404])));

        // A project made restricted on B: a team member without a grant refused on A and C.
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/users", root, new { username = "bob", email = "bob@acme.example", orgRole = "member" }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Put, "/admin/v1/teams/ml/members/bob", root, new { role = "member" }));
        var bob = (await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/users/bob/keys", root, new { name = "k" }))).GetProperty("key").GetString()!;
        await UntilAllowedAsync(() => set.WriteAsync(a, bob));
        await UntilAllowedAsync(() => set.WriteAsync(c, bob));
        await Ok(() => set.AdminAsync(b, HttpMethod.Patch, "/admin/v1/projects/ml/p", root, new { visibility = "restricted" }));
        times.Add(("made restricted, A", await UntilRefusedAsync(() => set.WriteAsync(a, bob), [403, 404])));
        times.Add(("made restricted, C", await UntilRefusedAsync(() => set.WriteAsync(c, bob), [403, 404])));

        // An issuer removed on C: the access tokens exchanged from it end on A and B.
        await using var idp = await TestIssuer.StartAsync();
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/orgs/acme/issuers", root, new { issuer = idp.Url }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/teams/ml/service-accounts", root, new { name = "ext", authentication = "federated", issuer = idp.Url, subject = "repo:acme/train" }));
        await Ok(() => set.AdminAsync(a, HttpMethod.Put, "/admin/v1/projects/ml/p/grants/ext@ml", root, new { role = "contributor" }));
        // B exchanges once the issuer and the account made on A have reached it (failed one fresh-clone run
        // when asked at once: invalid_grant from a B that did not know them yet).
        await UntilAllowedAsync(() => ExchangeStatusAsync(set, b, idp.Token("repo:acme/train")));
        var token = await ExchangeAsync(set, b, idp.Token("repo:acme/train"));
        await UntilAllowedAsync(() => set.WriteAsync(a, token));
        await UntilAllowedAsync(() => set.WriteAsync(b, token));
        // (An issuer is removed after the accounts mapped to it.) The account deleted on C: its
        // exchanged token ends on A and B; then the issuer removed on C: A and B exchange nothing from it.
        await Ok(() => set.AdminAsync(c, HttpMethod.Delete, "/admin/v1/service-accounts/ext@ml", root));
        times.Add(("federated account deleted, A", await UntilRefusedAsync(() => set.WriteAsync(a, token), [401])));
        times.Add(("federated account deleted, B", await UntilRefusedAsync(() => set.WriteAsync(b, token), [401])));
        await Ok(() => set.AdminAsync(a, HttpMethod.Post, "/admin/v1/teams/ml/service-accounts", root, new { name = "ext2", authentication = "federated", issuer = idp.Url, subject = "repo:acme/eval" }));
        await UntilAllowedAsync(() => ExchangeStatusAsync(set, a, idp.Token("repo:acme/eval")));
        await UntilAllowedAsync(() => ExchangeStatusAsync(set, b, idp.Token("repo:acme/eval")));
        await Ok(() => set.AdminAsync(c, HttpMethod.Delete, "/admin/v1/service-accounts/ext2@ml", root));
        await Ok(() => set.AdminAsync(c, HttpMethod.Delete, "/admin/v1/orgs/acme/issuers?issuer=" + Uri.EscapeDataString(idp.Url), root));
        times.Add(("issuer removed, A", await UntilRefusedAsync(() => ExchangeStatusAsync(set, a, idp.Token("repo:acme/eval")), [400])));
        times.Add(("issuer removed, B", await UntilRefusedAsync(() => ExchangeStatusAsync(set, b, idp.Token("repo:acme/eval")), [400])));

        foreach (var (what, time) in times)
        {
            output.WriteLine($"{what}: refused after {time.TotalMilliseconds:F1} ms");
        }
    }

    private static async Task<int> ExchangeStatusAsync(ReplicaSet set, GatewayProcess replica, string assertion)
    {
        using var content = new StringContent($"grant_type={Uri.EscapeDataString("urn:ietf:params:oauth:grant-type:jwt-bearer")}&assertion={assertion}",
            Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await set.Http.PostAsync(new Uri(replica.ProxyUrl, "/oidc/token"), content);
        return (int)response.StatusCode;
    }

    private static async Task<string> ExchangeAsync(ReplicaSet set, GatewayProcess replica, string assertion)
    {
        using var content = new StringContent($"grant_type={Uri.EscapeDataString("urn:ietf:params:oauth:grant-type:jwt-bearer")}&assertion={assertion}",
            Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await set.Http.PostAsync(new Uri(replica.ProxyUrl, "/oidc/token"), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("access_token").GetString()!;
    }
}
