using System.Net;
using ClusterKernel.Agent;
using ClusterKernel.Agent.Tests;
using ClusterKernel.Framework;
using ClusterKernel.Hosting;
using ClusterKernel.Protocol;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>An agent restarted on the same work dir recovers its tasks (checkpoint + containerizer recovery) and re-registers
/// as the same agent; an agent-only node left alone when its only master restarts rejoins the new master's cluster.</summary>
[Collection("cluster")]
public sealed class AgentRecoveryTests
{
    private static readonly TimeSpan RejoinTimeout = TimeSpan.FromSeconds(45);

    private static CommandRequest Sleep300(string? image = null) => new("long", image, "sleep 300", Array.Empty<string>(), true, 0.1, 32, 0, null);

    private static async Task<CommandView> RunUntilRunning(ClusterNode master, string? image = null)
    {
        var accepted = await master.CommandFramework!.Ask<CommandAccepted>(new RunCommand(Sleep300(image)), TimeSpan.FromSeconds(10));
        CommandView? view = null;
        await TestCluster.AwaitTrue(async () =>
            (view = await master.CommandFramework!.Ask<CommandView>(new GetCommand(accepted.TaskId), TimeSpan.FromSeconds(5))).State == TaskState.TASK_RUNNING,
            "task running");
        return view!;
    }

    /// <summary>The task's process (group leader), from the agent's checkpoint and the pid file in its sandbox.</summary>
    private static int PidOf(string workDir, TaskId task)
    {
        var cp = AgentCheckpoint.Deserialize(File.ReadAllText(AgentCheckpoint.TaskFile(workDir, task)))!;
        Assert.Equal("process", cp.Containerizer);
        return int.Parse(File.ReadAllText(Path.Combine(cp.Sandbox, "pid")).Trim());
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (IOException) { return false; }
    }

    private static void KillGroup(int pid)
    {
        try { System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (Exception) { /* already gone */ }
    }

    /// <param name="registeredAfter">The agent's registration time must be later (the new incarnation re-registered, not the old one still listed).</param>
    private static async Task<ClusterState> AwaitAgentWithRunningTask(ClusterNode master, AgentId agent, TaskId task, TimeSpan timeout, double registeredAfter = 0)
    {
        ClusterState? state = null;
        await TestCluster.AwaitTrue(async () =>
        {
            state = await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(5));
            return state.Agents.Any(a => a.Id == agent && a.Active && a.RegisteredTime > registeredAfter) &&
                   state.Tasks.Any(t => t.Id == task && t.AgentId == agent && t.State == TaskState.TASK_RUNNING);
        }, $"agent {agent} active with task {task} running", timeout,
            () => $"agents [{string.Join(", ", state?.Agents.Select(a => $"{a.Id} active={a.Active} registered={a.RegisteredTime}") ?? [])}], " +
                  $"tasks [{string.Join(", ", state?.Tasks.Select(t => $"{t.Id}:{t.State}") ?? [])}]");
        return state!;
    }

    [Fact]
    public Task A_restarted_agent_node_on_the_same_work_dir_keeps_its_agent_id_and_its_running_process_task() => RestartAgentNode(null);

    [DockerFact]
    public Task A_restarted_agent_node_on_the_same_work_dir_keeps_its_agent_id_and_its_running_docker_task() => RestartAgentNode(DockerFactAttribute.TestImage);

    private static async Task RestartAgentNode(string? image)
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        var workDir = TestCluster.TempDir("agent");
        var agent = await TestCluster.StartAgent(master, workDir);
        var agentId = (await TestCluster.AwaitAgents(master, 1)).Agents.Single().Id;
        var view = await RunUntilRunning(master, image);
        var cp = AgentCheckpoint.Deserialize(File.ReadAllText(AgentCheckpoint.TaskFile(workDir, view.TaskId)))!;
        Assert.Equal(image is null ? "process" : "docker", cp.Containerizer);
        var pid = image is null ? PidOf(workDir, view.TaskId) : (int?)null;
        try
        {
            var registered = (await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(5))).Agents.Single().RegisteredTime;
            await agent.DisposeAsync();
            // The task's process runs in its own session (setsid): it outlives the agent that started it.
            if (pid is { } p) Assert.True(Alive(p), $"task process {p} died with its agent");

            await using var restarted = await TestCluster.StartAgent(master, workDir);
            var state = await AwaitAgentWithRunningTask(master, agentId, view.TaskId, TestCluster.Timeout, registered);
            Assert.Equal(agentId, Assert.Single(state.Agents, a => a.Active).Id);
            if (pid is { } p2) Assert.True(Alive(p2));

