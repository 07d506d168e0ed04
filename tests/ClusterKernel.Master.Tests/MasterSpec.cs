using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using ClusterKernel.Allocation;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>The master's protocol, with probes standing in for agents and frameworks and an in-memory journal.</summary>
public sealed class MasterSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly IActorRef _master;

    public MasterSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) => _master = TestMaster.Start(Sys);

    private static AgentInfo AgentInfo(string resources = "cpus:2;mem:1024") =>
        new() { Hostname = "host1", Resources = ResourceBag.Parse(resources) };

    private (Akka.TestKit.TestProbe Probe, AgentId Id) RegisterAgent(string resources = "cpus:2;mem:1024")
    {
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(AgentInfo(resources), agent.Ref), agent.Ref);
        return (agent, agent.ExpectMsg<AgentRegistered>(Wait).AgentId);
    }

    private (Akka.TestKit.TestProbe Probe, FrameworkId Id) Subscribe(FrameworkInfo? info = null)
    {
        var fw = CreateTestProbe();
        _master.Tell(new SubscribeFramework(info ?? new FrameworkInfo { Name = "test" }, fw.Ref), fw.Ref);
        return (fw, fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId);
    }

    private static TaskInfo Task(string id, AgentId agent, string resources = "cpus:1;mem:128") => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse(resources), Command = new CommandInfo { Value = "true" },
    };

    [Fact]
    public void A_framework_torn_down_cannot_subscribe_again_with_its_id()
    {
        var (fw, fwId) = Subscribe();
        _master.Tell(new TeardownFramework(fwId), fw.Ref);
        var again = CreateTestProbe();
        AwaitAssert(() =>
        {
            _master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "test", Id = fwId }, again.Ref), again.Ref);
            Assert.Contains("has been removed", again.FishForMessage<FrameworkError>(_ => true, TimeSpan.FromSeconds(2)).Message);
        }, Wait);
        // A new subscription without the id is a new framework.
        Assert.NotEqual(fwId, Subscribe().Id);
    }

    [Fact]
    public void A_retried_registration_from_the_same_agent_gets_the_same_id()
    {
        var (agent, id) = RegisterAgent();
        _master.Tell(new RegisterAgent(AgentInfo(), agent.Ref), agent.Ref);
        Assert.Equal(id, agent.ExpectMsg<AgentRegistered>(Wait).AgentId);
    }

    [Fact]
    public void A_subscribed_framework_is_offered_the_agents_resources()
    {
        var (fw, fwId) = Subscribe();
        var (_, agentId) = RegisterAgent("cpus:2;mem:1024");
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal(agentId, offer.AgentId);
        Assert.Equal(fwId, offer.FrameworkId);
        Assert.Equal(2, offer.Resources.Scalar("cpus"));
    }

    [Fact]
    public void An_accepted_launch_reaches_the_agent_and_its_status_updates_and_acknowledgements_flow_through()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();

        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId) }) }, null), fw.Ref);
        var run = agent.FishForMessage<RunTasks>(_ => true, Wait);
        Assert.Equal(new TaskId("t1"), run.Tasks.Single().TaskId);

        var uuid = Guid.NewGuid();
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = uuid }), agent.Ref);
        Assert.Equal(TaskState.TASK_RUNNING, fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status.State);

        _master.Tell(new AcknowledgeStatus(fwId, agentId, new TaskId("t1"), uuid), fw.Ref);
        Assert.Equal(uuid, agent.FishForMessage<StatusUpdateAcknowledgement>(_ => true, Wait).Uuid);
    }

    [Fact]
    public void A_task_larger_than_its_offer_gets_TASK_ERROR_and_a_reused_offer_gets_TASK_LOST()
    {
        var (fw, fwId) = Subscribe();
        var (_, agentId) = RegisterAgent("cpus:2;mem:1024");
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();

        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("big", agentId, "cpus:3;mem:128") }) }, null), fw.Ref);
        var error = fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal(TaskState.TASK_ERROR, error.State);
        Assert.Equal(Reasons.TaskInvalid, error.Reason);

        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("again", agentId) }) }, null), fw.Ref);
        var lost = fw.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == new TaskId("again"), Wait).Status;
        Assert.Equal(TaskState.TASK_LOST, lost.State);
        Assert.Equal(Reasons.InvalidOffers, lost.Reason);
    }

    [Fact]
    public void An_offer_is_rescinded_when_its_agent_goes_away()
    {
        var (fw, _) = Subscribe();
        var (agent, _) = RegisterAgent();
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();

        Sys.Stop(agent.Ref);

        Assert.Equal(offer.Id, fw.FishForMessage<OfferRescinded>(_ => true, Wait).OfferId);
    }

    [Fact]
    public void Killing_a_task_the_master_does_not_know_answers_TASK_LOST()
    {
        var (fw, fwId) = Subscribe();
        _master.Tell(new KillTask(fwId, new TaskId("ghost"), null), fw.Ref);
        var status = fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal(TaskState.TASK_LOST, status.State);
        Assert.Equal(new TaskId("ghost"), status.TaskId);
    }

    [Fact]
    public void Explicit_reconciliation_reports_the_latest_state_with_REASON_RECONCILIATION()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId) }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait);

        _master.Tell(new ReconcileTasks(fwId, new[] { new ReconcileTask(new TaskId("t1"), agentId) }), fw.Ref);

        var status = fw.FishForMessage<TaskStatusUpdate>(m => m.Status.Reason == Reasons.Reconciliation, Wait).Status;
        Assert.Equal(TaskState.TASK_RUNNING, status.State);
        Assert.Null(status.Uuid);
    }

    [Fact]
    public void A_framework_with_failover_timeout_zero_is_removed_and_its_tasks_shut_down_when_it_disconnects()
    {
        var (fw, fwId) = Subscribe(new FrameworkInfo { Name = "short-lived", FailoverTimeout = 0 });
        var (agent, agentId) = RegisterAgent();
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId) }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);

        Sys.Stop(fw.Ref);

        Assert.Equal(fwId, agent.FishForMessage<ShutdownFrameworkOnAgent>(_ => true, Wait).FrameworkId);
    }

    [Fact]
    public void A_call_from_an_actor_that_is_not_the_frameworks_connection_is_refused()
    {
        var (fw, fwId) = Subscribe();
        RegisterAgent();
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();
        var intruder = CreateTestProbe();

        _master.Tell(new DeclineOffers(fwId, new[] { offer.Id }, null), intruder.Ref);

        Assert.Contains("not subscribed from this connection", intruder.ExpectMsg<FrameworkError>(Wait).Message);
        fw.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the offer is still the framework's: no rescind, no new offer
    }

    private (Akka.TestKit.TestProbe Fw, FrameworkId FwId, AgentId AgentId, TaskInfo Task) RunningTask(FrameworkInfo info, Akka.TestKit.TestProbe agent)
    {
        var (fw, fwId) = Subscribe(info);
        _master.Tell(new RegisterAgent(AgentInfo(), agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();
        var task = Task("t1", agentId);
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        fw.FishForMessage<TaskStatusUpdate>(m => m.Status.State == TaskState.TASK_RUNNING, Wait);
        return (fw, fwId, agentId, task);
    }

    [Fact]
    public void A_partition_aware_framework_sees_TASK_UNREACHABLE_then_RUNNING_when_the_agent_comes_back()
    {
        var agent = CreateTestProbe();
        var (fw, fwId, agentId, task) = RunningTask(new FrameworkInfo { Name = "pa", Capabilities = new[] { FrameworkCapabilities.PartitionAware } }, agent);

        Sys.Stop(agent.Ref);
        Assert.Equal(TaskState.TASK_UNREACHABLE, fw.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == task.TaskId, Wait).Status.State);

        var back = CreateTestProbe();
        _master.Tell(new ReregisterAgent(AgentInfo() with { Id = agentId },
            new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, back.Ref), back.Ref);
        back.ExpectMsg<AgentRegistered>(Wait);
        var again = fw.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == task.TaskId, Wait).Status;
        Assert.Equal(TaskState.TASK_RUNNING, again.State);
        Assert.Equal(Reasons.AgentReregistered, again.Reason);
    }

    [Fact]
    public void Other_frameworks_see_TASK_LOST_and_the_task_is_killed_if_its_agent_comes_back()
    {
        var agent = CreateTestProbe();
        var (fw, fwId, agentId, task) = RunningTask(new FrameworkInfo { Name = "classic" }, agent);

        Sys.Stop(agent.Ref);
        Assert.Equal(TaskState.TASK_LOST, fw.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == task.TaskId, Wait).Status.State);

        var back = CreateTestProbe();
        _master.Tell(new ReregisterAgent(AgentInfo() with { Id = agentId },
            new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, back.Ref), back.Ref);
        back.ExpectMsg<AgentRegistered>(Wait);
        Assert.Equal(task.TaskId, back.FishForMessage<KillTaskOnAgent>(_ => true, Wait).TaskId);
    }

    [Fact]
    public void A_task_the_agent_no_longer_reports_when_it_reregisters_is_TASK_LOST()
    {
        var agent = CreateTestProbe();
        var (fw, _, agentId, task) = RunningTask(new FrameworkInfo { Name = "classic" }, agent);

        _master.Tell(new ReregisterAgent(AgentInfo() with { Id = agentId }, Array.Empty<TaskReport>(), agent.Ref), agent.Ref);

        var lost = fw.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == task.TaskId, Wait).Status;
        Assert.Equal(TaskState.TASK_LOST, lost.State);
        Assert.Equal(Reasons.AgentRestarted, lost.Reason);
    }

    [Fact]
    public void A_retried_reregistration_is_answered_again_and_counted_apart_from_the_first()
    {
        var agent = CreateTestProbe();
        var (fw, fwId, agentId, task) = RunningTask(new FrameworkInfo { Name = "pa", Capabilities = new[] { FrameworkCapabilities.PartitionAware } }, agent);
        Sys.Stop(agent.Ref);
        Assert.Equal(TaskState.TASK_UNREACHABLE, fw.FishForMessage<TaskStatusUpdate>(m => m.Status.TaskId == task.TaskId, Wait).Status.State);
        var back = CreateTestProbe();
        var reregister = new ReregisterAgent(AgentInfo() with { Id = agentId },
            new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, back.Ref);
        _master.Tell(new AgentHeartbeat(agentId, "an-earlier-master"), back.Ref);
        back.FishForMessage<ReregistrationRequired>(_ => true, Wait);
        _master.Tell(reregister, back.Ref);
        back.FishForMessage<AgentRegistered>(_ => true, Wait);
        _master.Tell(reregister, back.Ref);
        back.FishForMessage<AgentRegistered>(_ => true, Wait);

        var m = _master.Ask<MetricsSnapshot>(GetMetrics.Instance, Wait).Result.Values;
        Assert.Equal(1, m["master/slave_reregistrations"]);
        Assert.Equal(1, m["master/ck/slave_reregistrations_repeated"]);
        Assert.True(m["master/ck/reregistration_required_sent"] >= 1);
    }
}
