using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Gateway.LoadTests;

internal sealed record ScenarioSummary(
    string Name, string Title, int Connections, double RequestsPerSecond, double P50Ms, double P90Ms, double P99Ms, double RatioToYarp,
    IReadOnlyDictionary<int, long> Statuses, IReadOnlyList<WrkResult> Rounds, IReadOnlyList<WrkResult> Warmup)
{
    /// <summary>Median CPU µs per request of the proxy under test (NaN for nginx).</summary>
    public double CpuMicrosPerRequest { get; init; } = double.NaN;
}

internal sealed record Machine(string Cpu, int Cores, string Runtime, string Os, string Wrk, string Nginx, bool Pinned);

internal sealed record RunReport(
    DateTimeOffset At, Machine Machine, HarnessOptions Options, int SeededKeys, double SeedSeconds, LookupStats UncachedLookup,
    double GatewayStartupSeconds, long GatewayRssBeforeBytes, long GatewayRssAfterBytes, long GatewayRssAfterInvalidBytes,
    IReadOnlyList<ScenarioSummary> Scenarios);

/// <summary>results.json, results.md (the table for loadtests/README.md) and chart.png.</summary>
internal static class Report
{
    public static Machine DescribeMachine(bool pinned)
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
            Version(Tools.Wrk, "--version"), Version(Tools.Nginx, "-v"), pinned && Tools.HasTaskset);
    }

    public static ScenarioSummary Summarize(Scenario scenario, IReadOnlyList<WrkResult> rounds, double yarpRps, int connections, IReadOnlyList<WrkResult> warmup)
    {
        double Median(Func<WrkResult, double> pick)
        {
            var values = rounds.Select(pick).OrderBy(v => v).ToArray();
            return values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
        }

        var statuses = rounds.SelectMany(r => r.Statuses).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        var rps = Median(r => r.RequestsPerSecond);
        return new ScenarioSummary(scenario.Name, scenario.Title, connections, rps, Median(r => r.P50Ms), Median(r => r.P90Ms), Median(r => r.P99Ms),
            yarpRps > 0 ? rps / yarpRps : double.NaN, statuses, rounds, warmup) { CpuMicrosPerRequest = Median(r => r.CpuMicrosPerRequest) };
    }

    public static void Write(string output, RunReport report)
    {
        File.WriteAllText(Path.Combine(output, "results.json"), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        File.WriteAllText(Path.Combine(output, "results.md"), Markdown(report));
        Chart(Path.Combine(output, "chart.png"), report);
    }

    public static string Markdown(RunReport r)
    {
        var s = new StringBuilder();
        var m = r.Machine;
        s.AppendLine(CultureInfo.InvariantCulture, $"Run {r.At:yyyy-MM-dd HH:mm} UTC on {m.Cpu}, {m.Cores} cores, {m.Os}, {m.Runtime}; {m.Wrk}; {m.Nginx}.");
        var pinning = m.Pinned ? "Proxies pinned to CPU 0, wrk and the nginx upstream to CPU 1." : "Unpinned: proxies, upstream and wrk share both cores.";
        var threads = r.Options.KeepAliveKeys ? "-tN (one thread per connection, each repeating one key's request: keep-alive keys)" : "-t1";
        s.AppendLine(CultureInfo.InvariantCulture, $"wrk {threads} -c{string.Join("/", r.Options.Connections)}, {r.Options.Rounds} interleaved rounds (alternating order) of {r.Options.DurationSeconds} s after a warm-up until steady (chunks of {r.Options.WarmupSeconds} s until two agree within 3 %, at least 60 s, at most {r.Options.WarmupMaxSeconds} s) per scenario; medians over rounds. {pinning}{(r.Options.ReadyToRun ? " Both proxies published ReadyToRun." : "")}");
        s.AppendLine(CultureInfo.InvariantCulture, $"Store: {r.SeededKeys:N0} keys (seeded in {r.SeedSeconds:F1} s); the load rotates over {r.Options.RotatingKeys:N0} of them.");
        s.AppendLine();
        s.AppendLine("| scenario | conns | req/s | × plain YARP | CPU µs/req | p50 ms | p90 ms | p99 ms | rounds (req/s) | warm-up chunks (req/s) | statuses |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|");
        foreach (var x in r.Scenarios)
        {
            var statuses = string.Join(", ", x.Statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value:N0}"));
            var rounds = string.Join(" / ", x.Rounds.Select(w => w.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
            var warm = x.Warmup.Count == 0 || x.Connections != r.Options.Connections.Max()
                ? "" : string.Join(" / ", x.Warmup.Select(w => w.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
            var cpu = double.IsNaN(x.CpuMicrosPerRequest) ? "–" : x.CpuMicrosPerRequest.ToString("F1", CultureInfo.InvariantCulture);
            s.AppendLine(CultureInfo.InvariantCulture, $"| {x.Title} | {x.Connections} | {x.RequestsPerSecond:N0} | {x.RatioToYarp:P0} | {cpu} | {x.P50Ms:F2} | {x.P90Ms:F2} | {x.P99Ms:F2} | {rounds} | {warm} | {statuses} |");
        }

        s.AppendLine();
        foreach (var connections in r.Options.Connections)
        {
            ScenarioSummary? Find(string name) => r.Scenarios.FirstOrDefault(x => x.Name == name && x.Connections == connections);
            var yarp = Find(Scenarios.Yarp);
            var gateway = Find(Scenarios.ApiKey);
            var token = Find(Scenarios.AccessToken);
            var graphql = Find(Scenarios.GraphQl);
            var invalid = Find(Scenarios.Invalid);
            var c = $"{connections} connections";
            if (yarp is not null)
            {
                var low = yarp.Rounds.Min(w => w.RequestsPerSecond);
                var high = yarp.Rounds.Max(w => w.RequestsPerSecond);
                s.AppendLine(CultureInfo.InvariantCulture, $"- {c}: plain YARP's rounds spread {low:N0}–{high:N0} req/s ({(high - low) / yarp.RequestsPerSecond:P0} of its median): the machine's noise at this load.");
            }

            if (yarp is not null && gateway is not null && !double.IsNaN(gateway.CpuMicrosPerRequest))
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {c}: CPU per request, gateway with API keys {gateway.CpuMicrosPerRequest:F1} µs against plain YARP's {yarp.CpuMicrosPerRequest:F1} µs ({yarp.CpuMicrosPerRequest / gateway.CpuMicrosPerRequest:P0}: the throughput ratio a CPU-bound proxy would reach).");
            }

            if (yarp is not null && gateway is not null)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {c}: gateway with API keys {gateway.RatioToYarp:P1} of plain YARP (target ≥ {(r.Machine.Pinned ? "95" : "90")} %); p99 {gateway.P99Ms - yarp.P99Ms:+0.00;-0.00} ms against YARP (target ≤ +1 ms).");
            }

            if (yarp is not null && token is not null)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {c}: exchanged access tokens {token.RatioToYarp:P1} of plain YARP; p99 {token.P99Ms - yarp.P99Ms:+0.00;-0.00} ms against YARP.");
            }

            if (graphql is not null)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {c}: GraphQL UpsertBucket {graphql.RatioToYarp:P1} of plain YARP sending the same body (target ≥ 85 %).");
            }

            if (invalid is not null && gateway is not null)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- {c}: 10 % invalid keys {invalid.RequestsPerSecond / gateway.RequestsPerSecond - 1:+0.0%;-0.0%} throughput against all-valid keys (target within 5 %).");
            }
        }

        if (r.GatewayRssAfterInvalidBytes > 0)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- Gateway RSS {Mb(r.GatewayRssAfterBytes)} MB after the load, {Mb(r.GatewayRssAfterInvalidBytes)} MB after the invalid-key rounds.");
        }
        s.AppendLine(CultureInfo.InvariantCulture, $"- Gateway startup to ready with {r.SeededKeys:N0} keys: {r.GatewayStartupSeconds:F2} s (target ≤ 10 s); resident memory {Mb(r.GatewayRssBeforeBytes)} MB after startup, {Mb(r.GatewayRssAfterBytes)} MB after the load (target ≤ 1 GB).");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Uncached key lookup straight against the store ({r.UncachedLookup.Samples:N0} samples, half hits, half misses): p50 {r.UncachedLookup.P50Microseconds:F0} µs, p99 {r.UncachedLookup.P99Microseconds:F0} µs (target ≤ 1 ms), max {r.UncachedLookup.MaxMicroseconds:F0} µs.");
        return s.ToString();
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F0", CultureInfo.InvariantCulture);

    private static void Chart(string path, RunReport report)
    {
        var plot = new ScottPlot.Plot();
        var shown = report.Scenarios.Where(x => x.Connections == report.Options.Connections[0]).ToList();
        var bars = shown.Select((x, i) => new ScottPlot.Bar { Position = i, Value = x.RequestsPerSecond, Label = $"{x.RequestsPerSecond:N0}" }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, shown.Count).Select(i => (double)i).ToArray(), shown.Select(x => x.Name).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -25;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.UpperRight;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel("requests/s (median of rounds)");
        plot.Title($"{report.Machine.Cores}-core {report.Machine.Cpu}, wrk -c{report.Options.Connections[0]}, {(report.Machine.Pinned ? "pinned" : "unpinned")}, {report.SeededKeys:N0} keys");
        plot.SavePng(path, 1000, 560);
    }
}