            await master.CommandFramework!.Ask<CommandKillRequested>(new KillCommand(view.TaskId), TimeSpan.FromSeconds(10));
            CommandView? end = null;
            await TestCluster.AwaitTrue(async () =>
                (end = await master.CommandFramework!.Ask<CommandView>(new GetCommand(view.TaskId), TimeSpan.FromSeconds(5))).State is { } s && s.IsTerminal(),
                "task to end after the kill");
            Assert.Equal(TaskState.TASK_KILLED, end!.State);
            if (pid is { } p3) await TestCluster.AwaitTrue(() => Task.FromResult(!Alive(p3)), "task process gone");
        }
        finally
        {
            if (pid is { } p4) KillGroup(p4);
        }
    }

    /// <summary>
    /// A process task that outlived its agent and ends after the restart is reported with its real exit status (the launch
    /// wrapper records it in the sandbox): exit 0 → TASK_FINISHED, exit 3 → TASK_FAILED "Command exited with status 3".
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task A_process_task_that_ends_after_an_agent_restart_is_reported_with_its_real_exit_status(int code)
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        var workDir = TestCluster.TempDir("agent");
        var agent = await TestCluster.StartAgent(master, workDir);
        var agentId = (await TestCluster.AwaitAgents(master, 1)).Agents.Single().Id;
        // Ends when the test creates `go` in its sandbox, i.e. only once the restarted agent has recovered it.
        var request = new CommandRequest("ends-later", null, $"while [ ! -e go ]; do sleep 0.1; done; exit {code}", Array.Empty<string>(), true, 0.1, 32, 0, null);
        var accepted = await master.CommandFramework!.Ask<CommandAccepted>(new RunCommand(request), TimeSpan.FromSeconds(10));
        await TestCluster.AwaitTrue(async () =>
            (await master.CommandFramework!.Ask<CommandView>(new GetCommand(accepted.TaskId), TimeSpan.FromSeconds(5))).State == TaskState.TASK_RUNNING,
            "task running");
        var pid = PidOf(workDir, accepted.TaskId);
        var sandbox = AgentCheckpoint.Deserialize(File.ReadAllText(AgentCheckpoint.TaskFile(workDir, accepted.TaskId)))!.Sandbox;
        try
        {
            var registered = (await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(5))).Agents.Single().RegisteredTime;
            await agent.DisposeAsync();
            Assert.True(Alive(pid), $"task process {pid} died with its agent");

            await using var restarted = await TestCluster.StartAgent(master, workDir);
            await AwaitAgentWithRunningTask(master, agentId, accepted.TaskId, TestCluster.Timeout, registered);
            await File.WriteAllTextAsync(Path.Combine(sandbox, "go"), "");

            CommandView? end = null;
            await TestCluster.AwaitTrue(async () =>
                (end = await master.CommandFramework!.Ask<CommandView>(new GetCommand(accepted.TaskId), TimeSpan.FromSeconds(5))).State is { } s && s.IsTerminal(),
                "the recovered task to end");
            var last = end!.Statuses[^1];
            if (code == 0) Assert.Equal(TaskState.TASK_FINISHED, end.State);
            else
            {
                Assert.Equal(TaskState.TASK_FAILED, end.State);
                Assert.Equal($"Command exited with status {code}", last.Message);
            }
        }
        finally
        {
            KillGroup(pid);
        }
    }

    [Fact]
    public async Task An_agent_node_rejoins_when_its_only_master_restarts_and_forms_a_new_cluster()
    {
        var port = Ck.FreePort();
        var dataDir = TestCluster.TempDir("master");
        NodeOptions MasterOptions() => new()
        {
            Master = true, Port = port, DataDir = dataDir, HttpUrl = "http://127.0.0.1:0", ExtraHocon = TestCluster.FastHocon,
        };
        var masterA = await ClusterNode.StartAsync(MasterOptions());
        var workDir = TestCluster.TempDir("agent");
        await using var agent = await ClusterNode.StartAsync(new NodeOptions
        {
            Agent = true, Port = 0, DataDir = workDir, AgentWorkDir = workDir, AgentResources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
            Seeds = new[] { $"127.0.0.1:{port}" },
            ExtraHocon = TestCluster.FastHocon + "\nclusterkernel.agent.master-lost-rejoin-after = 3s",
        });
        var agentId = (await TestCluster.AwaitAgents(masterA, 1)).Agents.Single().Id;
        var view = await RunUntilRunning(masterA);
        var pid = PidOf(workDir, view.TaskId);
        var firstSystem = agent.System;
        try
        {
            await masterA.DisposeAsync();
            // Alone in the old cluster, the agent node gives it up and starts a new ActorSystem that joins the seed again.
            await TestCluster.AwaitTrue(() => Task.FromResult(agent.Restarts >= 1), "the agent node to restart its ActorSystem", RejoinTimeout);
            Assert.NotSame(firstSystem, agent.System);
            Assert.True(Alive(pid));

            await using var masterB = await ClusterNode.StartAsync(MasterOptions());
            var state = await AwaitAgentWithRunningTask(masterB, agentId, view.TaskId, RejoinTimeout);
            Assert.Equal(agentId, Assert.Single(state.Agents, a => a.Active).Id);
            Assert.True(Alive(pid));
            await agent.DisposeAsync();
        }
        finally
        {
            KillGroup(pid);
        }
    }
}
