using ClusterKernel.Agent;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Hosting;
using ClusterKernel.Hosting.Bench;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>The scale bench's code path, small: correctness only (every task reaches RUNNING), no timing assertions.</summary>
[Collection("cluster")]
public sealed class ScaleBenchSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Bench_with_50_simulated_agents_brings_all_500_tasks_to_TASK_RUNNING()
    {
        var result = await ScaleBench.RunAsync(new ScaleBenchOptions
        {
            Agents = 50, Frameworks = 3, Roles = 2, Tasks = 500, Shape = "cpus:0.1;mem:32", Command = "sleep 30",
            DataDir = TestCluster.TempDir("bench"), Timeout = TimeSpan.FromMinutes(2),
            ExtraHocon = "clusterkernel.master.allocation-interval = 200ms", Log = output.WriteLine,
        });
        output.WriteLine(result.Table);

        Assert.Equal(500, result.Running);
        Assert.Equal(0, result.Failed);
        Assert.Equal(500, result.StateTasks);
        Assert.Equal(50, result.AllocatorMetrics.GetValueOrDefault("master/slaves_connected"));
    }

    /// <summary>Submissions spread over time: with offers held (launched from the hand) and without (REVIVE on new demand).</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task Bench_at_a_rate_brings_every_task_to_TASK_RUNNING_holding_offers_or_reviving(int holdOffers)
    {
        var result = await ScaleBench.RunAsync(new ScaleBenchOptions
        {
            Agents = 20, Frameworks = 2, Roles = 1, Tasks = 200, Shape = "cpus:0.1;mem:32", Command = "sleep 30",
            Duration = TimeSpan.FromSeconds(2), HoldOffers = holdOffers, MeasureMasterMemory = false,
            DataDir = TestCluster.TempDir("bench-rate"), Timeout = TimeSpan.FromMinutes(2), Log = output.WriteLine,
        });
        output.WriteLine(result.Table);

        Assert.Equal(200, result.Running);
        Assert.Equal(0, result.Failed);
    }

    [Fact]
    public async Task A_simulated_agent_list_gets_only_the_simulated_containerizer()
    {
        var settings = new AgentSettings
        {
            WorkDir = TestCluster.TempDir("sim"), Hostname = "sim-0", Resources = ClusterKernel.Resources.Resources.Parse("cpus:1;mem:128"),
            Containerizers = new[] { "docker", "process", "simulated" },
        };
        var list = await ContainerizerFactory.CreateAsync(settings);
        Assert.IsType<SimulatedContainerizer>(Assert.Single(list));
    }
}
