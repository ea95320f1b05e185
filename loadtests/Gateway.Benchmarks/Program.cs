using BenchmarkDotNet.Running;

// dotnet run -c Release --project loadtests/Gateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
