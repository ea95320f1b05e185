using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Gateway.Tests.Common;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Tests.Operations;

/// <summary>Structured logs, slow clients, and the audit of failed authentications.</summary>
public sealed class OperationsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task JsonConsoleLogs_AreOneJsonObjectPerLine_WithEventIdsAndNoSecrets()
    {
        using var gateway = GatewayProcess.Start(_dir.Path, _dir.File("gateway.db"), null, "--Logging:Console:FormatterName=json");
        Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(30)), gateway.Output);
        using var http = new HttpClient();
        var bogus = new Gateway.Keys.ApiKeyFormat("gw").Mint(Policy.Model.ApiKeyFormatKind.Standard).Key;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.AdminUrl, "/admin/v1/whoami"));
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + bogus)));
        Assert.Equal(401, (int)(await http.SendAsync(request)).StatusCode);
        await Task.Delay(500);
        gateway.Terminate();
        Assert.True(gateway.WaitForExit(TimeSpan.FromSeconds(30)));

        var lines = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var failure = events.Single(e => e.GetProperty("EventId").GetInt32() == 2001);
        Assert.Equal("Gateway.Admin.AdminAuthenticationFilter", failure.GetProperty("Category").GetString());
        Assert.Equal("key_unknown", failure.GetProperty("State").GetProperty("Reason").GetString());
        Assert.DoesNotContain(bogus, gateway.Output);
    }

    [Fact]
    public async Task ASlowClient_IsCutOffByTheRequestHeadersTimeout_NothingForwarded()
    {
        await using var gw = await TestGateway.StartAsync("--Gateway:Limits:RequestHeadersTimeout=00:00:02");
        using var client = new TcpClient();
        await client.ConnectAsync(gw.ProxyUrl.Host, gw.ProxyUrl.Port);
        var stream = client.GetStream();
        var started = DateTime.UtcNow;
        // Slowloris: a request line, then one header byte at a time, never finishing.
        await stream.WriteAsync("GET /healthz HTTP/1.1\r\nHost: gw\r\nX-Slow: "u8.ToArray());
        var closed = false;
        var response = new StringBuilder();
        var buffer = new byte[1024];
        for (var i = 0; i < 10 && !closed; i++)
        {
            try
            {
                await stream.WriteAsync("a"u8.ToArray());
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var read = await stream.ReadAsync(buffer, wait.Token);
                response.Append(Encoding.ASCII.GetString(buffer, 0, read));
                closed = read == 0 || response.ToString().Contains("408");
            }
            catch (OperationCanceledException)
            {
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the connection was not cut off");
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 1.5, 8);
    }

    [Fact]
    public async Task GuessingTheSecretOfAKnownKeyId_IsAudited_RateLimited_WithoutTheSecret()
    {
        // The sampling counts per second of the gateway's clock: a fake one, moved by the test, so the
        // count does not depend on how fast this machine sends 30 requests.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gw = await TestGateway.StartAsync(time, null, "--Gateway:Limits:AuditedFailuresPerSecond=4");
        var created = await Functional.OrgFixture.Ok(gw.PostAsync("/admin/v1/users/root/keys", gw.RootKey, new { name = "target" }));
        var keyId = created.Str("keyId");
        var key = created.Str("key");
        var guesses = new List<string>();
        async Task GuessAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var guess = TestKeys.SameIdOtherSecret(key);
                guesses.Add(guess);
                Assert.Equal(401, (await gw.GetAsync("/admin/v1/whoami", guess)).Status);
            }
        }

        await GuessAsync(30);
        time.Advance(TimeSpan.FromSeconds(1));
        await GuessAsync(30);

        var audit = await gw.GetAsync("/admin/v1/audit?action=auth.failed", gw.RootKey);
        var events = audit.Json.EnumerateArray().ToList();
        Assert.Equal(8, events.Count); // four a second: a flood cannot fill the disk
        Assert.All(events, e => Assert.Equal(keyId, e.GetProperty("keyId").GetString()));
        Assert.All(events, e => Assert.Contains("key_unknown", e.GetProperty("detail").GetString()));
        Assert.DoesNotContain(guesses, g => audit.Text.Contains(g[^20..]));
    }
}
