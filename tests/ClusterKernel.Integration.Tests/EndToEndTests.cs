using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using ClusterKernel.Agent.Tests;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>A master node and an agent node as separate ActorSystems on loopback; tasks run for real.</summary>
[Collection("cluster")]
public sealed class EndToEndTests
{
    private static CommandRequest Echo(string text, string? image = null) =>
        new(null, image, $"echo {text}", Array.Empty<string>(), true, 0.1, 32, 0, null);

    [Fact]
    public async Task A_process_task_runs_to_TASK_FINISHED_with_its_output_in_the_sandbox()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);

        var view = await TestCluster.RunToEnd(master, Echo("hello"));

        Assert.Equal(TaskState.TASK_FINISHED, view.State);
        Assert.Contains(TaskState.TASK_RUNNING, view.Statuses.Select(s => s.State));
        Assert.Equal("hello\n", await TestCluster.ReadSandbox(master, view, "stdout"));
        await agent.DisposeAsync();
    }

    [DockerFact]
    public async Task A_docker_task_runs_to_TASK_FINISHED_with_its_output_in_the_sandbox()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        Assert.Contains("docker", agent.Containerizers);

        var view = await TestCluster.RunToEnd(master, Echo("hello", DockerFactAttribute.TestImage));

        Assert.Equal(TaskState.TASK_FINISHED, view.State);
        Assert.Equal("hello\n", await TestCluster.ReadSandbox(master, view, "stdout"));
        await agent.DisposeAsync();
    }

    [Fact]
    public async Task A_failing_command_ends_TASK_FAILED_with_its_exit_code()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);

        var view = await TestCluster.RunToEnd(master, Echo("oops; exit 3"));

        Assert.Equal(TaskState.TASK_FAILED, view.State);
        Assert.Equal(3, view.Statuses.Last().ExitCode);
        await agent.DisposeAsync();
    }

    [Fact]
    public async Task A_running_task_is_killed_on_request_and_ends_TASK_KILLED()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);

        var accepted = await master.CommandFramework!.Ask<CommandAccepted>(
            new RunCommand(new CommandRequest("sleeper", null, "sleep 300", Array.Empty<string>(), true, 0.1, 32, 0, null)), TimeSpan.FromSeconds(10));
        CommandView? view = null;
        await TestCluster.AwaitTrue(async () =>
            (view = await master.CommandFramework!.Ask<CommandView>(new GetCommand(accepted.TaskId), TimeSpan.FromSeconds(5))).State == TaskState.TASK_RUNNING,
            "task running", describe: () => string.Join(" / ", view?.Statuses.Select(s => $"{s.State} {s.Reason} {s.Message}") ?? Array.Empty<string>()));

        await master.CommandFramework!.Ask<object>(new KillCommand(accepted.TaskId), TimeSpan.FromSeconds(5));

        await TestCluster.AwaitTrue(async () =>
            (await master.CommandFramework!.Ask<CommandView>(new GetCommand(accepted.TaskId), TimeSpan.FromSeconds(5))).State == TaskState.TASK_KILLED,
            "task killed", TimeSpan.FromSeconds(30));
        await agent.DisposeAsync();
    }
}
