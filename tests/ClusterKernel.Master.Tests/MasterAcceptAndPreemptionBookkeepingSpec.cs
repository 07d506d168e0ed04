using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>offers/accepted counts only ACCEPTs of valid offers; preempted tasks that go away leave the preemption set.</summary>
public sealed class MasterAcceptAndPreemptionBookkeepingSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    /// <summary>The probes standing in for agents do not heartbeat: keep them reachable for the whole spec.</summary>
    private static readonly MasterSettings Settings = TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) };

    private static FrameworkId Subscribe(IActorRef master, Akka.TestKit.TestProbe fw, string name, string role = "*")
    {
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = name, Roles = new[] { role } }, fw.Ref), fw.Ref);
        return fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
    }

    private static AgentId RegisterAgent(IActorRef master, Akka.TestKit.TestProbe agent)
    {
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        return agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
    }

    private static TaskInfo Task(string id, AgentId agent, string resources) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse(resources), Command = new CommandInfo { Value = "true" },
    };

    private static IReadOnlyDictionary<string, double> Metrics(IActorRef master) => master.Ask<MetricsSnapshot>(GetMetrics.Instance, Wait).Result.Values;

    [Fact]
    public void An_ACCEPT_naming_an_invalid_offer_is_not_counted_as_accepted()
    {
        var master = TestMaster.Start(Sys, Settings);
        var fw = CreateTestProbe();
        var fwId = Subscribe(master, fw, "counted");
        var agentId = RegisterAgent(master, CreateTestProbe());
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();

        // One valid offer and one unknown: the whole ACCEPT is invalid, its task is LOST and the offer goes back.
        master.Tell(new AcceptOffers(fwId, new[] { offer.Id, new OfferId("no-such-offer") }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId, "cpus:1;mem:128") }) }, null), fw.Ref);
        Assert.Equal(TaskState.TASK_LOST, fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status.State);
        var again = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var prefix = $"master/frameworks/counted/{fwId}/offers/";
        Assert.Equal(0, Metrics(master)[prefix + "accepted"]);

        master.Tell(new AcceptOffers(fwId, new[] { again.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t2", agentId, "cpus:1;mem:128") }) }, null), fw.Ref);
        AwaitAssert(() => Assert.Equal(1, Metrics(master)[prefix + "accepted"]), Wait);
    }

    [Fact]
    public void A_preempted_task_whose_agent_is_marked_gone_before_the_kill_is_acknowledged_leaves_the_preemption_set()
    {
        var master = TestMaster.Start(Sys, Settings with { RolePriorities = new Dictionary<string, int> { ["prod"] = 10 } });
        var agent = CreateTestProbe();
        var batch = CreateTestProbe();
        var batchId = Subscribe(master, batch, "batch", "batch");
        var agentId = RegisterAgent(master, agent);
        var offer = batch.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        master.Tell(new AcceptOffers(batchId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("b1", agentId, "cpus:2;mem:512") }) }, null), batch.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        master.Tell(new StatusUpdate(batchId, new TaskStatus { TaskId = new TaskId("b1"), State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);

        Assert.True(master.Ask<OperatorResult>(new UpdateQuota("prod", new Dictionary<string, double> { ["cpus"] = 2 }, new Dictionary<string, double>()), Wait).Result.Ok);
        Subscribe(master, CreateTestProbe(), "prod", "prod");
        Assert.Equal(new TaskId("b1"), agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait).TaskId);
        AwaitAssert(() => Assert.Equal(1, Metrics(master)["master/tasks_preempting"]), Wait);

        // The agent never answers the kill; an operator marks it gone: the task is gone, and so is its preemption entry.
        Assert.True(master.Ask<OperatorResult>(new MarkAgentGone(agentId), Wait).Result.Ok);
        batch.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == new TaskId("b1") && m.Status.State == TaskState.TASK_LOST, Wait); // not PARTITION_AWARE
        AwaitAssert(() => Assert.Equal(0, Metrics(master)["master/tasks_preempting"]), Wait);
    }
}
