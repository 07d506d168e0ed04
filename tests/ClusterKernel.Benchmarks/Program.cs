using BenchmarkDotNet.Running;
using ClusterKernel.Benchmarks;

if (args.Length > 0 && args[0] == "scenarios") ScenarioRunner.Run(args[1..]);
else BenchmarkSwitcher.FromAssembly(typeof(ScenarioRunner).Assembly).Run(args);
