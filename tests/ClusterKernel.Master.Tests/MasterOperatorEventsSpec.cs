using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>The master pushes operator events (v1 operator SUBSCRIBE) to its subscribers as it makes each change, in order.</summary>
public sealed class MasterOperatorEventsSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static TaskStatus Status(string task, AgentId agent, TaskState state) =>
        new() { TaskId = new TaskId(task), AgentId = agent, State = state, Uuid = Guid.NewGuid() };

    [Fact]
    public void A_subscriber_gets_the_state_then_every_change_in_order_including_each_task_state()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) });
        var events = CreateTestProbe();
        master.Tell(new SubscribeOperatorEvents(events.Ref), events.Ref);
        var subscribed = events.ExpectMsg<OperatorSubscribed>(Wait);
        Assert.Empty(subscribed.State.Agents);

        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "fw" }, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        Assert.Equal(fwId, events.ExpectMsg<OperatorFrameworkAdded>(Wait).Framework.Id);

        var agent = CreateTestProbe();
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        Assert.Equal(agentId, events.ExpectMsg<OperatorAgentAdded>(Wait).Agent.Id);

        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var task = new TaskInfo { Name = "t1", TaskId = new TaskId("t1"), AgentId = agentId, Resources = ResourceBag.Parse("cpus:1;mem:128"), Command = new CommandInfo { Value = "true" } };
        master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        var added = events.ExpectMsg<OperatorTaskAdded>(Wait).Task;
        Assert.Equal((new TaskId("t1"), TaskState.TASK_STAGING), (added.Id, added.State));

        // Three states in one batch, as an agent sends a task that ends at once: one TASK_UPDATED per state, in order;
        // a retried update (same state) gives none.
        master.Tell(new StatusUpdates(new[]
        {
            new StatusUpdate(fwId, Status("t1", agentId, TaskState.TASK_STARTING)),
            new StatusUpdate(fwId, Status("t1", agentId, TaskState.TASK_RUNNING)),
            new StatusUpdate(fwId, Status("t1", agentId, TaskState.TASK_RUNNING)),
            new StatusUpdate(fwId, Status("t1", agentId, TaskState.TASK_FINISHED)),
        }), agent.Ref);
        foreach (var state in new[] { TaskState.TASK_STARTING, TaskState.TASK_RUNNING, TaskState.TASK_FINISHED })
        {
            var u = events.ExpectMsg<OperatorTaskUpdated>(Wait);
            Assert.Equal((fwId, new TaskId("t1"), state, state), (u.FrameworkId, u.Status.TaskId, u.Status.State, u.State));
        }

        master.Tell(new DeactivateAgent(agentId), TestActor);
        ExpectMsg<OperatorResult>(Wait);
        var updated = events.ExpectMsg<OperatorAgentUpdated>(Wait);
        Assert.True(updated.OperatorState.Deactivated);
        Assert.False(updated.Agent.Active);

        master.Tell(new TeardownFramework(fwId), fw.Ref);
        Assert.Equal(fwId, events.FishForMessage<OperatorFrameworkRemoved>(_ => true, Wait).Framework.Id);

        master.Tell(new MarkAgentGone(agentId), TestActor);
        Assert.Equal(agentId, events.FishForMessage<OperatorAgentRemoved>(_ => true, Wait).AgentId);
    }

    [Fact]
    public void An_unsubscribed_or_stopped_subscriber_gets_nothing_more()
    {
        var master = TestMaster.Start(Sys);
        var gone = CreateTestProbe();
        master.Tell(new SubscribeOperatorEvents(gone.Ref), gone.Ref);
        gone.ExpectMsg<OperatorSubscribed>(Wait);
        master.Tell(new UnsubscribeOperatorEvents(gone.Ref), gone.Ref);
        var stays = CreateTestProbe();
        master.Tell(new SubscribeOperatorEvents(stays.Ref), stays.Ref);
        stays.ExpectMsg<OperatorSubscribed>(Wait);

        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "fw" }, fw.Ref), fw.Ref);
        stays.ExpectMsg<OperatorFrameworkAdded>(Wait);
        gone.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
