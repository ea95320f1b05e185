using BenchmarkDotNet.Running;

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --filter '*'
// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --allocations   (bytes per request, by part)
if (args.Contains("--allocations"))
{
    Gateway.Benchmarks.AllocationBreakdown.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
