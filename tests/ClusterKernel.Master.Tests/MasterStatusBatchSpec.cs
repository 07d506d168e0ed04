using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>The batched status-update path through the master, with probes for the agent and the framework.</summary>
public sealed class MasterStatusBatchSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly IActorRef _master;

    public MasterStatusBatchSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) => _master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) }); // probe agents send no heartbeats

    private static TaskInfo Task(string id, AgentId agent) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse("cpus:1;mem:128"), Command = new CommandInfo { Value = "true" },
    };

    [Fact]
    public void A_batch_of_updates_reaches_the_framework_as_one_message_and_its_acknowledgements_reach_the_agent_as_one()
    {
        var fw = CreateTestProbe();
        _master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "test" }, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(new AgentInfo { Hostname = "h1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId), Task("t2", agentId) }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);

        TaskStatus Status(string id, TaskState state) => new() { TaskId = new TaskId(id), State = state, AgentId = agentId, Uuid = Guid.NewGuid() };
        var running = Status("t1", TaskState.TASK_RUNNING);
        var finished = Status("t2", TaskState.TASK_FINISHED);
        _master.Tell(new StatusUpdates(new[] { new StatusUpdate(fwId, running), new StatusUpdate(fwId, finished) }), agent.Ref);

        var forwarded = fw.FishForMessage<TaskStatusUpdates>(_ => true, Wait);
        Assert.Equal(new[] { running.Uuid, finished.Uuid }, forwarded.Statuses.Select(s => s.Uuid));

        _master.Tell(new AcknowledgeStatuses(fwId, new[] { new StatusAck(agentId, running.TaskId, running.Uuid!.Value), new StatusAck(agentId, finished.TaskId, finished.Uuid!.Value) }), fw.Ref);
        var acks = agent.FishForMessage<StatusUpdateAcknowledgements>(_ => true, Wait);
        Assert.Equal(new[] { running.Uuid, finished.Uuid }, acks.Acks.Select(a => (Guid?)a.Uuid));
        Assert.All(acks.Acks, a => Assert.Equal(fwId, a.FrameworkId));

        // Both were applied: t1 is running; t2 ended (its resources went back) and, acknowledged, is among the completed tasks.
        AwaitAssert(() =>
        {
            var state = _master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result;
            Assert.Equal(TaskState.TASK_RUNNING, state.Tasks.Single(t => t.Id == running.TaskId).State);
            Assert.Equal(TaskState.TASK_FINISHED, state.Tasks.Single(t => t.Id == finished.TaskId).State);
        }, Wait);
    }
}
