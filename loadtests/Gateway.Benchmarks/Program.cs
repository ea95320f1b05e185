using BenchmarkDotNet.Running;

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --filter '*'
// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --allocations   (bytes per request, by part)
if (args.Contains("--allocations"))
{
    Gateway.Benchmarks.AllocationBreakdown.Run();
    return;
}

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --allocation-types-graphql   (what UpsertBucket's analysis allocates, by type)
if (args.Contains("--allocation-types-graphql"))
{
    Gateway.Benchmarks.AllocationTypes.RunGraphQl();
    return;
}

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --loop 30 [--keep-alive] [--rotating 10000]   (the API-key hot path for N seconds, to attach perf to)
if (args.Length >= 2 && args[0] == "--loop")
{
    var rotating = Array.IndexOf(args, "--rotating") is var at and > 0 ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 0;
    var bench = new Gateway.Benchmarks.HotPathBenchmarks { Credential = "api_key", KeepAlive = args.Contains("--keep-alive"), Rotating = rotating };
    bench.Setup();
    var until = DateTime.UtcNow.AddSeconds(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    long count = 0;
    while (DateTime.UtcNow < until)
    {
        for (var i = 0; i < 10_000; i++)
        {
            bench.AuthorizeAndSetHeaders().GetAwaiter().GetResult();
        }

        count += 10_000;
    }

    Console.WriteLine($"{count:N0} requests");
    bench.Cleanup();
    return;
}

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --loop-graphql 30   (UpsertBucket under the rule table for N seconds)
if (args.Length == 2 && args[0] == "--loop-graphql")
{
    var bench = new Gateway.Benchmarks.IdentityTrafficBenchmarks();
    bench.Setup();
    var until = DateTime.UtcNow.AddSeconds(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    long count = 0;
    while (DateTime.UtcNow < until)
    {
        for (var i = 0; i < 10_000; i++)
        {
            bench.UpsertBucketRules();
        }

        count += 10_000;
    }

    Console.WriteLine($"{count:N0} requests");
    bench.Cleanup();
    return;
}

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --last-used 10000   (a last-used flush's cost per key)
if (args.Length == 2 && args[0] == "--last-used")
{
    Gateway.Benchmarks.LastUsedFlushProbe.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
