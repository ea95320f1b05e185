using BenchmarkDotNet.Running;

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Gateway.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
