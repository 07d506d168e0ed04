using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests;

/// <summary>The agent's protocol with a probe standing in for the master and the real process containerizer.</summary>
public sealed class AgentSpec : TestKit
{
    private static readonly TimeSpan Wait = TestSupport.Seconds(15);
    private readonly TempDir _work = new();
    private readonly ProcessContainerizer _containerizer;
    private readonly Akka.TestKit.TestProbe _master;
    private readonly IActorRef _agent;

    public AgentSpec(ITestOutputHelper output) : base("akka.loglevel = WARNING", output: output)
    {
        _containerizer = new ProcessContainerizer(Path.Combine(_work.Path, "meta", "process"));
        _master = CreateTestProbe();
        var settings = new AgentSettings
        {
            WorkDir = _work.Path, Resources = ResourceBag.Parse("cpus:2;mem:1024"), Hostname = "test-host",
            HeartbeatInterval = TimeSpan.FromMilliseconds(300), RegistrationRetryInterval = TimeSpan.FromMilliseconds(300),
            StatusUpdateRetryMin = TimeSpan.FromMilliseconds(500), StatusUpdateRetryMax = TimeSpan.FromSeconds(2),
            KillGracePeriod = TimeSpan.FromSeconds(2),
        };
        _agent = Sys.ActorOf(Agent.Props(settings, _master.Ref, new IContainerizer[] { _containerizer }), "agent");
    }

    private AgentId Register()
    {
        var register = _master.FishForMessage<RegisterAgent>(_ => true, Wait);
        Assert.Equal("test-host", register.Info.Hostname);
        var id = new AgentId("agent-1");
        _master.Send(_agent, new AgentRegistered(id, "epoch-1", 5));
        return id;
    }

    private static TaskInfo Task(string id, AgentId agent, string command) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse("cpus:0.1;mem:32"), Command = new CommandInfo { Value = command },
    };

    private TaskStatus NextUpdate(TaskState state) =>
        _master.FishForMessage<StatusUpdate>(m => m.Status.State == state, Wait).Status;

    [Fact]
    public void An_agent_registers_then_heartbeats_with_the_master_epoch()
    {
        var id = Register();
        var beat = _master.FishForMessage<AgentHeartbeat>(_ => true, Wait);
        Assert.Equal(id, beat.AgentId);
        Assert.Equal("epoch-1", beat.MasterEpoch);
    }

    [Fact]
    public void A_task_goes_STARTING_RUNNING_FINISHED_one_acknowledged_update_at_a_time()
    {
        var id = Register();
        var fw = new FrameworkId("fw-1");
        _agent.Tell(new RunTasks(fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t1", id, "echo hi") }), _master.Ref);

        var starting = NextUpdate(TaskState.TASK_STARTING);
        // Not acknowledged: the same update comes again (retry), and RUNNING waits behind it.
        var retried = _master.FishForMessage<StatusUpdate>(m => m.Status.State != TaskState.TASK_STARTING || m.Status.Uuid == starting.Uuid, Wait).Status;
        Assert.Equal(starting.Uuid, retried.Uuid);

        _agent.Tell(new StatusUpdateAcknowledgement(fw, starting.TaskId, starting.Uuid!.Value));
        var running = NextUpdate(TaskState.TASK_RUNNING);
        _agent.Tell(new StatusUpdateAcknowledgement(fw, running.TaskId, running.Uuid!.Value));
        var finished = NextUpdate(TaskState.TASK_FINISHED);
        Assert.Equal(0, finished.ExitCode);
    }

    [Fact]
    public void A_killed_task_ends_TASK_KILLED()
    {
        var id = Register();
        var fw = new FrameworkId("fw-1");
        _agent.Tell(new RunTasks(fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t1", id, "sleep 300") }), _master.Ref);
        var starting = NextUpdate(TaskState.TASK_STARTING);
        _agent.Tell(new StatusUpdateAcknowledgement(fw, starting.TaskId, starting.Uuid!.Value));
        var running = NextUpdate(TaskState.TASK_RUNNING);
        _agent.Tell(new StatusUpdateAcknowledgement(fw, running.TaskId, running.Uuid!.Value));

        _agent.Tell(new KillTaskOnAgent(fw, new TaskId("t1"), 1));

        NextUpdate(TaskState.TASK_KILLED);
    }

    [Fact]
    public void After_ReregistrationRequired_the_agent_reregisters_with_its_tasks()
    {
        var id = Register();
        var fw = new FrameworkId("fw-1");
        _agent.Tell(new RunTasks(fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t1", id, "sleep 300") }), _master.Ref);
        NextUpdate(TaskState.TASK_STARTING);

        _agent.Tell(new ReregistrationRequired("epoch-2"), _master.Ref);

        var again = _master.FishForMessage<ReregisterAgent>(_ => true, Wait);
        Assert.Equal(id, again.Info.Id);
        Assert.Equal(new TaskId("t1"), again.Tasks.Single().Task.TaskId);
        _agent.Tell(new KillTaskOnAgent(fw, new TaskId("t1"), 0.5));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _containerizer.Dispose();
        _work.Dispose();
    }
}
