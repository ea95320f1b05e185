using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Gateway.LoadTests;

internal sealed record ScenarioSummary(string Name, string Title, double RequestsPerSecond, double P50Ms, double P90Ms, double P99Ms, double RatioToYarp, IReadOnlyDictionary<int, long> Statuses, IReadOnlyList<WrkResult> Rounds);

internal sealed record Machine(string Cpu, int Cores, string Runtime, string Os, string Wrk, string Nginx, bool Pinned);

internal sealed record RunReport(
    DateTimeOffset At, Machine Machine, HarnessOptions Options, int SeededKeys, double SeedSeconds, LookupStats UncachedLookup,
    double GatewayStartupSeconds, long GatewayRssBeforeBytes, long GatewayRssAfterBytes, long GatewayRssAfterInvalidBytes,
    IReadOnlyList<ScenarioSummary> Scenarios);

/// <summary>results.json, results.md (the table for loadtests/README.md) and chart.png.</summary>
internal static class Report
{
    public static Machine DescribeMachine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
            : "unknown";
        string Version(string file, params string[] args)
        {
            try
            {
                return Tools.RunUnchecked(file, args).Split('\n')[0].Trim();
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                return "unknown";
            }
        }

        return new Machine(cpu, Environment.ProcessorCount, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription,
            Version(Tools.Wrk, "--version"), Version(Tools.Nginx, "-v"), Tools.HasTaskset);
    }

    public static ScenarioSummary Summarize(Scenario scenario, IReadOnlyList<WrkResult> rounds, double yarpRps)
    {
        double Median(Func<WrkResult, double> pick)
        {
            var values = rounds.Select(pick).OrderBy(v => v).ToArray();
            return values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
        }

        var statuses = rounds.SelectMany(r => r.Statuses).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        var rps = Median(r => r.RequestsPerSecond);
        return new ScenarioSummary(scenario.Name, scenario.Title, rps, Median(r => r.P50Ms), Median(r => r.P90Ms), Median(r => r.P99Ms),
            yarpRps > 0 ? rps / yarpRps : double.NaN, statuses, rounds);
    }

    public static void Write(string output, RunReport report)
    {
        File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(output, "results.md"), Markdown(report));
        Chart(Path.Combine(output, "chart.png"), report);
    }

    public static string Markdown(RunReport r)
    {
        var s = new StringBuilder();
        var m = r.Machine;
        s.AppendLine(CultureInfo.InvariantCulture, $"Run {r.At:yyyy-MM-dd HH:mm} UTC on {m.Cpu}, {m.Cores} cores, {m.Os}, {m.Runtime}; {m.Wrk}; {m.Nginx}.");
        var pinning = m.Pinned ? "Proxies pinned to CPU 0, wrk and the nginx upstream to CPU 1." : "No taskset: processes not pinned.";
        s.AppendLine(CultureInfo.InvariantCulture, $"wrk -t1 -c{r.Options.Connections}, {r.Options.Rounds} interleaved rounds (alternating order) of {r.Options.DurationSeconds} s after {r.Options.WarmupSeconds} s warm-up per scenario; medians over rounds. {pinning}");
        s.AppendLine(CultureInfo.InvariantCulture, $"Store: {r.SeededKeys:N0} keys (seeded in {r.SeedSeconds:F1} s); the load rotates over {r.Options.RotatingKeys:N0} of them.");
        s.AppendLine();
        s.AppendLine("| scenario | req/s | × plain YARP | p50 ms | p90 ms | p99 ms | statuses |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var x in r.Scenarios)
        {
            var statuses = string.Join(", ", x.Statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value:N0}"));
            s.AppendLine(CultureInfo.InvariantCulture, $"| {x.Title} | {x.RequestsPerSecond:N0} | {x.RatioToYarp:P0} | {x.P50Ms:F2} | {x.P90Ms:F2} | {x.P99Ms:F2} | {statuses} |");
        }

        var yarp = r.Scenarios.FirstOrDefault(x => x.Name == Scenarios.Yarp);
        var gateway = r.Scenarios.FirstOrDefault(x => x.Name == Scenarios.ApiKey);
        var invalid = r.Scenarios.FirstOrDefault(x => x.Name == Scenarios.Invalid);
        s.AppendLine();
        if (yarp is not null && gateway is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- Gateway with API keys: {gateway.RatioToYarp:P1} of plain YARP's throughput (target ≥ 85 %); p99 {gateway.P99Ms - yarp.P99Ms:+0.00;-0.00} ms against YARP (target ≤ +1 ms).");
        }

        var token = r.Scenarios.FirstOrDefault(x => x.Name == Scenarios.AccessToken);
        if (yarp is not null && token is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- Gateway with exchanged access tokens (Bearer): {token.RatioToYarp:P1} of plain YARP's throughput; p99 {token.P99Ms - yarp.P99Ms:+0.00;-0.00} ms against YARP.");
        }

        if (invalid is not null && gateway is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- 10 % invalid keys: {invalid.RequestsPerSecond / gateway.RequestsPerSecond - 1:+0.0%;-0.0%} throughput against all-valid keys (target ≥ -10 %); gateway RSS {Mb(r.GatewayRssAfterBytes)} MB before that scenario's rounds ended, {Mb(r.GatewayRssAfterInvalidBytes)} MB after.");
        }

        s.AppendLine(CultureInfo.InvariantCulture, $"- Gateway startup to ready with {r.SeededKeys:N0} keys: {r.GatewayStartupSeconds:F2} s (target ≤ 10 s); resident memory {Mb(r.GatewayRssBeforeBytes)} MB after startup, {Mb(r.GatewayRssAfterBytes)} MB after the load (target ≤ 1 GB).");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Uncached key lookup straight against the store ({r.UncachedLookup.Samples:N0} samples, half hits, half misses): p50 {r.UncachedLookup.P50Microseconds:F0} µs, p99 {r.UncachedLookup.P99Microseconds:F0} µs (target ≤ 1 ms), max {r.UncachedLookup.MaxMicroseconds:F0} µs.");
        return s.ToString();
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F0", CultureInfo.InvariantCulture);

    private static void Chart(string path, RunReport report)
    {
        var plot = new ScottPlot.Plot();
        var bars = report.Scenarios.Select((x, i) => new ScottPlot.Bar { Position = i, Value = x.RequestsPerSecond, Label = $"{x.RequestsPerSecond:N0}" }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, report.Scenarios.Count).Select(i => (double)i).ToArray(), report.Scenarios.Select(x => x.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -25;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.UpperRight;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("requests/s (median of rounds)");
        plot.Title($"{report.Machine.Cores}-core {report.Machine.Cpu}, wrk -c{report.Options.Connections}, {report.SeededKeys:N0} keys");
        plot.SavePng(path, 1000, 560);
    }
}
