using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>Torn-down frameworks are kept as Mesos' master keeps them (frameworks.completed): bounded by max-completed-frameworks
/// (Mesos --max_completed_frameworks, 50), each with its completed tasks (bounded by max-completed-tasks-per-framework); tasks
/// still active end TASK_KILLED with REASON_FRAMEWORK_REMOVED (Master::removeFramework).</summary>
public sealed class MasterCompletedFrameworksSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static FrameworkId Subscribe(IActorRef master, TestProbe fw, string name)
    {
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = name }, fw.Ref), fw.Ref);
        return fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
    }

    private ClusterState State(IActorRef master) => master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result;

    [Fact]
    public void A_torn_down_framework_is_completed_with_its_tasks_killed()
    {
        var master = TestMaster.Start(Sys);
        var events = CreateTestProbe();
        master.Tell(new SubscribeOperatorEvents(events.Ref), events.Ref);
        events.ExpectMsg<OperatorSubscribed>(Wait);
        var fw = CreateTestProbe();
        var fwId = Subscribe(master, fw, "fw");
        var agent = CreateTestProbe();
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "h1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var task = new TaskInfo { Name = "t1", TaskId = new TaskId("t1"), AgentId = agentId, Resources = ResourceBag.Parse("cpus:1;mem:128"), Command = new CommandInfo { Value = "sleep 60" } };
        master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        events.FishForMessage<OperatorTaskUpdated>(u => u.State == TaskState.TASK_RUNNING, Wait);

        master.Tell(new TeardownFramework(fwId), fw.Ref);
        // As Mesos: the task's TASK_UPDATED (KILLED) comes before FRAMEWORK_REMOVED.
        var killed = events.FishForMessage<OperatorTaskUpdated>(_ => true, Wait);
        Assert.Equal((TaskState.TASK_KILLED, Reasons.FrameworkRemoved), (killed.State, killed.Status.Reason));
        events.ExpectMsg<OperatorFrameworkRemoved>(Wait);

        var state = State(master);
        Assert.Empty(state.Frameworks);
        Assert.DoesNotContain(state.Tasks, t => t.FrameworkId == fwId);
        var completed = Assert.Single(state.CompletedFrameworks);
        Assert.Equal((fwId, false, false), (completed.Framework.Id, completed.Framework.Active, completed.Framework.Connected));
        Assert.NotNull(completed.Framework.UnregisteredTime);
        var t1 = Assert.Single(completed.CompletedTasks);
        Assert.Equal((task.TaskId, TaskState.TASK_KILLED), (t1.Id, t1.State));
        Assert.True(state.Agents.Single().Used.IsEmpty); // the killed task gave its resources back
    }

    [Fact]
    public void At_most_max_completed_frameworks_are_kept_oldest_dropped_first()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { MaxCompletedFrameworks = 2 });
        var ids = new List<FrameworkId>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            var fw = CreateTestProbe();
            var id = Subscribe(master, fw, name);
            ids.Add(id);
            master.Tell(new TeardownFramework(id), fw.Ref);
            fw.FishForMessage<FrameworkError>(_ => true, Wait);
        }
        AwaitAssert(() => Assert.Equal(ids.Skip(1), State(master).CompletedFrameworks.Select(c => c.Framework.Id)), Wait);
    }
}
