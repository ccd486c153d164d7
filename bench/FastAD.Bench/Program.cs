using BenchmarkDotNet.Running;

// BenchmarkDotNet entry point: `dotnet run -c Release --project bench/FastAD.Bench -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(FastAD.Bench.PrimitiveBenchmarks).Assembly).Run(args);
