using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using ClusterKernel.Allocation;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>Operator calls against the master: refused input changes nothing; accepted changes reach the allocator and the agents.</summary>
public sealed class MasterOperatorSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private IActorRef _master;

    public MasterOperatorSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) => _master = TestMaster.Start(Sys);

    private (Akka.TestKit.TestProbe Probe, AgentId Id) RegisterAgent(string hostname = "host1")
    {
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(new AgentInfo { Hostname = hostname, Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        return (agent, agent.ExpectMsg<AgentRegistered>(Wait).AgentId);
    }

    private (Akka.TestKit.TestProbe Probe, FrameworkId Id) Subscribe()
    {
        var fw = CreateTestProbe();
        _master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "test", FailoverTimeout = 3600 }, fw.Ref), fw.Ref);
        return (fw, fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId);
    }

    /// <summary>A framework, an agent and one task launched on it (the agent has its RunTasks).</summary>
    private (Akka.TestKit.TestProbe Fw, FrameworkId FwId, Akka.TestKit.TestProbe Agent, AgentId AgentId, TaskInfo Task) LaunchOneTask()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var task = new TaskInfo { Name = "t", TaskId = new TaskId("t1"), AgentId = agentId, Resources = ResourceBag.Parse("cpus:1;mem:64"), Command = new CommandInfo { Value = "sleep 100" } };
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        return (fw, fwId, agent, agentId, task);
    }

    private OperatorResult Call(object message) => _master.Ask<OperatorResult>(message, Wait).Result;

    [Fact]
    public void Weights_are_updated_and_a_non_positive_weight_is_refused_without_changing_anything()
    {
        Assert.True(Call(new UpdateWeights(new Dictionary<string, double> { ["eng"] = 2.5 })).Ok);
        var refused = Call(new UpdateWeights(new Dictionary<string, double> { ["eng"] = -1, ["ops"] = 3 }));
        Assert.False(refused.Ok);
        Assert.Contains("positive", refused.Error);
        var weights = _master.Ask<WeightsView>(GetWeights.Instance, Wait).Result.Weights;
        Assert.Equal(2.5, weights["eng"]);
        Assert.False(weights.ContainsKey("ops"));
    }

    [Fact]
    public void Quota_with_a_limit_below_its_guarantee_is_refused()
    {
        var refused = Call(new UpdateQuota("eng", new Dictionary<string, double> { ["cpus"] = 4 }, new Dictionary<string, double> { ["cpus"] = 2 }));
        Assert.False(refused.Ok);
        Assert.True(Call(new UpdateQuota("eng", new Dictionary<string, double> { ["cpus"] = 1 }, new Dictionary<string, double> { ["cpus"] = 2 })).Ok);
        Assert.Equal("eng", _master.Ask<QuotaView>(GetQuota.Instance, Wait).Result.Quotas.Single().Role);
    }

    [Fact]
    public void A_deactivated_agent_loses_its_offers_and_gets_them_back_when_reactivated()
    {
        var (fw, _) = Subscribe();
        var (_, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();

        Assert.True(Call(new DeactivateAgent(agentId)).Ok);
        Assert.Equal(offer.Id, fw.FishForMessage<OfferRescinded>(_ => true, Wait).OfferId);

        Assert.True(Call(new ReactivateAgent(agentId)).Ok);
        Assert.Equal(agentId, fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single().AgentId);
    }

    [Fact]
    public void Maintenance_on_a_machine_rescinds_the_offers_of_its_agents()
    {
        var (fw, _) = Subscribe();
        RegisterAgent("rack1-host7");
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.True(Call(new UpdateMaintenance(new[] { "rack1-host7" }, Down: true)).Ok);
        Assert.Equal(offer.Id, fw.FishForMessage<OfferRescinded>(_ => true, Wait).OfferId);
        Assert.Contains("rack1-host7", _master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.DownHostnames);
    }

    [Fact]
    public void An_agent_marked_gone_reports_its_tasks_lost_to_a_framework_not_partition_aware_and_may_not_register_again()
    {
        var (fw, fwId, agent, agentId, task) = LaunchOneTask();

        Assert.True(Call(new MarkAgentGone(agentId)).Ok);

        // Mesos (__removeSlave): TASK_GONE_BY_OPERATOR only for PARTITION_AWARE frameworks (MasterOperatorEventsAgentsSpec).
        var gone = fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal((TaskState.TASK_LOST, Reasons.AgentRemoved), (gone.State, gone.Reason));
        agent.FishForMessage<AgentRegistrationRefused>(_ => true, Wait);
        _master.Tell(new ReregisterAgent(new AgentInfo { Hostname = "host1", Id = agentId, Resources = ResourceBag.Parse("cpus:2;mem:1024") },
            Array.Empty<TaskReport>(), agent.Ref), agent.Ref);
        agent.FishForMessage<AgentRegistrationRefused>(_ => true, Wait);
    }

    [Fact]
    public void Draining_with_mark_gone_ends_tasks_GONE_BY_OPERATOR_and_marks_the_agent_gone_once_its_last_task_is_acknowledged()
    {
        var (fw, fwId, agent, agentId, task) = LaunchOneTask();

        Assert.True(Call(new DrainAgent(agentId, 1, MarkGone: true)).Ok);
        Assert.Equal(1, agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait).GracePeriodSeconds);
        var uuid = Guid.NewGuid();
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_KILLED, AgentId = agentId, Uuid = uuid }), agent.Ref);
        // Mesos: drained with mark_gone, the agent's TASK_KILLED reaches the framework as TASK_GONE_BY_OPERATOR (same uuid).
        var gone = fw.FishForMessage<TaskStatusUpdate>(u => u.Status.TaskId == task.TaskId, Wait).Status;
        Assert.Equal((TaskState.TASK_GONE_BY_OPERATOR, uuid), (gone.State, gone.Uuid));
        // Killed but not yet acknowledged: not drained yet.
        Assert.DoesNotContain(agentId, _master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.GoneAgents);

        _master.Tell(new AcknowledgeStatus(fwId, agentId, task.TaskId, uuid), fw.Ref);
        agent.FishForMessage<AgentRegistrationRefused>(_ => true, Wait);
        Assert.Contains(agentId, _master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.GoneAgents);
    }

    [Fact]
    public void A_new_master_finishes_a_drain_with_mark_gone_it_recovers_from_the_registry()
    {
        var (fw, fwId, agent, agentId, task) = LaunchOneTask();
        Assert.True(Call(new DrainAgent(agentId, 1, MarkGone: true)).Ok);
        agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait);

        // The master goes away before the task is killed; the new one learns of the drain from the registry and kills again.
        Watch(_master);
        Sys.Stop(_master);
        ExpectTerminated(_master, Wait);
        _master = TestMaster.Start(Sys);
        _master.Tell(new ReregisterAgent(new AgentInfo { Hostname = "host1", Id = agentId, Resources = ResourceBag.Parse("cpus:2;mem:1024") },
            new[] { new TaskReport(fwId, task, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>()) }, agent.Ref), agent.Ref);
        Assert.Equal(task.TaskId, agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait).TaskId);

        var uuid = Guid.NewGuid();
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_KILLED, AgentId = agentId, Uuid = uuid }), agent.Ref);
        _master.Tell(new AcknowledgeStatus(fwId, agentId, task.TaskId, uuid), fw.Ref);
        agent.FishForMessage<AgentRegistrationRefused>(_ => true, Wait);
        Assert.Contains(agentId, _master.Ask<MaintenanceView>(GetMaintenance.Instance, Wait).Result.GoneAgents);
    }

    [Fact]
    public void Draining_without_mark_gone_leaves_killed_tasks_KILLED()
    {
        var (fw, fwId, agent, agentId, task) = LaunchOneTask();

        Assert.True(Call(new DrainAgent(agentId, null, MarkGone: false)).Ok);
        agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait);
        _master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_KILLED, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);
        Assert.Equal(TaskState.TASK_KILLED, fw.FishForMessage<TaskStatusUpdate>(u => u.Status.TaskId == task.TaskId, Wait).Status.State);
    }

    [Fact]
    public void Operator_calls_on_an_unknown_agent_are_refused()
    {
        var result = Call(new DeactivateAgent(new AgentId("nope")));
        Assert.False(result.Ok);
        Assert.Contains("not registered", result.Error);
    }
}
