using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>
/// KILL and RECONCILE while agents are away (Master.Kills.cs). The failover case is the one MasterFailoverTests lost: the
/// command framework re-subscribed to the new master before the agent re-registered, reconciled its task, got TASK_LOST
/// ("task unknown to the master") and took it as final, so the later kill was never sent while the task kept running.
/// Absence of an answer is checked by ordering, not by waiting: the master answers in order, so an answer about a bogus
/// task sent afterwards arriving first shows that nothing was sent for the real one.
/// </summary>
public sealed class MasterKillAfterFailoverSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly AgentId NoSuchAgent = new("no-such-agent");
    private static readonly TaskId Bogus = new("bogus");
    private IActorRef _master;

    public MasterKillAfterFailoverSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) => _master = TestMaster.Start(Sys);

    private static AgentInfo Info(AgentId? id = null) => new() { Hostname = "host1", Id = id, Resources = ResourceBag.Parse("cpus:2;mem:1024") };

    /// <summary>A framework with one RUNNING task on one agent.</summary>
    private (Akka.TestKit.TestProbe Fw, FrameworkInfo Info, FrameworkId FwId, Akka.TestKit.TestProbe Agent, AgentId AgentId, TaskInfo Task) RunningTask()
    {
        var fw = CreateTestProbe();
        var info = new FrameworkInfo { Name = "kills", FailoverTimeout = 3600 };
        _master.Tell(new SubscribeFramework(info, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        info = info with { Id = fwId };
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(Info(), agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var task = new TaskInfo { Name = "t", TaskId = new TaskId("t1"), AgentId = agentId, Resources = ResourceBag.Parse("cpus:1;mem:64"), Command = new CommandInfo { Value = "sleep 100" } };
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        Assert.Equal(TaskState.TASK_RUNNING, fw.FishForMessage<TaskStatusUpdate>(u => u.Status.TaskId == task.TaskId, Wait).Status.State);
        return (fw, info, fwId, agent, agentId, task);
    }

    private void Failover()
    {
        Watch(_master);
        Sys.Stop(_master);
        ExpectTerminated(_master, Wait);
        _master = TestMaster.Start(Sys);
    }

    /// <summary>The next status update the framework gets must be the TASK_LOST about <see cref="Bogus"/>.</summary>
    private void ExpectNothingBeforeBogus(Akka.TestKit.TestProbe fw, FrameworkId fwId)
    {
        _master.Tell(new ReconcileTasks(fwId, new[] { new ReconcileTask(Bogus, NoSuchAgent) }), fw.Ref);
        var first = fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal((Bogus, TaskState.TASK_LOST), (first.TaskId, first.State));
    }

    [Fact]
    public void After_a_failover_a_kill_before_the_agent_reregistered_reaches_it_when_it_does_and_reconciliation_does_not_say_LOST()
    {
        var (fw, info, fwId, agent, agentId, task) = RunningTask();
        Failover();
        _master.Tell(new SubscribeFramework(info, fw.Ref), fw.Ref);
        fw.FishForMessage<FrameworkSubscribed>(_ => true, Wait);

        // The agent has not re-registered: the new master does not know the task yet. Neither call may answer TASK_LOST.
        _master.Tell(new ReconcileTasks(fwId, new[] { new ReconcileTask(task.TaskId, agentId) }), fw.Ref);
        _master.Tell(new ReconcileTasks(fwId, Array.Empty<ReconcileTask>()), fw.Ref);
        _master.Tell(new ReconcileTasks(fwId, new[] { new ReconcileTask(task.TaskId, null) }), fw.Ref);
        _master.Tell(new KillTask(fwId, task.TaskId, agentId), fw.Ref);
        ExpectNothingBeforeBogus(fw, fwId);

        // It re-registers with the task running: the kill asked for meanwhile is sent to it.
        _master.Tell(new ReregisterAgent(Info(agentId), new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, agent.Ref), agent.Ref);
        agent.FishForMessage<AgentRegistered>(_ => true, Wait);
        Assert.Equal(task.TaskId, agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait).TaskId);
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_KILLED, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        Assert.Equal(TaskState.TASK_KILLED, fw.FishForMessage<TaskStatusUpdate>(u => u.Status.TaskId == task.TaskId, Wait).Status.State);
    }

    [Fact]
    public void A_kill_while_the_agent_is_disconnected_is_sent_when_it_reregisters()
    {
        var (fw, info, fwId, agent, agentId, task) = RunningTask();
        Watch(agent.Ref);
        Sys.Stop(agent.Ref); // the agent process goes away; its tasks keep running (checkpointed)
        ExpectTerminated(agent.Ref, Wait);

        _master.Tell(new KillTask(fwId, task.TaskId, agentId), fw.Ref);
        ExpectNothingBeforeBogus(fw, fwId);

        var restarted = CreateTestProbe();
        _master.Tell(new ReregisterAgent(Info(agentId), new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, restarted.Ref), restarted.Ref);
        restarted.FishForMessage<AgentRegistered>(_ => true, Wait);
        Assert.Equal(task.TaskId, restarted.FishForMessage<KillTaskOnAgent>(_ => true, Wait).TaskId);
    }

    [Fact]
    public void Tasks_of_an_agent_the_master_knows_and_does_not_know_the_task_of_are_still_LOST()
    {
        var (fw, _, fwId, _, agentId, _) = RunningTask();
        _master.Tell(new KillTask(fwId, new TaskId("never-launched"), agentId), fw.Ref);
        var lost = fw.FishForMessage<TaskStatusUpdate>(u => u.Status.TaskId.Value == "never-launched", Wait).Status;
        Assert.Equal(TaskState.TASK_LOST, lost.State);
    }
}
