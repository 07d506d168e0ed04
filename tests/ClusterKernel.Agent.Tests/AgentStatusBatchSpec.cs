using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests;

/// <summary>The batched status-update path of the agent (<see cref="StatusUpdates"/>, <see cref="StatusUpdateAcknowledgements"/>),
/// with a probe as the master and the simulated containerizer.</summary>
public sealed class AgentStatusBatchSpec : TestKit
{
    private static readonly TimeSpan Wait = TestSupport.Seconds(15);
    private static readonly FrameworkId Fw = new("fw-1");
    private readonly TempDir _work = new();
    private readonly SimulatedContainerizer _containerizer = new();
    private readonly Akka.TestKit.TestProbe _master;
    private readonly IActorRef _agent;

    public AgentStatusBatchSpec(ITestOutputHelper output) : base("akka.loglevel = WARNING", output: output)
    {
        _master = CreateTestProbe();
        var settings = new AgentSettings
        {
            WorkDir = _work.Path, Resources = ResourceBag.Parse("cpus:2;mem:1024"), Hostname = "test-host",
            HeartbeatInterval = TimeSpan.FromSeconds(30), RegistrationRetryInterval = TimeSpan.FromMilliseconds(300),
            StatusUpdateRetryMin = TimeSpan.FromMilliseconds(500), StatusUpdateRetryMax = TimeSpan.FromSeconds(2),
        };
        _agent = Sys.ActorOf(Agent.Props(settings, _master.Ref, new IContainerizer[] { _containerizer }), "agent");
    }

    private AgentId Register()
    {
        _master.FishForMessage<RegisterAgent>(_ => true, Wait);
        var id = new AgentId("agent-1");
        _master.Send(_agent, new AgentRegistered(id, "epoch-1", 5));
        return id;
    }

    private static TaskInfo Task(string id, AgentId agent) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse("cpus:0.1;mem:32"), Command = new CommandInfo { Value = "sleep 300" },
    };

    /// <summary>Status updates from the agent in either form, until <paramref name="count"/> match.</summary>
    private List<TaskStatus> Updates(int count, Func<TaskStatus, bool> match)
    {
        var seen = new List<TaskStatus>();
        while (seen.Count < count)
        {
            var m = _master.FishForMessage(x => x is StatusUpdate or StatusUpdates, Wait);
            var statuses = m is StatusUpdates b ? b.Updates.Select(u => u.Status) : new[] { ((StatusUpdate)m).Status };
            seen.AddRange(statuses.Where(match));
        }
        return seen;
    }

    [Fact]
    public void The_updates_of_one_RunTasks_go_out_as_one_batch_and_one_batch_of_acknowledgements_releases_the_next_updates()
    {
        var id = Register();
        var tasks = new[] { Task("t1", id), Task("t2", id), Task("t3", id) };
        _agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, tasks), _master.Ref);

        var batch = _master.FishForMessage<StatusUpdates>(_ => true, Wait);
        Assert.Equal(new[] { "t1", "t2", "t3" }, batch.Updates.Select(u => u.Status.TaskId.Value));
        Assert.All(batch.Updates, u => Assert.Equal(TaskState.TASK_STARTING, u.Status.State));
        Assert.All(batch.Updates, u => Assert.Equal(Fw, u.FrameworkId));

        _agent.Tell(new StatusUpdateAcknowledgements(batch.Updates.Select(u => new StatusUpdateAcknowledgement(Fw, u.Status.TaskId, u.Status.Uuid!.Value)).ToList()));
        var running = Updates(3, s => s.State == TaskState.TASK_RUNNING);
        Assert.Equal(new[] { "t1", "t2", "t3" }, running.Select(s => s.TaskId.Value).Order());
    }

    [Fact]
    public void An_unacknowledged_batch_is_retried_and_each_task_keeps_one_update_outstanding()
    {
        var id = Register();
        _agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t1", id), Task("t2", id) }), _master.Ref);
        var first = _master.FishForMessage<StatusUpdates>(_ => true, Wait);
        // Not acknowledged: the same STARTING updates (same uuids) come again, and no RUNNING overtakes them.
        var retried = Updates(2, _ => true);
        Assert.All(retried, s => Assert.Equal(TaskState.TASK_STARTING, s.State));
        Assert.Equal(first.Updates.Select(u => u.Status.Uuid).Order(), retried.Select(s => s.Uuid).Order());

        // Acknowledging t1 only releases t1's RUNNING; t2 stays at STARTING.
        var t1 = first.Updates.Single(u => u.Status.TaskId.Value == "t1").Status;
        _agent.Tell(new StatusUpdateAcknowledgements(new[] { new StatusUpdateAcknowledgement(Fw, t1.TaskId, t1.Uuid!.Value) }));
        var next = Updates(1, s => s.TaskId.Value == "t1" && s.State == TaskState.TASK_RUNNING || s.TaskId.Value == "t2" && s.State != TaskState.TASK_STARTING);
        Assert.Equal(("t1", TaskState.TASK_RUNNING), (next[0].TaskId.Value, next[0].State));
    }

    [Fact]
    public void Simulated_tasks_launched_together_leave_no_task_checkpoint()
    {
        var id = Register();
        _agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t1", id), Task("t2", id), Task("t3", id) }), _master.Ref);
        var batch = _master.FishForMessage<StatusUpdates>(_ => true, Wait);
        _agent.Tell(new StatusUpdateAcknowledgements(batch.Updates.Select(u => new StatusUpdateAcknowledgement(Fw, u.Status.TaskId, u.Status.Uuid!.Value)).ToList()));
        Updates(3, s => s.State == TaskState.TASK_RUNNING);
        // Nothing of a simulated task survives the process, so nothing is written: before, every task of the batch but the
        // first was checkpointed (the first task's flush wrote the others before their containerizer was chosen).
        var dir = AgentCheckpoint.TasksDir(_work.Path);
        Assert.Empty(Directory.Exists(dir) ? Directory.GetFiles(dir) : Array.Empty<string>());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        _containerizer.Dispose();
        _work.Dispose();
    }
}
