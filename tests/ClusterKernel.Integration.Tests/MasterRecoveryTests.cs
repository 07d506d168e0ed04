using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using Xunit;

namespace ClusterKernel.Integration.Tests;

[Collection("cluster")]
public sealed class MasterRecoveryTests
{
    [Fact]
    public Task A_new_master_on_the_same_SQLite_file_recovers_the_registry_and_the_agent_reregisters_with_its_running_task() =>
        RestartScenario(postgres: null);

    [PostgresFact]
    public async Task A_new_master_on_the_same_PostgreSQL_database_recovers_the_registry_and_the_agent_reregisters_with_its_running_task() =>
        await RestartScenario(await PostgresFactAttribute.CreateDatabase());

    private static async Task RestartScenario(string? postgres)
    {
        var dataDir = TestCluster.TempDir("master");
        var master = await TestCluster.StartMaster(dataDir, postgres: postgres);
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        var before = await TestCluster.AwaitAgents(master, 1);
        var agentId = before.Agents.Single().Id;

        var accepted = await master.CommandFramework!.Ask<CommandAccepted>(
            new RunCommand(new CommandRequest("long", null, "sleep 300", Array.Empty<string>(), true, 0.1, 32, 0, null)), TimeSpan.FromSeconds(10));
        CommandView? view = null;
        await TestCluster.AwaitTrue(async () =>
            (view = await master.CommandFramework!.Ask<CommandView>(new GetCommand(accepted.TaskId), TimeSpan.FromSeconds(5))).State == TaskState.TASK_RUNNING,
            "task running");
        var frameworkId = view!.FrameworkId!.Value;

        await master.DisposeAsync();
        // With PostgreSQL the new master shares nothing on disk with the old one: a fresh data directory.
        await using var restarted = await TestCluster.StartMaster(postgres is null ? dataDir : TestCluster.TempDir("master2"), join: agent, postgres: postgres);

        ClusterState? state = null;
        await TestCluster.AwaitTrue(async () =>
        {
            state = await restarted.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(5));
            return state.Tasks.Any(t => t.Id == accepted.TaskId && t.State == TaskState.TASK_RUNNING);
        }, "the agent to re-register with its running task", describe: () => $"{state?.Agents.Count} agents, {state?.Tasks.Count} tasks");

        Assert.NotEqual(before.MasterEpoch, state!.MasterEpoch);
        Assert.Equal(agentId, state.Agents.Single().Id);
        // The registry remembered the framework (disconnected: its node went away) and it keeps its task within failover_timeout.
        var fw = Assert.Single(state.Frameworks, f => f.Id == frameworkId);
        Assert.False(fw.Connected);
        Assert.Equal(frameworkId, state.Tasks.Single(t => t.Id == accepted.TaskId).FrameworkId);
        await agent.DisposeAsync();
    }
}
