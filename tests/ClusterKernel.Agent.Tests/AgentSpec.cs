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
    private readonly AgentSettings _settings;
    private IActorRef _agent;

    public AgentSpec(ITestOutputHelper output) : base("akka.loglevel = WARNING", output: output)
    {
        _containerizer = new ProcessContainerizer(Path.Combine(_work.Path, "meta", "process"));
        _master = CreateTestProbe();
        var settings = _settings = new AgentSettings
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

    /// <summary>Stops the agent actor (as a killed agent process would vanish) and starts a new one on the same work dir.</summary>
    private void RestartAgent(string name, params IContainerizer[] containerizers)
    {
        Watch(_agent);
        Sys.Stop(_agent);
        ExpectTerminated(_agent, Wait);
        _agent = Sys.ActorOf(Agent.Props(_settings, _master.Ref, containerizers), name);
    }

    private TaskStatus RunAcknowledged(FrameworkId fw, AgentId id, string taskId, string command, TaskState upTo)
    {
        _agent.Tell(new RunTasks(fw, new FrameworkInfo { Name = "fw" }, new[] { Task(taskId, id, command) }), _master.Ref);
        var starting = NextUpdateOf(taskId, TaskState.TASK_STARTING);
        _agent.Tell(new StatusUpdateAcknowledgement(fw, starting.TaskId, starting.Uuid!.Value));
        var running = NextUpdateOf(taskId, TaskState.TASK_RUNNING);
        if (upTo == TaskState.TASK_RUNNING) _agent.Tell(new StatusUpdateAcknowledgement(fw, running.TaskId, running.Uuid!.Value));
        return running;
    }

    private TaskStatus NextUpdateOf(string taskId, TaskState state) =>
        _master.FishForMessage<StatusUpdate>(m => m.Status.TaskId.Value == taskId && m.Status.State == state, Wait).Status;

    /// <summary>Acknowledges the task's updates as they come (in order, one at a time) until one in <paramref name="state"/>.</summary>
    private TaskStatus AcknowledgeUntil(FrameworkId fw, string taskId, TaskState state)
    {
        while (true)
        {
            var u = _master.FishForMessage<StatusUpdate>(m => m.Status.TaskId.Value == taskId, Wait).Status;
            _agent.Tell(new StatusUpdateAcknowledgement(fw, u.TaskId, u.Uuid!.Value));
            if (u.State == state) return u;
        }
    }

    private int PidOf(string taskId)
    {
        // Read the file directly: ReadTasks is the agent's own start-up read (it tidies temp files).
        var cp = AgentCheckpoint.Deserialize(File.ReadAllText(AgentCheckpoint.TaskFile(_work.Path, new TaskId(taskId))))!;
        return int.Parse(File.ReadAllText(Path.Combine(cp.Sandbox, "pid")).Trim());
    }

    [Fact]
    public void A_restarted_agent_recovers_its_running_task_reregisters_under_the_same_id_and_can_kill_it()
    {
        var id = Register();
        var fw = new FrameworkId("fw-1");
        // RUNNING is left unacknowledged: the restarted agent must resend it.
        var running = RunAcknowledged(fw, id, "t1", "sleep 300", TaskState.TASK_STARTING);
        var pid = PidOf("t1");

        RestartAgent("agent-2", _containerizer);

        var again = _master.FishForMessage<ReregisterAgent>(_ => true, Wait);
        Assert.Equal(id, again.Info.Id);
        var report = Assert.Single(again.Tasks);
        Assert.Equal(new TaskId("t1"), report.Task.TaskId);
        Assert.Equal(TaskState.TASK_RUNNING, report.State);
        Assert.Equal(running.Uuid, Assert.Single(report.UnacknowledgedUpdates).Uuid);
        Assert.False(TestSupport.ProcessGone(pid));

        _master.Send(_agent, new AgentRegistered(id, "epoch-2", 5));
        var resent = NextUpdateOf("t1", TaskState.TASK_RUNNING);
        Assert.Equal(running.Uuid, resent.Uuid);
        _agent.Tell(new StatusUpdateAcknowledgement(fw, resent.TaskId, resent.Uuid!.Value));

        _agent.Tell(new KillTaskOnAgent(fw, new TaskId("t1"), 1));
        var killed = NextUpdate(TaskState.TASK_KILLED);
        Assert.Equal(id, killed.AgentId);
        Assert.True(TestSupport.ProcessGone(pid));
        _agent.Tell(new StatusUpdateAcknowledgement(fw, killed.TaskId, killed.Uuid!.Value));
        AwaitCondition(() => !File.Exists(AgentCheckpoint.TaskFile(_work.Path, new TaskId("t1"))), Wait); // left the table: checkpoint removed
    }

    [Fact]
    public void A_new_agent_process_recovers_a_live_task_through_a_new_containerizer_and_fails_one_whose_container_is_gone()
    {
        var id = Register();
        var fw = new FrameworkId("fw-1");
        RunAcknowledged(fw, id, "alive", "sleep 300", TaskState.TASK_RUNNING);
        RunAcknowledged(fw, id, "dies", "sleep 300", TaskState.TASK_RUNNING);
        var alivePid = PidOf("alive");
        var diesPid = PidOf("dies");

        // A new containerizer instance (as in a new agent process) only knows the containers from its metadata files.
        using var fresh = new ProcessContainerizer(Path.Combine(_work.Path, "meta", "process"));
        Watch(_agent);
        Sys.Stop(_agent);
        ExpectTerminated(_agent, Wait);
        System.Diagnostics.Process.GetProcessById(diesPid).Kill(entireProcessTree: true);
        AwaitCondition(() => TestSupport.ProcessGone(diesPid), Wait);
        _agent = Sys.ActorOf(Agent.Props(_settings, _master.Ref, new IContainerizer[] { fresh }), "agent-3");

        var again = _master.FishForMessage<ReregisterAgent>(_ => true, Wait);
        Assert.Equal(id, again.Info.Id);
        Assert.Equal(TaskState.TASK_RUNNING, again.Tasks.Single(t => t.Task.TaskId.Value == "alive").State);
        Assert.Equal(TaskState.TASK_FAILED, again.Tasks.Single(t => t.Task.TaskId.Value == "dies").State);

        _master.Send(_agent, new AgentRegistered(id, "epoch-2", 5));
        var failed = AcknowledgeUntil(fw, "dies", TaskState.TASK_FAILED);
        Assert.Equal(Reasons.ExecutorTerminated, failed.Reason);
        Assert.Contains("container was gone", failed.Message);

        _agent.Tell(new KillTaskOnAgent(fw, new TaskId("alive"), 1));
        AcknowledgeUntil(fw, "alive", TaskState.TASK_KILLED);
        AwaitCondition(() => TestSupport.ProcessGone(alivePid), Wait);
    }

    [Fact]
    public void A_live_container_without_a_checkpointed_task_is_killed_on_recovery()
    {
        var id = Register();
        var fw = new FrameworkId("fw-1");
        RunAcknowledged(fw, id, "orphan", "sleep 300", TaskState.TASK_RUNNING);
        var pid = PidOf("orphan");
        Watch(_agent);
        Sys.Stop(_agent);
        ExpectTerminated(_agent, Wait);
        Directory.Delete(AgentCheckpoint.TasksDir(_work.Path), recursive: true); // its agent state is gone

        _agent = Sys.ActorOf(Agent.Props(_settings, _master.Ref, new IContainerizer[] { _containerizer }), "agent-4");

        var again = _master.FishForMessage<ReregisterAgent>(_ => true, Wait);
        Assert.Empty(again.Tasks);
        AwaitCondition(() => TestSupport.ProcessGone(pid), Wait);
    }

    [DockerFact]
    public void A_restarted_agent_with_a_new_docker_containerizer_recovers_its_running_container_and_kills_it()
    {
        // This test's agent needs docker too: replace the one the constructor started before it registers.
        using var docker = new DockerContainerizer();
        RestartAgent("agent-d1", docker, _containerizer);
        var id = Register();
        var fw = new FrameworkId("fw-1");
        var task = Task("d1", id, "sleep 300") with { Container = new ContainerInfo { DockerImage = DockerFactAttribute.TestImage } };
        _agent.Tell(new RunTasks(fw, new FrameworkInfo { Name = "fw" }, new[] { task }), _master.Ref);
        AcknowledgeUntil(fw, "d1", TaskState.TASK_RUNNING);
        var cp = AgentCheckpoint.Deserialize(File.ReadAllText(AgentCheckpoint.TaskFile(_work.Path, new TaskId("d1"))))!;
        Assert.Equal("docker", cp.Containerizer);

        using var docker2 = new DockerContainerizer();
        RestartAgent("agent-d2", docker2, _containerizer);

        var again = _master.FishForMessage<ReregisterAgent>(_ => true, Wait);
        Assert.Equal(id, again.Info.Id);
        Assert.Equal(TaskState.TASK_RUNNING, Assert.Single(again.Tasks).State);
        _master.Send(_agent, new AgentRegistered(id, "epoch-2", 5));
        _agent.Tell(new KillTaskOnAgent(fw, new TaskId("d1"), 1));
        AcknowledgeUntil(fw, "d1", TaskState.TASK_KILLED);
        AwaitCondition(() => !File.Exists(AgentCheckpoint.TaskFile(_work.Path, new TaskId("d1"))), Wait);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _containerizer.Dispose();
        _work.Dispose();
    }
}
