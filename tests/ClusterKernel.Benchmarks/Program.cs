using BenchmarkDotNet.Running;
using ClusterKernel.Benchmarks;

if (args.Length > 0 && args[0] == "scenarios") ScenarioRunner.Run(args[1..]);
else if (args.Length > 0 && args[0] == "wire") WireBenchmarks.RunQuick();
else BenchmarkSwitcher.FromAssembly(typeof(ScenarioRunner).Assembly).Run(args);
