using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>The store's files as a real gateway process creates them: private to its user, and wider modes reported.</summary>
public sealed class PrivateFilesTests : IDisposable
{
    private const UnixFileMode Group = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;
    private const UnixFileMode Other = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly TempDirectory _dir = new();

    private string Data => Path.Combine(_dir.Path, "data");

    private string DbPath => Path.Combine(Data, "gateway.db");

    public void Dispose() => _dir.Dispose();

    private async Task WriteSomethingAsync(GatewayProcess gateway)
    {
        var key = (await File.ReadAllTextAsync(Path.Combine(Data, "bootstrap-admin.key"))).Trim();
        using var http = new HttpClient { BaseAddress = gateway.AdminUrl, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key)));
        Assert.True((await http.PostAsJsonAsync("/admin/v1/orgs/acme/teams", new { name = "ml" + Guid.NewGuid().ToString("N")[..6] })).IsSuccessStatusCode);
    }

    [Fact]
    public async Task TheStoreItsLockLogAndBootstrapKey_Are0600_InA0700Directory()
    {
        Assert.False(OperatingSystem.IsWindows());
        using (var gateway = GatewayProcess.Start(_dir.Path, DbPath))
        {
            Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(60)), gateway.Output);
            await WriteSomethingAsync(gateway);
            var files = System.IO.Directory.GetFiles(Data);
            Assert.Contains(DbPath, files);
            Assert.Contains(DbPath + ".lock", files);
            Assert.Contains(Path.Combine(Data, "bootstrap-admin.key"), files);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Data));
            // Every file, whatever its name: LiteDB's own -log.db included when it exists.
            Assert.All(files, f => Assert.True(File.GetUnixFileMode(f) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{f}: {File.GetUnixFileMode(f)}"));
            Assert.DoesNotContain("StoreFileTooOpen", gateway.Output);
            Assert.DoesNotContain("has mode", gateway.Output);
            gateway.Terminate();
            Assert.True(gateway.WaitForExit(TimeSpan.FromSeconds(30)));
        }

        // Widened by hand: the next start says so, per path, and still serves.
        File.SetUnixFileMode(Data, File.GetUnixFileMode(Data) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(DbPath, File.GetUnixFileMode(DbPath) | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var again = GatewayProcess.Start(_dir.Path, DbPath);
        Assert.True(await again.WaitReadyAsync(TimeSpan.FromSeconds(60)), again.Output);
        Assert.Contains($"{Data} has mode 755", again.Output);
        Assert.Contains($"{DbPath} has mode 644", again.Output);
        Assert.DoesNotContain($"{DbPath}.lock has mode", again.Output);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(DbPath + ".lock") & (Group | Other));
    }
}
