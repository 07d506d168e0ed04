using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>recovered-allocation-delay: resources freed by an ended task are offered again by a cycle over their agent, not at
/// the next allocation interval (set to an hour here, so only that cycle can make the second offer).</summary>
public sealed class MasterRecoveredAllocationSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public MasterRecoveredAllocationSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) { }

    private static FrameworkId Subscribe(IActorRef master, Akka.TestKit.TestProbe fw, string name)
    {
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = name, Roles = new[] { "*" } }, fw.Ref), fw.Ref);
        return fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
    }

    private static AllocatorMetrics AllocatorMetrics(IActorRef master) => master.Ask<AllocatorMetrics>(GetAllocatorMetrics.Instance, Wait).Result;

    [Fact]
    public void The_setting_is_off_by_default_and_read_from_config()
    {
        Assert.Null(MasterSettings.Create(Akka.Configuration.Config.Empty).RecoveredAllocationDelay);
        var set = MasterSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString("clusterkernel.master.recovered-allocation-delay = 20ms"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), set.RecoveredAllocationDelay);
    }

    [Fact]
    public void Resources_of_an_ended_task_are_offered_again_before_the_next_interval()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with
        {
            AllocationInterval = TimeSpan.FromHours(1), RecoveredAllocationDelay = TimeSpan.FromMilliseconds(10), AgentPingTimeout = TimeSpan.FromMinutes(5),
        });
        var agent = CreateTestProbe();
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var fw = CreateTestProbe();
        var fwId = Subscribe(master, fw, "a");
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var task = new TaskInfo { Name = "t1", TaskId = new TaskId("t1"), AgentId = agentId, Resources = ResourceBag.Parse("cpus:2;mem:1024"), Command = new CommandInfo { Value = "true" } };
        master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_FINISHED, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);

        // The interval is an hour: only the cycle over the agent the finished task freed can make this offer.
        var again = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.NotEqual(offer.Id, again.Id);
        Assert.Equal(2, again.Resources.Scalar("cpus"));
        Assert.True(AllocatorMetrics(master).Extra["allocator/ck/incremental_grants"] >= 1);
    }
}
