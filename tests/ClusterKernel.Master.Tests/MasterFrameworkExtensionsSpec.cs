using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>LAUNCH_GROUP, UPDATE_FRAMEWORK, MESSAGE, FAILURE and inverse offers in the master, with probes for agents and frameworks.</summary>
public sealed class MasterFrameworkExtensionsSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly IActorRef _master;

    public MasterFrameworkExtensionsSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) => _master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) }); // probe agents send no heartbeats

    private (Akka.TestKit.TestProbe Probe, AgentId Id) RegisterAgent(string resources = "cpus:2;mem:1024")
    {
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse(resources) }, agent.Ref), agent.Ref);
        return (agent, agent.ExpectMsg<AgentRegistered>(Wait).AgentId);
    }

    private (Akka.TestKit.TestProbe Probe, FrameworkId Id) Subscribe(FrameworkInfo? info = null)
    {
        var fw = CreateTestProbe();
        _master.Tell(new SubscribeFramework(info ?? new FrameworkInfo { Name = "test" }, fw.Ref), fw.Ref);
        return (fw, fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId);
    }

    private static TaskInfo Task(string id, AgentId agent, string resources = "cpus:0.5;mem:128") => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse(resources), Command = new CommandInfo { Value = "sleep 10" },
    };

    private static readonly ExecutorInfo Executor = new() { ExecutorId = new ExecutorId("e1"), Resources = ResourceBag.Parse("cpus:0.5;mem:128") };

    private void Launch(Akka.TestKit.TestProbe fw, FrameworkId fwId, Offer offer, params OfferOperation[] ops) =>
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, ops, new Filters { RefuseSeconds = 0 }), fw.Ref);

    [Fact]
    public void A_task_group_launches_whole_with_its_executor_and_frees_the_executor_resources_after_its_last_task()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent("cpus:2;mem:1024");
        var offer = fw.ExpectMsg<ResourceOffers>(Wait).Offers.Single();

        // Executor 0.5 + tasks 1.5 cpus = the whole offer: accepted; each task carries the executor.
        Launch(fw, fwId, offer, new LaunchGroupOperation(Executor, new[] { Task("a", agentId), Task("b", agentId, "cpus:1;mem:128") }));
        var run = agent.FishForMessage<RunTasks>(_ => true, Wait);
        Assert.Equal(new[] { "a", "b" }, run.Tasks.Select(t => t.TaskId.Value));
        Assert.All(run.Tasks, t => Assert.Equal(Executor.ExecutorId, t.Executor?.ExecutorId));
        // The published state lists the executor with its tasks (GET_EXECUTORS, /state frameworks[].executors).
        var executor = Assert.Single(_master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result.Executors);
        Assert.Equal((fwId, agentId, Executor.ExecutorId), (executor.FrameworkId, executor.AgentId, executor.Info.ExecutorId));
        Assert.Equal(new[] { "a", "b" }, executor.Tasks.Select(t => t.Value).Order());

        // Both end: the executor's resources come back with the last one, so the whole agent is offered again.
        foreach (var id in new[] { "a", "b" })
            _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = new TaskId(id), AgentId = agentId, State = TaskState.TASK_KILLED, Uuid = Guid.NewGuid() }), agent.Ref);
        var again = fw.FishForMessage<ResourceOffers>(m => m.Offers.Sum(o => o.Resources.Scalar("cpus")) >= 2, Wait).Offers.Single();

        // A group one cpu bigger than the offer (executor counted) is refused whole.
        Launch(fw, fwId, again, new LaunchGroupOperation(Executor, new[] { Task("c", agentId, "cpus:1.5;mem:128"), Task("d", agentId, "cpus:1;mem:128") }));
        var refused = new[] { fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status, fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status };
        Assert.All(refused, s => Assert.Equal((TaskState.TASK_ERROR, Reasons.TaskGroupInvalid), (s.State, s.Reason)));

        // The executor's end reaches the framework as FAILURE.
        _master.Tell(new ExecutorExited(fwId, agentId, Executor.ExecutorId, 1), agent.Ref);
        Assert.Equal((Executor.ExecutorId, (int?)1), fw.FishForMessage<FrameworkFailure>(_ => true, Wait) is var f ? (f.ExecutorId!.Value, f.Status) : default);
    }

    [Fact]
    public void UPDATE_FRAMEWORK_applies_roles_and_is_refused_for_a_changed_user_or_another_connection()
    {
        var (fw, fwId) = Subscribe(new FrameworkInfo { Name = "test", Capabilities = new[] { FrameworkCapabilities.MultiRole } });
        var info = new FrameworkInfo { Name = "renamed", Id = fwId, Roles = new[] { "*", "eng" }, Capabilities = new[] { FrameworkCapabilities.MultiRole }, FailoverTimeout = 30 };
        _master.Tell(new UpdateFramework(fwId, info), fw.Ref);
        Assert.True(fw.FishForMessage<FrameworkUpdateResult>(_ => true, Wait).Ok);
        var view = _master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result.Frameworks.Single();
        Assert.Equal(("renamed", 30.0, "*,eng"), (view.Name, view.FailoverTimeout, string.Join(",", view.Roles)));

        _master.Tell(new UpdateFramework(fwId, info with { User = "other" }), fw.Ref);
        Assert.Contains("user", fw.FishForMessage<FrameworkUpdateResult>(_ => true, Wait).Error);
        _master.Tell(new UpdateFramework(fwId, info with { Capabilities = Array.Empty<string>() }), fw.Ref);
        Assert.Contains("MULTI_ROLE", fw.FishForMessage<FrameworkUpdateResult>(_ => true, Wait).Error);
        _master.Tell(new UpdateFramework(fwId, info), TestActor);
        Assert.False(ExpectMsg<FrameworkUpdateResult>(Wait).Ok);
    }

    [Fact]
    public void MESSAGE_goes_to_the_agent_and_back_and_an_agent_marked_gone_is_a_FAILURE()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        _master.Tell(new FrameworkToExecutorMessage(fwId, agentId, new ExecutorId("t1"), new byte[] { 42 }), fw.Ref);
        Assert.Equal(42, agent.FishForMessage<FrameworkToExecutorMessage>(_ => true, Wait).Data.Single());
        _master.Tell(new ExecutorToFrameworkMessage(fwId, agentId, new ExecutorId("t1"), new byte[] { 7 }), agent.Ref);
        Assert.Equal(7, fw.FishForMessage<ExecutorToFrameworkMessage>(_ => true, Wait).Data.Single());

        Assert.True(_master.Ask<OperatorResult>(new MarkAgentGone(agentId), Wait).Result.Ok);
        var failure = fw.FishForMessage<FrameworkFailure>(_ => true, Wait);
        Assert.Equal((agentId, (ExecutorId?)null), (failure.AgentId, failure.ExecutorId));
    }

    [Fact]
    public void Scheduled_maintenance_sends_inverse_offers_to_frameworks_with_tasks_there_and_records_their_answers()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Launch(fw, fwId, offer, new LaunchOperation(new[] { Task("t1", agentId) }));
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        Subscribe(new FrameworkInfo { Name = "idle" });

        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600.0;
        Assert.True(_master.Ask<OperatorResult>(new UpdateMaintenanceSchedule(new[] { new MaintenanceWindow(new[] { "host1" }, start, null) }), Wait).Result.Ok);
        var inverse = fw.FishForMessage<InverseOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal((agentId, start, (double?)null), (inverse.AgentId, inverse.StartSeconds, inverse.DurationSeconds));
        // Only the framework with a task there is asked (the idle one has nothing to give back).
        var status = _master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.InverseOfferStatuses.Single();
        Assert.Equal((fwId, "UNKNOWN"), (status.FrameworkId, status.Status));

        _master.Tell(new RespondInverseOffers(fwId, new[] { inverse.Id }, Accept: false, null), fw.Ref);
        AwaitAssert(() => Assert.Equal("DECLINE", _master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.InverseOfferStatuses.Single().Status), Wait);
        Assert.Single(_master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.Schedule);
    }

    [Fact]
    public void Inverse_offers_are_rescinded_when_the_window_changes_or_goes_and_when_the_machine_goes_down()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Launch(fw, fwId, offer, new LaunchOperation(new[] { Task("t1", agentId) }));
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        OperatorResult Schedule(params MaintenanceWindow[] windows) => _master.Ask<OperatorResult>(new UpdateMaintenanceSchedule(windows), Wait).Result;

        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600.0;
        Assert.True(Schedule(new MaintenanceWindow(new[] { "host1" }, start, 600)).Ok);
        var first = fw.FishForMessage<InverseOffers>(_ => true, Wait).Offers.Single();

        // A new window for the machine: the old inverse offer is rescinded and a new one carries the new unavailability.
        Assert.True(Schedule(new MaintenanceWindow(new[] { "host1" }, start + 60, 600)).Ok);
        Assert.Equal(first.Id, fw.FishForMessage<InverseOfferRescinded>(_ => true, Wait).InverseOfferId);
        var second = fw.FishForMessage<InverseOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal(start + 60, second.StartSeconds);

        // The same schedule again changes nothing for it; the machine going down voids it.
        Assert.True(Schedule(new MaintenanceWindow(new[] { "host1" }, start + 60, 600)).Ok);
        Assert.True(_master.Ask<OperatorResult>(new UpdateMaintenance(new[] { "host1" }, Down: true), Wait).Result.Ok);
        Assert.Equal(second.Id, fw.FishForMessage<InverseOfferRescinded>(_ => true, Wait).InverseOfferId);

        // Back up and unscheduled: no new inverse offer, nothing left to rescind.
        Assert.True(_master.Ask<OperatorResult>(new UpdateMaintenance(new[] { "host1" }, Down: false), Wait).Result.Ok);
        Assert.True(Schedule().Ok);
        Assert.Empty(_master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.InverseOfferStatuses);
    }
}
