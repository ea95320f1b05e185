using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Gateway.Store;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>The store as a real file used by a real gateway process: crashes, locks, corruption.</summary>
public sealed class StoreDurabilityTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private string DbPath => _dir.File("gateway.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task SigkillDuringAdminWrites_LosesNoAcknowledgedWrite_AndLeavesNothingHalfWritten()
    {
        const int Projects = 5;
        using var gateway = GatewayProcess.Start(_dir.Path, DbPath);
        Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(60)), gateway.Output);
        var key = (await File.ReadAllTextAsync(_dir.File("bootstrap-admin.key"))).Trim();
        using var http = new HttpClient { BaseAddress = gateway.AdminUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key)));
        Assert.True((await http.PostAsJsonAsync("/admin/v1/orgs/acme/teams", new { name = "ml" })).IsSuccessStatusCode);
        for (var i = 0; i < Projects; i++)
        {
            Assert.True((await http.PostAsJsonAsync("/admin/v1/teams/ml/projects", new { name = "p" + i })).IsSuccessStatusCode);
        }

        var acknowledgedTeams = new ConcurrentBag<string>();
        var acknowledgedAccounts = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    var team = $"t-{w}-{i}";
                    if ((int)(await http.PostAsJsonAsync("/admin/v1/orgs/acme/teams", new { name = team })).StatusCode == 201)
                    {
                        acknowledgedTeams.Add(team);
                    }

                    // One transaction: the account, a grant on every project, and the audit event.
                    var account = $"s-{w}-{i}";
                    var response = await http.PostAsJsonAsync("/admin/v1/orgs/acme/service-accounts",
                        new { name = account, defaultTeam = "ml", access = "explicit", grantAllCurrentProjects = true });
                    if ((int)response.StatusCode == 201)
                    {
                        acknowledgedAccounts.Add(account + "@acme");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return; // the process is gone
                }
            }
        })).ToArray();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (acknowledgedAccounts.Count < 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        gateway.Kill();
        stop.Cancel();
        await Task.WhenAll(writers);
        Assert.True(acknowledgedAccounts.Count >= 10, $"too few writes before the kill: {acknowledgedAccounts.Count}");

        using var store = new LiteDbGatewayStore(DbPath);
        var data = store.LoadDirectory();
        var teams = data.Teams.Select(t => t.Name).ToHashSet();
        Assert.All(acknowledgedTeams, t => Assert.Contains(t, teams));
        var accounts = data.ServiceAccounts.ToDictionary(a => a.DisplayName);
        Assert.All(acknowledgedAccounts, a => Assert.Contains(a, accounts.Keys));
        foreach (var account in data.ServiceAccounts.Where(a => a.Name.StartsWith("s-", StringComparison.Ordinal)))
        {
            Assert.Equal(Projects, data.Grants.Count(g => g.PrincipalId == account.Id));
        }

        Assert.Equal(data.ServiceAccounts.Count(a => a.Name.StartsWith("s-", StringComparison.Ordinal)),
            store.QueryAudit(new AuditQuery("acme", null, null, null, "service_account.create", 1000)).Count);
    }

    [Fact]
    public async Task ASecondProcessOnTheSameStore_FailsFast_WithAClearMessage()
    {
        using var first = GatewayProcess.Start(_dir.Path, DbPath);
        Assert.True(await first.WaitReadyAsync(TimeSpan.FromSeconds(60)), first.Output);
        using var second = GatewayProcess.Start(_dir.Path, DbPath);
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(60)), "the second process kept running");
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("in use by another gateway process", second.Output);
        Assert.Contains("gateway.db.lock", second.Output);
        Assert.False(first.HasExited);
    }

    [Fact]
    public void ACorruptDatabaseFile_RefusesStartup_NamingTheFile()
    {
        File.WriteAllBytes(DbPath, Enumerable.Range(0, 32768).Select(i => (byte)(i * 31 + 7)).ToArray());
        using var gateway = GatewayProcess.Start(_dir.Path, DbPath);
        Assert.True(gateway.WaitForExit(TimeSpan.FromSeconds(60)), "the gateway started on a corrupt store");
        Assert.Equal(1, gateway.ExitCode);
        Assert.Contains(DbPath, gateway.Output);
        Assert.Contains("corrupt or unreadable", gateway.Output);
    }
}
