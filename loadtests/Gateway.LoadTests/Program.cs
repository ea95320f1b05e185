using System.Diagnostics;
using Gateway.LoadTests;

// One command: dotnet run -c Release --project loadtests/Gateway.LoadTests -- [--keys 100000] [--smoke]
HarnessOptions options;
try
{
    options = HarnessOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var clock = Stopwatch.StartNew();
void Progress(string message) => Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {message}");

var root = Tools.RepositoryRoot();
var output = Path.GetFullPath(Path.IsPathRooted(options.Output) ? options.Output : Path.Combine(root, options.Output));
System.IO.Directory.CreateDirectory(output);
Tools.EnsureInstalled(options.Install);
Servers.Publish(root, output, options.ReadyToRun);

Progress($"Seeding a fresh store with {options.Keys:N0} keys...");
var seed = Seeder.Seed(Path.Combine(output, "store"), options.Keys, options.RotatingKeys);
Progress($"Seeded in {seed.Elapsed.TotalSeconds:F1} s; uncached lookup p99 {seed.Lookup.P99Microseconds:F0} µs.");

await using var servers = new Servers(options.Pinned);
await servers.StartAsync(output, seed.StorePath, seed.Rotating);
var rssStart = servers.Gateway!.ResidentBytes();
Progress($"Servers up; gateway ready in {servers.GatewayStartup.TotalSeconds:F2} s, RSS {rssStart / 1048576} MB.");

var data = Path.Combine(output, "data");
System.IO.Directory.CreateDirectory(data);
var script = Wrk.WriteScript(data);
var invalidFile = Path.Combine(data, "invalid.txt");
await File.WriteAllLinesAsync(invalidFile, seed.Invalid);
var scenarios = Scenarios.Build(servers, data, seed.Rotating, seed.AccessTokens).Where(s => options.Only.Length == 0 || options.Only.Contains(s.Name)).ToList();

// The CPU time the .NET proxy under test spends per request: steadier than requests/s on a machine
// whose speed drifts, since it does not depend on how much CPU the machine gave the process.
WrkResult RunOne(Scenario s, int connections, int seconds)
{
    var process = s.Name.StartsWith("gateway", StringComparison.Ordinal) ? servers.Gateway : s.Name.StartsWith("yarp", StringComparison.Ordinal) ? servers.Yarp : null;
    var cpuBefore = process?.CpuSeconds() ?? double.NaN;
    var result = Wrk.Run(s.Url, script, s.Data, s.InvalidEvery, s.InvalidEvery > 0 ? invalidFile : null, connections, seconds, servers.LoadCpus, options.KeepAliveKeys);
    var cpu = (process?.CpuSeconds() ?? double.NaN) - cpuBefore;
    return result with { CpuMicrosPerRequest = result.Requests > 0 ? cpu * 1e6 / result.Requests : double.NaN };
}

// Warm-up until steady: .NET tiers its code up for a minute or more under load (the gateway, with more
// code on the path, longer than plain YARP), and a round measured before that is an outlier. Each
// scenario runs in chunks until two in a row agree within 3 % (after at least a minute, at most
// --warmup-max); every chunk is kept in results.json.
var warmups = new Dictionary<string, List<WrkResult>>();
foreach (var scenario in scenarios)
{
    var chunks = warmups[scenario.Name] = [];
    var elapsed = 0;
    while (elapsed < options.WarmupMaxSeconds)
    {
        var chunk = RunOne(scenario, options.Connections.Max(), options.WarmupSeconds);
        chunks.Add(chunk);
        elapsed += options.WarmupSeconds;
        Progress($"warm-up: {scenario.Name} {chunk.RequestsPerSecond:N0} req/s");
        // At least a minute: a process still in its first tier can plateau for a while before tiering up.
        if (chunks.Count >= 2 && elapsed >= Math.Min(60, options.WarmupMaxSeconds) && Math.Abs(chunk.RequestsPerSecond / chunks[^2].RequestsPerSecond - 1) < 0.03)
        {
            break;
        }
    }
}

var results = scenarios.SelectMany(s => options.Connections.Select(c => (s.Name, c))).ToDictionary(k => k, _ => new List<WrkResult>());
long rssBeforeInvalid = 0, rssAfterInvalid = 0;
for (var round = 1; round <= options.Rounds; round++)
{
    foreach (var connections in options.Connections)
    {
        // Odd rounds run A B C ..., even rounds ... C B A: this machine speeds up and slows down over a
        // run, and alternating cancels the drift that a fixed order would hand to the later scenarios.
        foreach (var scenario in round % 2 == 1 ? scenarios : Enumerable.Reverse(scenarios))
        {
            Progress($"round {round}/{options.Rounds}, {connections} connections: {scenario.Name}");
            if (scenario.Name == Scenarios.Invalid && round == 1 && rssBeforeInvalid == 0)
            {
                rssBeforeInvalid = servers.Gateway.ResidentBytes();
            }

            var result = RunOne(scenario, connections, options.DurationSeconds);
            results[(scenario.Name, connections)].Add(result);
            if (scenario.Name == Scenarios.Invalid)
            {
                rssAfterInvalid = servers.Gateway.ResidentBytes();
            }

            Progress($"  {result.RequestsPerSecond:N0} req/s, p99 {result.P99Ms:F2} ms, statuses {string.Join(" ", result.Statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}:{p.Value}"))}");
        }
    }
}

var summaries = new List<ScenarioSummary>();
foreach (var connections in options.Connections)
{
    double Baseline(string name) => results.TryGetValue((name, connections), out var rounds) && rounds.Count > 0
        ? Report.Summarize(scenarios.First(s => s.Name == name), rounds, 0, connections, []).RequestsPerSecond
        : 0;
    summaries.AddRange(scenarios.Select(s => Report.Summarize(s, results[(s.Name, connections)], Baseline(s.Baseline), connections, warmups[s.Name])));
}

var report = new RunReport(DateTimeOffset.UtcNow, Report.DescribeMachine(options.Pinned), options, options.Keys, seed.Elapsed.TotalSeconds, seed.Lookup,
    servers.GatewayStartup.TotalSeconds, rssStart, servers.Gateway.ResidentBytes(), rssAfterInvalid == 0 ? rssBeforeInvalid : rssAfterInvalid, summaries);
Report.Write(output, report);
Console.WriteLine();
Console.WriteLine(Report.Markdown(report));
Progress($"Wrote {Path.Combine(output, "results.json")}, results.md and chart.png.");

// Every scenario must have answered, and only with the statuses it should.
var wrong = summaries.Where(s => s.Statuses.Count == 0 || s.Statuses.Keys.Any(code => !scenarios.First(x => x.Name == s.Name).ExpectedStatuses.Contains(code))).ToList();
foreach (var s in wrong)
{
    Console.Error.WriteLine($"Scenario {s.Name} produced unexpected statuses: {string.Join(", ", s.Statuses.Select(p => $"{p.Key}: {p.Value}"))}");
}

return wrong.Count == 0 ? 0 : 1;
