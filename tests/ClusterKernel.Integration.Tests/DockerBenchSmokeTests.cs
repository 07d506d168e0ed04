using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Agent.Tests;
using Docker.DotNet;
using Docker.DotNet.Models;
using ClusterKernel.Hosting.Bench;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary><c>ck bench docker</c>'s code path with two runs of each path: correctness only, no timing assertions.</summary>
[Collection("cluster")]
public sealed class DockerBenchSmokeTests(ITestOutputHelper output)
{
    [DockerFact]
    public async Task Docker_bench_with_2_runs_measures_every_path_and_leaves_no_container()
    {
        var result = await DockerBench.RunAsync(new DockerBenchOptions
        {
            Runs = 2, Warmup = 0, Image = DockerFactAttribute.TestImage, DataDir = TestCluster.TempDir("dbench"), Log = output.WriteLine,
        });
        output.WriteLine(result.Table);

        Assert.Equal(0, result.Failures);
        Assert.Equal(2, result.DirectMs.Length);
        Assert.Equal(2, result.InHandMs.Length);
        Assert.Equal(2, result.ReviveMs.Length);
        Assert.All(result.InHandMs.Concat(result.DirectMs), ms => Assert.True(ms > 0));
        Assert.Contains("ratio of medians", result.Table);
        using var docker = new DockerClientConfiguration(new Uri(DockerContainerizer.ResolveEndpoint())).CreateClient();
        var left = await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true });
        Assert.DoesNotContain(left, c => c.Labels?.TryGetValue(DockerContainerizer.TaskLabel, out var t) == true && t.StartsWith("dbench-", StringComparison.Ordinal));
    }
}
