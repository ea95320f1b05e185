using System.Globalization;

namespace Gateway.LoadTests;

/// <summary>Command-line options. <c>--smoke</c> is the CI mode: tiny, one short round, statuses asserted.</summary>
internal sealed record HarnessOptions
{
    public int Keys { get; init; } = 100_000;
    public int RotatingKeys { get; init; } = 10_000;
    public int Rounds { get; init; } = 3;
    public int DurationSeconds { get; init; } = 10;
    public int WarmupSeconds { get; init; } = 10;
    public int WarmupMaxSeconds { get; init; } = 150;
    public int[] Connections { get; init; } = [32];
    public bool Pinned { get; init; } = true;
    public bool ReadyToRun { get; init; }

    /// <summary>One wrk thread per connection, each sending one key's request again and again (an SDK's session), instead of rotating keys per request.</summary>
    public bool KeepAliveKeys { get; init; }
    public bool Smoke { get; init; }
    public bool Install { get; init; } = true;
    // A run directory of its own by default: a run (or the test suite's smoke run) never overwrites the
    // committed report in loadtests/results/, which is replaced only on purpose (--out loadtests/results).
    public string Output { get; init; } = $"loadtests/runs/{DateTime.UtcNow:yyyy-MM-dd-HHmmss}";
    public string[] Only { get; init; } = [];

    public static HarnessOptions Parse(string[] args)
    {
        var options = new HarnessOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number() => int.Parse(Next(), NumberStyles.None, CultureInfo.InvariantCulture);
            options = args[i] switch
            {
                "--keys" => options with { Keys = Number() },
                "--rotating-keys" => options with { RotatingKeys = Number() },
                "--rounds" => options with { Rounds = Number() },
                "--duration" => options with { DurationSeconds = Number() },
                "--warmup" => options with { WarmupSeconds = Number() },
                "--warmup-max" => options with { WarmupMaxSeconds = Number() },
                "--connections" => options with { Connections = [.. Next().Split(',').Select(c => int.Parse(c, NumberStyles.None, CultureInfo.InvariantCulture))] },
                "--unpinned" => options with { Pinned = false },
                "--ready-to-run" => options with { ReadyToRun = true },
                "--keep-alive-keys" => options with { KeepAliveKeys = true },
                "--out" => options with { Output = Next() },
                "--only" => options with { Only = Next().Split(',', StringSplitOptions.RemoveEmptyEntries) },
                "--no-install" => options with { Install = false },
                "--smoke" => options with { Smoke = true, Keys = 2_000, RotatingKeys = 1_000, Rounds = 1, DurationSeconds = 2, WarmupSeconds = 1, WarmupMaxSeconds = 1, Connections = [8] },
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"Unknown option '{args[i]}'.\n{Usage}"),
            };
        }

        if (options.Connections.Length == 0 || options.Connections.Any(c => c < 1))
        {
            throw new ArgumentException("--connections needs positive numbers, e.g. 1,32,256.");
        }

        if (options.RotatingKeys > options.Keys)
        {
            options = options with { RotatingKeys = options.Keys };
        }

        return options;
    }

    public const string Usage = """
        dotnet run -c Release --project loadtests/Gateway.LoadTests -- [options]
          --keys N            keys seeded in the store (default 100000; 1000000 works)
          --rotating-keys N   distinct keys the load rotates over (default 10000)
          --rounds N          interleaved rounds (default 3)
          --duration S        seconds per scenario per round (default 10)
          --warmup S          one warm-up chunk in seconds (default 10): each scenario warms up in chunks
                              until two in a row agree within 3 % (after at least 60 s)
          --warmup-max S      the most warm-up per scenario (default 150)
          --connections N,..  wrk connections, one wrk thread; a list runs every scenario at each (default 32)
          --unpinned          no taskset: proxies, upstream and wrk share both cores (small deployments);
                              default pins the proxies to CPU 0, wrk and the upstream to CPU 1
          --ready-to-run      publish both proxies ReadyToRun (linux-x64): precompiled code from the start,
                              the shorter warm-up an operator who publishes that way sees
          --keep-alive-keys   one wrk thread per connection, each repeating one key's request (SDK sessions
                              on keep-alive connections) instead of every request taking the next key
          --only a,b          run only these scenarios
          --out DIR           where results.json, results.md and chart.png go (default loadtests/runs/<UTC time>/;
                              --out loadtests/results replaces the committed report)
          --no-install        do not apt-get install wrk/nginx when missing
          --smoke             CI mode: 2000 keys, 1 round of 2 s, statuses asserted
        """;
}
