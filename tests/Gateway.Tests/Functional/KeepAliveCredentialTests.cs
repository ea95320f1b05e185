using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Common;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// An SDK keeps one connection and sends the same key on it: the gateway reads that key's text once
/// per connection (<c>ConnectionCredentialMemo</c>), and everything else — revocation above all — is
/// still decided on every request.
/// </summary>
[Collection(ProxyCollection.Name)]
public sealed class KeepAliveCredentialTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    [Fact]
    public async Task OnOneConnection_ARevokedKeyIsRefusedOnTheVeryNextRequest_AndOtherKeysAreTheirOwn()
    {
        var minted = await Gw.PostAsync("/admin/v1/users/dave/keys", K("dave"), new { name = "keep-alive" });
        Assert.Equal(201, minted.Status);
        var key = minted.Str("key");
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancel) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = Gw.ProxyUrl };

        async Task<(int Status, EchoRequest? Upstream)> Send(string credential)
        {
            var marker = Marker();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/files/ml/open-p/r/file_stream") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + credential)));
            request.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return ((int)response.StatusCode, Upstream(marker));
        }

        // Past the second request the same header string is recognised on this connection.
        for (var i = 0; i < 5; i++)
        {
            var (status, upstream) = await Send(key);
            Assert.Equal(200, status);
            Assert.Equal(["dave"], upstream!.Values("X-Gateway-Principal"));
        }

        Assert.Equal(204, (await Gw.DeleteAsync($"/admin/v1/keys/{minted.Str("keyId")}", K("dave"))).Status);
        var (revoked, nothing) = await Send(key);
        Assert.Equal(401, revoked);
        Assert.Null(nothing);

        // Another key on the same connection is that key's principal, then the first key is still refused.
        for (var i = 0; i < 3; i++)
        {
            var (status, upstream) = await Send(K("bob"));
            Assert.Equal(200, status);
            Assert.Equal(["bob"], upstream!.Values("X-Gateway-Principal"));
        }

        Assert.Equal(401, (await Send(key)).Status);
        // One character off, after the right key was remembered: the checksum refuses it as before.
        Assert.Equal(401, (await Send(K("bob")[..^1] + (K("bob")[^1] == 'A' ? 'B' : 'A'))).Status);
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task AKeyInUse_IsDecidedByItsOwnersCurrentMembershipAndStatus_OnTheNextRequest()
    {
        // A key in the cache (and read once on its connection) is still its owner's as the directory
        // has it now: a membership removed or an owner deactivated decides the very next request.
        var root = Gw.RootKey;
        Assert.Equal(201, (await Gw.PostAsync("/admin/v1/orgs/acme/users", root, new { username = "memo-user", email = "memo-user@acme.example", orgRole = "member" })).Status);
        var key = (await Gw.PostAsync("/admin/v1/users/memo-user/keys", root, new { name = "laptop" })).Str("key");
        Assert.Equal(200, (await Gw.PutAsync("/admin/v1/teams/ml/members/memo-user", root, new { role = "member" })).Status);
        for (var i = 0; i < 3; i++)
        {
            var (status, upstream) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", key);
            Assert.Equal(200, status.Status);
            Assert.Equal(["memo-user"], upstream!.Values("X-Gateway-Principal"));
        }

        Assert.Equal(204, (await Gw.DeleteAsync("/admin/v1/teams/ml/members/memo-user", root)).Status);
        var (removed, nothing) = await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", key);
        Assert.True(removed.Status is 403 or 404, removed.ToString());
        Assert.Null(nothing);

        Assert.Equal(200, (await Gw.PutAsync("/admin/v1/teams/ml/members/memo-user", root, new { role = "member" })).Status);
        Assert.Equal(200, (await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", key)).Response.Status);
        Assert.Equal(200, (await Gw.PostAsync("/admin/v1/users/memo-user/deactivate", root, null)).Status);
        Assert.Equal(401, (await SendAsync(HttpMethod.Post, "/files/ml/team-p/r/file_stream", key)).Response.Status);
    }

    /// <summary>
    /// The premise of the memo: Kestrel gives back the very same string for an Authorization header
    /// whose bytes repeat on a keep-alive connection, and a new one when they change. Should a later
    /// Kestrel stop doing so the memo would never hit (slower, never wrong); this test says so first.
    /// </summary>
    [Fact]
    public async Task Kestrel_HandsBackTheSameAuthorizationString_WhileItsBytesRepeatOnAConnection()
    {
        string? previous = null;
        var same = new List<bool>();
        var (app, url) = await LoopbackHost.StartAsync(host => host.Run(context =>
        {
            var current = context.Request.Headers.Authorization[0];
            same.Add(ReferenceEquals(previous, current));
            previous = current;
            return Task.CompletedTask;
        }));
        await using var _ = app;
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1 }) { BaseAddress = url };
        foreach (var value in new[] { "Basic a2V5LW9uZQ==", "Basic a2V5LW9uZQ==", "Basic a2V5LW9uZQ==", "Basic a2V5LXR3bw==", "Basic a2V5LXR3bw==" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.TryAddWithoutValidation("Authorization", value);
            (await client.SendAsync(request)).Dispose();
        }

        await app.StopAsync();
        Assert.Equal([false, true, true, false, true], same);
    }
}
