using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Dupa.Benchmarks.EngineBenchmarks).Assembly).Run(args);
