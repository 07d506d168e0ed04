using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests;

/// <summary>Task groups on the agent: RUNNING together, a KILL of one or a failure of one ends them all, then ExecutorExited.</summary>
public sealed class AgentTaskGroupSpec(ITestOutputHelper output) : TestKit("akka.loglevel = WARNING", output: output)
{
    private static readonly TimeSpan Wait = TestSupport.Seconds(20);
    private static readonly FrameworkId Fw = new("fw-1");
    private static readonly ExecutorInfo Executor = new() { ExecutorId = new ExecutorId("exec-1"), Resources = ResourceBag.Parse("cpus:0.1;mem:32") };

    private (Akka.TestKit.TestProbe Master, IActorRef Agent, AgentId Id) Start(TempDir work, IContainerizer containerizer)
    {
        var master = CreateTestProbe();
        var agent = Sys.ActorOf(Agent.Props(new AgentSettings
        {
            WorkDir = work.Path, Resources = ResourceBag.Parse("cpus:2;mem:1024"), Hostname = "test-host",
            HeartbeatInterval = TimeSpan.FromSeconds(1), RegistrationRetryInterval = TimeSpan.FromMilliseconds(300),
            KillGracePeriod = TimeSpan.FromSeconds(1),
        }, master.Ref, new[] { containerizer }));
        master.FishForMessage<RegisterAgent>(_ => true, Wait);
        var id = new AgentId("agent-1");
        master.Send(agent, new AgentRegistered(id, "epoch-1", 5));
        return (master, agent, id);
    }

    private static TaskInfo Task(string id, AgentId agent, string command, string? image = null) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse("cpus:0.1;mem:32"),
        Command = new CommandInfo { Value = command }, Executor = Executor,
        Container = image is null ? null : new ContainerInfo { DockerImage = image },
    };

    private readonly Queue<object> _pending = new();

    /// <summary>The next StatusUpdate or ExecutorExited from the agent; a batch (<see cref="StatusUpdates"/>) is taken apart in order.</summary>
    private object Next(Akka.TestKit.TestProbe master)
    {
        if (_pending.Count == 0)
        {
            var m = master.FishForMessage(x => x is StatusUpdate or StatusUpdates or ExecutorExited, Wait);
            if (m is StatusUpdates batch) foreach (var u in batch.Updates) _pending.Enqueue(u);
            else _pending.Enqueue(m);
        }
        return _pending.Dequeue();
    }

    /// <summary>Collects each task's updates (acknowledging them) until every one is terminal and ExecutorExited came.</summary>
    private (Dictionary<string, List<TaskState>> States, ExecutorExited Exited) RunToEnd(Akka.TestKit.TestProbe master, IActorRef agent, params string[] tasks)
    {
        var states = tasks.ToDictionary(t => t, _ => new List<TaskState>());
        ExecutorExited? exited = null;
        while (exited is null || states.Values.Any(s => s.Count == 0 || !s[^1].IsTerminal()))
        {
            var m = Next(master);
            if (m is ExecutorExited e) { exited = e; continue; }
            var s = ((StatusUpdate)m).Status;
            Assert.Equal(Executor.ExecutorId, s.ExecutorId);
            if (states[s.TaskId.Value] is var list && (list.Count == 0 || list[^1] != s.State)) list.Add(s.State);
            master.Send(agent, new StatusUpdateAcknowledgement(Fw, s.TaskId, s.Uuid!.Value));
        }
        return (states, exited);
    }

    [Fact]
    public void A_KILL_of_one_task_of_a_group_kills_the_group_simulated()
    {
        using var work = new TempDir();
        using var simulated = new SimulatedContainerizer();
        var (master, agent, id) = Start(work, simulated);
        agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("a", id, "sleep 60"), Task("b", id, "sleep 60") }), master.Ref);
        // Updates go one at a time per task: acknowledge STARTING to see RUNNING.
        var running = new HashSet<string>();
        while (running.Count < 2)
        {
            if (Next(master) is not StatusUpdate { Status: var s }) continue;
            if (s.State == TaskState.TASK_RUNNING) running.Add(s.TaskId.Value);
            master.Send(agent, new StatusUpdateAcknowledgement(Fw, s.TaskId, s.Uuid!.Value));
        }
        agent.Tell(new KillTaskOnAgent(Fw, new TaskId("a"), null), master.Ref);
        var (states, exited) = RunToEnd(master, agent, "a", "b");
        Assert.Equal(TaskState.TASK_KILLED, states["a"][^1]);
        Assert.Equal(TaskState.TASK_KILLED, states["b"][^1]);
        Assert.Equal((Executor.ExecutorId, 1), (exited.ExecutorId, exited.Status));
    }

    [Fact]
    public void A_group_whose_tasks_all_finish_exits_with_status_0_process()
    {
        using var work = new TempDir();
        using var process = new ProcessContainerizer(Path.Combine(work.Path, "meta", "process"));
        var (master, agent, id) = Start(work, process);
        agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("a", id, "true"), Task("b", id, "sleep 1") }), master.Ref);
        var (states, exited) = RunToEnd(master, agent, "a", "b");
        Assert.Equal(TaskState.TASK_FINISHED, states["a"][^1]);
        Assert.Equal(TaskState.TASK_FINISHED, states["b"][^1]);
        Assert.Equal(0, exited.Status);
    }

    [Fact]
    public void A_group_task_that_cannot_start_kills_the_rest_of_its_group()
    {
        using var work = new TempDir();
        using var process = new ProcessContainerizer(Path.Combine(work.Path, "meta", "process"));
        var (master, agent, id) = Start(work, process);
        // This agent has no Docker containerizer: "b" fails at once, "a" (a process) is killed.
        agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("a", id, "sleep 60"), Task("b", id, "true", "some/image") }), master.Ref);
        var (states, exited) = RunToEnd(master, agent, "a", "b");
        Assert.Equal(TaskState.TASK_FAILED, states["b"][^1]);
        Assert.Equal(TaskState.TASK_KILLED, states["a"][^1]);
        Assert.Equal(1, exited.Status);
    }

    [DockerFact]
    public void A_failed_task_of_a_docker_group_kills_the_other()
    {
        using var work = new TempDir();
        using var docker = new DockerContainerizer();
        var (master, agent, id) = Start(work, docker);
        var image = DockerFactAttribute.TestImage;
        agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("a", id, "sleep 2; exit 3", image), Task("b", id, "sleep 300", image) }), master.Ref);
        var (states, exited) = RunToEnd(master, agent, "a", "b");
        Assert.Contains(TaskState.TASK_RUNNING, states["b"]);
        Assert.Equal(TaskState.TASK_FAILED, states["a"][^1]);
        Assert.Equal(TaskState.TASK_KILLED, states["b"][^1]);
        Assert.Equal(1, exited.Status);
    }
}
