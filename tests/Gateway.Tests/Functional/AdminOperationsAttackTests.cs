using System.Net.Sockets;
using System.Text;
using Gateway.Cli;
using Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Found by an adversarial review of the admin operations: a stalled request of a caller deactivated
/// meanwhile, a far-future key rotated, "--cascade=false" on the command line, a cascade removing an
/// operator's membership. Each is refused or answered properly now.
/// </summary>
public sealed class AdminOperationsAttackTests
{
    private static async Task<(TestGateway Gw, EchoUpstream Echo, Dictionary<string, string> Keys)> StartAsync(TimeProvider? time = null)
    {
        var echo = await EchoUpstream.StartAsync();
        var gw = await TestGateway.StartAsync(time, dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        return (gw, echo, keys);
    }

    // F1: a key whose expiry is far in the future (allowed by create and PATCH) makes rotate throw (500).
    [Fact]
    public async Task Rotate_AFarFutureKey_IsNeverA500()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (gw, echo, keys) = await StartAsync(time);
        await using var _ = gw;
        await using var __ = echo;
        var created = await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/bob/keys", keys["bob"], new { name = "k" }));
        var keyId = created.Str("keyId");
        await OrgFixture.Ok(gw.PatchAsync($"/admin/v1/keys/{keyId}", keys["bob"], new { expiresAt = "9999-12-31T23:59:59Z" }));
        time.Advance(TimeSpan.FromDays(1));
        var rotated = await gw.PostAsync($"/admin/v1/keys/{keyId}/rotate", keys["bob"], new { });
        Assert.Equal(201, rotated.Status);
    }

    // F2: the caller is the principal authenticated before the body was read; a deactivated org admin
    // whose request body is still in flight rotates another user's key and receives a working secret.
    [Fact]
    public async Task ADeactivatedAdmin_InFlightRotate_IsRefused()
    {
        var (gw, echo, keys) = await StartAsync();
        await using var _ = gw;
        await using var __ = echo;
        var root = gw.RootKey;
        await OrgFixture.Ok(gw.PostAsync("/admin/v1/orgs/acme/users", root, new { username = "mallory", email = "mallory@acme.example", orgRole = "admin" }));
        var mallory = (await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/mallory/keys", root, new { name = "k" }))).Str("key");
        var bobKeyId = (await gw.GetAsync("/admin/v1/keys?owner=bob", keys["erin"])).Json[0].GetProperty("keyId").GetString()!;

        using var client = new TcpClient();
        await client.ConnectAsync(gw.AdminUrl.Host, gw.AdminUrl.Port);
        var stream = client.GetStream();
        var auth = Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + mallory));
        var head = $"POST /admin/v1/keys/{bobKeyId}/rotate HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await Task.Delay(1000); // authenticated; the handler now waits for the body

        await OrgFixture.Ok(gw.PostAsync("/admin/v1/users/mallory/deactivate", keys["erin"], new { }));
        Assert.Equal(401, (await gw.GetAsync("/admin/v1/whoami", mallory)).Status);

        await stream.WriteAsync("}"u8.ToArray());
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync();
        // The write is checked against the directory it changes: the caller is no longer active.
        Assert.StartsWith("HTTP/1.1 401", answer, StringComparison.Ordinal);
        Assert.Single((await gw.GetAsync("/admin/v1/keys?owner=bob", keys["erin"])).Json.EnumerateArray());
    }

    // F3: --cascade=false is read as --cascade: the CLI deletes a non-empty team with everything in it.
    [Fact]
    public async Task Cli_CascadeFalse_DoesNotCascade()
    {
        var (gw, echo, keys) = await StartAsync();
        await using var _ = gw;
        await using var __ = echo;
        var erin = keys["erin"];
        await OrgFixture.Ok(gw.PatchAsync("/admin/v1/service-accounts/bot@acme", erin, new { defaultTeam = "ml" }));
        var errors = new StringWriter();
        var exit = await AdminCli.RunAsync(["admin", "teams", "delete", "cv", "--cascade=false"],
            new Dictionary<string, string?> { ["GATEWAY_URL"] = gw.AdminUrl.ToString(), ["GATEWAY_KEY"] = erin }, new StringWriter(), errors);
        Assert.Equal(AdminCli.ExitCodes.Usage, exit);
        Assert.Contains("takes no value", errors.ToString());
        Assert.Equal(200, (await gw.GetAsync("/admin/v1/projects/cv/cv-p", erin)).Status); // cv-p must still exist
    }

    // F4: an org admin may not remove an operator from a team (404), but a cascade delete does it.
    [Fact]
    public async Task TeamCascade_DoesNotRemoveAnOperatorsMembership()
    {
        var (gw, echo, keys) = await StartAsync();
        await using var _ = gw;
        await using var __ = echo;
        var erin = keys["erin"];
        await OrgFixture.Ok(gw.PutAsync("/admin/v1/teams/cv/members/root", gw.RootKey, new { role = "admin" }));
        Assert.Equal(404, (await gw.DeleteAsync("/admin/v1/teams/cv/members/root", erin)).Status);
        await OrgFixture.Ok(gw.PatchAsync("/admin/v1/service-accounts/bot@acme", erin, new { defaultTeam = "ml" }));
        var deleted = await gw.DeleteAsync("/admin/v1/teams/cv?cascade=true", erin);
        Assert.Equal((409, "team_not_empty"), (deleted.Status, deleted.Code));
    }
}
