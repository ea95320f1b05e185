using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// What deploy/compose.yaml runs, run here without Docker (none on these machines): its health check
/// command line, as written in the file, against a real gateway process: healthy while it serves,
/// unhealthy once it is gone.
/// </summary>
public sealed partial class DeployTests
{
    [GeneratedRegex(@"^\s*test:\s*(\[.*\])\s*$", RegexOptions.Multiline)]
    private static partial Regex HealthCheck();

    private static async Task<(int Exit, string Output)> RunAsync(IReadOnlyList<string> command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    [Fact]
    public async Task TheComposeHealthCheck_PassesOnAServingGateway_AndFailsWhenItIsGone()
    {
        var compose = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Find(), "deploy", "compose.yaml"));
        // The gateway services' check (postgres has its own, a CMD-SHELL line).
        var check = HealthCheck().Matches(compose).Select(m => JsonSerializer.Deserialize<string[]>(m.Groups[1].Value)!).Single(c => c.Contains("health"));
        Assert.Equal(["CMD", "dotnet", "/app/Gateway.dll", "health", "--url", "http://127.0.0.1:5080/readyz"], check);

        using var dir = new TempDirectory();
        using var gateway = GatewayProcess.Start(dir.Path, dir.File("gateway.db"));
        Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(60)), gateway.Output);
        // Every log entry starts with its UTC time (continuation lines of an entry are indented).
        var entries = gateway.Output.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0])).ToList();
        Assert.NotEmpty(entries);
        Assert.All(entries, l => Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z ", l));
        // The same command line, with this build's Gateway.dll and this process's port for the image's.
        string[] command = [.. check.Skip(1).Select(a => a
            .Replace("/app/Gateway.dll", Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), StringComparison.Ordinal)
            .Replace("127.0.0.1:5080", $"127.0.0.1:{gateway.ProxyUrl.Port}", StringComparison.Ordinal))];
        var (healthy, output) = await RunAsync(command);
        Assert.True(healthy == 0, output);

        gateway.Kill();
        var (gone, goneOutput) = await RunAsync(command);
        Assert.Equal(1, gone);
        Assert.Contains("not reachable", goneOutput, StringComparison.Ordinal);
        var (usage, _) = await RunAsync(["dotnet", Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "health", "--nope"]);
        Assert.Equal(2, usage);
    }
}
