using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>
/// Operator events around agents as Mesos' master sends them (src/master/master.cpp): an unreachable agent's tasks each get
/// TASK_UPDATED (UNREACHABLE for PARTITION_AWARE frameworks, LOST for others); a known agent that re-registers gives no
/// AGENT_ADDED and no TASK_ADDED (only TASK_UPDATED for a task whose state changed); an agent back from unreachable is
/// AGENT_ADDED again; health check results are TASK_UPDATED even when the state stays. Absence is checked by order: the next
/// event must be the one a later marker change causes.
/// </summary>
public sealed class MasterOperatorEventsAgentsSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static AgentInfo Info() => new() { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") };

    private (IActorRef Master, TestProbe Events, FrameworkId Fw, AgentId Agent, TaskInfo Task) RunningTask(TestProbe agent, FrameworkInfo info)
    {
        var master = TestMaster.Start(Sys);
        var events = CreateTestProbe();
        master.Tell(new SubscribeOperatorEvents(events.Ref), events.Ref);
        events.ExpectMsg<OperatorSubscribed>(Wait);
        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(info, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        master.Tell(new RegisterAgent(Info(), agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var task = new TaskInfo { Name = "t1", TaskId = new TaskId("t1"), AgentId = agentId, Resources = ResourceBag.Parse("cpus:1;mem:128"), Command = new CommandInfo { Value = "sleep 60" } };
        master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        events.FishForMessage<OperatorTaskUpdated>(u => u.State == TaskState.TASK_RUNNING, Wait);
        return (master, events, fwId, agentId, task);
    }

    [Fact]
    public void A_known_agent_that_reregisters_is_not_added_again_nor_are_its_tasks()
    {
        var agent = CreateTestProbe();
        var (master, events, fwId, agentId, task) = RunningTask(agent, new FrameworkInfo { Name = "fw" });

        master.Tell(new ReregisterAgent(Info() with { Id = agentId },
            new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, agent.Ref), agent.Ref);
        agent.FishForMessage<AgentRegistered>(_ => true, Wait);
        master.Tell(new DeactivateAgent(agentId), TestActor);
        ExpectMsg<OperatorResult>(Wait);
        // The next event is the deactivation's: no AGENT_ADDED, no TASK_ADDED in between.
        Assert.True(events.ExpectMsg<OperatorAgentUpdated>(Wait).OperatorState.Deactivated);

        // A task that ended while the agent was away (its update not yet acknowledged) is one TASK_UPDATED, not a TASK_ADDED.
        var finishedUpdate = new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_FINISHED, AgentId = agentId, Uuid = Guid.NewGuid() };
        master.Tell(new ReregisterAgent(Info() with { Id = agentId },
            new[] { new TaskReport(fwId, task, TaskState.TASK_FINISHED, new[] { finishedUpdate }) }, agent.Ref), agent.Ref);
        var finished = events.ExpectMsg<OperatorTaskUpdated>(Wait);
        Assert.Equal((task.TaskId, TaskState.TASK_FINISHED), (finished.Status.TaskId, finished.State));
    }

    [Fact]
    public void A_task_the_reregistering_agent_no_longer_reports_is_TASK_UPDATED_lost()
    {
        var agent = CreateTestProbe();
        var (master, events, _, agentId, task) = RunningTask(agent, new FrameworkInfo { Name = "fw" });

        master.Tell(new ReregisterAgent(Info() with { Id = agentId }, Array.Empty<TaskReport>(), agent.Ref), agent.Ref);
        var lost = events.ExpectMsg<OperatorTaskUpdated>(Wait);
        Assert.Equal((task.TaskId, TaskState.TASK_LOST, Reasons.AgentRestarted), (lost.Status.TaskId, lost.State, lost.Status.Reason));
    }

    [Fact]
    public void An_unreachable_agent_gives_TASK_UPDATED_per_task_and_is_added_again_when_it_comes_back()
    {
        var agent = CreateTestProbe();
        var (master, events, fwId, agentId, task) = RunningTask(agent,
            new FrameworkInfo { Name = "pa", Capabilities = new[] { FrameworkCapabilities.PartitionAware } });

        Sys.Stop(agent.Ref);
        var unreachable = events.FishForMessage<OperatorTaskUpdated>(_ => true, Wait);
        Assert.Equal((task.TaskId, TaskState.TASK_UNREACHABLE, Reasons.AgentDisconnected), (unreachable.Status.TaskId, unreachable.State, unreachable.Status.Reason));

        var back = CreateTestProbe();
        master.Tell(new ReregisterAgent(Info() with { Id = agentId },
            new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, back.Ref), back.Ref);
        back.ExpectMsg<AgentRegistered>(Wait);
        // The task was known: TASK_UPDATED (RUNNING again), no TASK_ADDED; the agent, gone from the offer pool, is AGENT_ADDED.
        var running = events.ExpectMsg<OperatorTaskUpdated>(Wait);
        Assert.Equal((task.TaskId, TaskState.TASK_RUNNING), (running.Status.TaskId, running.State));
        Assert.Equal(agentId, events.ExpectMsg<OperatorAgentAdded>(Wait).Agent.Id);
    }

    [Fact]
    public void A_non_partition_aware_task_on_an_unreachable_agent_is_TASK_UPDATED_lost()
    {
        var agent = CreateTestProbe();
        var (_, events, _, _, task) = RunningTask(agent, new FrameworkInfo { Name = "classic" });

        Sys.Stop(agent.Ref);
        var lost = events.FishForMessage<OperatorTaskUpdated>(_ => true, Wait);
        Assert.Equal((task.TaskId, TaskState.TASK_LOST), (lost.Status.TaskId, lost.State));
    }

    [Fact]
    public void A_partition_aware_task_on_an_agent_marked_gone_is_TASK_GONE_BY_OPERATOR()
    {
        var agent = CreateTestProbe();
        var (master, events, _, agentId, task) = RunningTask(agent,
            new FrameworkInfo { Name = "pa", Capabilities = new[] { FrameworkCapabilities.PartitionAware } });

        master.Tell(new MarkAgentGone(agentId), TestActor);
        var gone = events.FishForMessage<OperatorTaskUpdated>(_ => true, Wait);
        Assert.Equal((task.TaskId, TaskState.TASK_GONE_BY_OPERATOR, Reasons.AgentRemovedByOperator), (gone.Status.TaskId, gone.State, gone.Status.Reason));
        Assert.Equal(agentId, events.FishForMessage<OperatorAgentRemoved>(_ => true, Wait).AgentId);
    }

    [Fact]
    public void Every_health_check_result_is_TASK_UPDATED_even_when_the_state_stays()
    {
        var agent = CreateTestProbe();
        var (master, events, fwId, agentId, task) = RunningTask(agent, new FrameworkInfo { Name = "fw" });

        foreach (var healthy in new[] { true, false, false })
            master.Tell(new StatusUpdate(fwId, new TaskStatus
            {
                TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid(),
                Healthy = healthy, Reason = Reasons.TaskHealthCheckStatusUpdated,
            }), agent.Ref);
        foreach (var healthy in new[] { true, false, false })
        {
            var u = events.ExpectMsg<OperatorTaskUpdated>(Wait);
            Assert.Equal((TaskState.TASK_RUNNING, healthy), (u.State, u.Status.Healthy));
        }
    }
}
