using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.LoadTests;

/// <summary>One wrk run's figures.</summary>
internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P90Ms, double P99Ms, long Requests, IReadOnlyDictionary<int, long> Statuses)
{
    public int Connections { get; init; }

    /// <summary>CPU time the proxy under test spent per request (µs, user + system), NaN when not measured (nginx).</summary>
    public double CpuMicrosPerRequest { get; init; } = double.NaN;
}

/// <summary>
/// Runs wrk (one thread, pinned to the load CPU) with a Lua script that rotates over a data file of
/// (Authorization, path, body) lines, optionally swapping every Nth credential for an invalid one,
/// and counts response statuses per run.
/// </summary>
internal static partial class Wrk
{
    private const string Script = """
        local lines, invalid, threads = {}, {}, {}
        function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
        function init(args)
          for line in io.lines(args[1]) do
            local auth, path, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
            table.insert(lines, { auth, path, body })
          end
          every = tonumber(args[2]) or 0
          if every > 0 then for line in io.lines(args[3]) do table.insert(invalid, line) end end
          fixed = args[4] == "1"
          counter = 0
          statuses = {}
        end
        function request()
          counter = counter + 1
          -- Keep-alive keys: each thread (one connection) repeats its own line, as an SDK session does.
          local e = fixed and lines[(id % #lines) + 1] or lines[(counter % #lines) + 1]
          local auth = e[1]
          if every > 0 and counter % every == 0 then auth = invalid[(math.floor(counter / every) % #invalid) + 1] end
          local headers = { ["Content-Type"] = "application/json", ["User-Agent"] = "W&B Internal Client 0.22.3" }
          if auth ~= "" then headers["Authorization"] = auth end
          return wrk.format("POST", e[2], headers, e[3])
        end
        function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
        function done(summary, latency, requests)
          for _, t in ipairs(threads) do
            for code, count in pairs(t:get("statuses")) do io.write(string.format("STATUS %d %d\n", code, count)) end
          end
        end
        """;

    public static string WriteScript(string directory)
    {
        var path = Path.Combine(directory, "rotate.lua");
        File.WriteAllText(path, Script);
        return path;
    }

    public static string WriteData(string directory, string name, IEnumerable<(string Auth, string Path, string Body)> lines)
    {
        var path = Path.Combine(directory, name);
        var builder = new StringBuilder();
        foreach (var (auth, target, body) in lines)
        {
            builder.Append(auth).Append('\t').Append(target).Append('\t').Append(body).Append('\n');
        }

        File.WriteAllText(path, builder.ToString());
        return path;
    }

    public static WrkResult Run(string url, string script, string data, int invalidEvery, string? invalidFile, int connections, int seconds, string? cpus, bool keepAliveKeys = false)
    {
        var args = new List<string>
        {
            keepAliveKeys ? $"-t{connections}" : "-t1", $"-c{connections}", $"-d{seconds}s", "--latency", "--timeout", "5s",
            "-s", script, url, "--", data, invalidEvery.ToString(CultureInfo.InvariantCulture), invalidFile ?? "", keepAliveKeys ? "1" : "0",
        };
        var output = cpus is not null ? Tools.Run("taskset", ["-c", cpus, Tools.Wrk, .. args]) : Tools.Run(Tools.Wrk, [.. args]);
        return Parse(output) with { Connections = connections };
    }

    public static WrkResult Parse(string output)
    {
        var rps = double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(Total().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        double Percentile(string p) => ToMs(Regex.Match(output, $@"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline));
        // One STATUS line per wrk thread and status: summed over threads.
        var statuses = StatusLine().Matches(output)
            .GroupBy(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => g.Sum(m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));
        return new WrkResult(rps, Percentile("50"), Percentile("90"), Percentile("99"), requests, statuses);
    }

    private static double ToMs(Match match)
    {
        if (!match.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Total();

    [GeneratedRegex(@"^STATUS (\d+) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex StatusLine();
}
