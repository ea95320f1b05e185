using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// The load-test harness in smoke mode (2 000 keys, one 2-second round per scenario), so it cannot
/// rot: every scenario must produce responses, only with its expected statuses. Figures are not
/// asserted here; they are reported by the full run (loadtests/README.md).
/// </summary>
public sealed class LoadTestSmokeTests
{
    [Fact]
    public async Task SmokeRun_EveryScenarioAnswersWithItsExpectedStatuses()
    {
        using var output = new TempDirectory();
        var root = RepositoryRoot.Find();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "run", "-c", "Release", "--project", "loadtests/Gateway.LoadTests", "--", "--smoke", "--out", output.Path })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(8)), "the smoke run timed out");
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, await stdout + await stderr);

        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(output.File("results.json")));
        var scenarios = report.RootElement.GetProperty("Scenarios").EnumerateArray().ToDictionary(s => s.GetProperty("Name").GetString()!);
        Assert.Equal(["direct", "gateway-10pct-invalid", "gateway-access-token", "gateway-anonymous", "gateway-apikey", "gateway-graphql", "nginx-peer", "yarp", "yarp-graphql"], scenarios.Keys.Order());
        foreach (var (name, scenario) in scenarios)
        {
            var statuses = scenario.GetProperty("Statuses").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
            Assert.True(statuses.GetValueOrDefault("200") > 0, $"{name}: no 200s ({string.Join(", ", statuses)})");
            Assert.All(statuses.Keys, code => Assert.Contains(code, name == "gateway-10pct-invalid" ? new[] { "200", "401" } : ["200"]));
        }

        Assert.True(scenarios["gateway-10pct-invalid"].GetProperty("Statuses").GetProperty("401").GetInt64() > 0);
        Assert.True(File.Exists(output.File("results.md")));
        Assert.True(new FileInfo(output.File("chart.png")).Length > 1000);
    }
}
