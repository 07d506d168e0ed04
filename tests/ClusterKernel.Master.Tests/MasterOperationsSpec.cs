using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>RESERVE / UNRESERVE / CREATE / DESTROY in ACCEPT and from an operator, with operation feedback and persistence.</summary>
public sealed class MasterOperationsSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    // The probe agents send no heartbeats.
    private static readonly TimeSpan NoPing = TimeSpan.FromMinutes(5);
    private IActorRef _master;

    public MasterOperationsSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) => _master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = NoPing });

    private static ResourceBag Dyn(string text, string role = "eng") =>
        ResourceBag.From(ResourceBag.Parse(text).Select(r => r with { Role = role, Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, role, "ops") } }));

    private (Akka.TestKit.TestProbe Probe, AgentId Id) RegisterAgent()
    {
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024;disk:100") }, agent.Ref), agent.Ref);
        return (agent, agent.FishForMessage<AgentRegistered>(_ => true, Wait).AgentId);
    }

    private (Akka.TestKit.TestProbe Probe, FrameworkId Id) Subscribe(string role = "eng")
    {
        var fw = CreateTestProbe();
        _master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "test", Roles = new[] { role }, Principal = "ops", FailoverTimeout = 3600 }, fw.Ref), fw.Ref);
        return (fw, fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId);
    }

    private static TaskInfo Task(string id, AgentId agent, ResourceBag resources) =>
        new() { Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = resources, Command = new CommandInfo { Value = "sleep 100" } };

    [Fact]
    public void Reserve_and_launch_in_one_accept_apply_in_order_report_feedback_and_the_rest_of_the_reservation_is_offered_again()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var reserved = Dyn("cpus:1;mem:256");
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[]
        {
            new ReserveOperation(reserved, "r1"),
            new LaunchOperation(new[] { Task("t1", agentId, Dyn("cpus:0.5;mem:128")) }),
        }, new Filters { RefuseSeconds = 0 }), fw.Ref);

        var status = fw.FishForMessage<OperationStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal(("r1", OperationStates.Finished), (status.OperationId, status.State));
        Assert.Equal(reserved, agent.FishForMessage<CheckpointResourcesOnAgent>(_ => true, Wait).Checkpointed);
        Assert.Equal("t1", agent.FishForMessage<RunTasks>(_ => true, Wait).Tasks.Single().TaskId.Value);

        var next = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal(Dyn("cpus:0.5;mem:128"), next.Resources.Where(r => r.IsReserved));
        var state = _master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result;
        Assert.Equal(reserved, state.Agents.Single().Resources.Where(r => r.IsReserved));

        // Kept until acknowledged; reconciliation answers for it, and OPERATION_UNKNOWN for an id the master never saw.
        Assert.Single(_master.Ask<OperationsView>(GetOperations.Instance, Wait).Result.Operations);
        _master.Tell(new ReconcileOperations(fwId, new[] { "r1", "nope" }), fw.Ref);
        var answers = new[] { fw.FishForMessage<OperationStatusUpdate>(_ => true, Wait).Status, fw.FishForMessage<OperationStatusUpdate>(_ => true, Wait).Status };
        Assert.Equal(OperationStates.Finished, answers.Single(s => s.OperationId == "r1").State);
        Assert.Equal(OperationStates.Unknown, answers.Single(s => s.OperationId == "nope").State);
        _master.Tell(new AcknowledgeOperationStatus(fwId, agentId, "r1", status.Uuid!.Value), fw.Ref);
        AwaitAssert(() => Assert.Empty(_master.Ask<OperationsView>(GetOperations.Instance, Wait).Result.Operations), Wait);
    }

    [Fact]
    public void An_unacknowledged_operation_status_survives_a_master_restart_and_an_acknowledged_one_does_not_come_back()
    {
        var (fw, fwId) = Subscribe();
        var (_, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[]
        {
            new ReserveOperation(Dyn("cpus:1;mem:256"), "r1"), new ReserveOperation(Dyn("cpus:0.5"), "r2"),
        }, null), fw.Ref);
        var r1 = fw.FishForMessage<OperationStatusUpdate>(u => u.Status.OperationId == "r1", Wait).Status;
        _master.Tell(new AcknowledgeOperationStatus(fwId, agentId, "r1", r1.Uuid!.Value), fw.Ref);
        AwaitAssert(() => Assert.Equal("r2", _master.Ask<OperationsView>(GetOperations.Instance, Wait).Result.Operations.Single().Latest.OperationId), Wait);

        Restart();
        var again = CreateTestProbe();
        _master.Tell(new SubscribeFramework(new FrameworkInfo { Id = fwId, Name = "test", Roles = new[] { "eng" }, Principal = "ops", FailoverTimeout = 3600 }, again.Ref), again.Ref);
        again.FishForMessage<FrameworkSubscribed>(_ => true, Wait);
        _master.Tell(new ReconcileOperations(fwId, Array.Empty<string>()), again.Ref);
        var known = again.FishForMessage<OperationStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal(("r2", OperationStates.Finished), (known.OperationId, known.State));
        Assert.Equal("r2", _master.Ask<OperationsView>(GetOperations.Instance, Wait).Result.Operations.Single().Latest.OperationId);
    }

    private void Restart()
    {
        Watch(_master);
        Sys.Stop(_master);
        ExpectTerminated(_master, Wait);
        _master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = NoPing });
    }

    [Fact]
    public void An_invalid_operation_is_dropped_alone_with_an_error()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[]
        {
            new ReserveOperation(Dyn("cpus:1", "ads"), "bad"),
            new LaunchOperation(new[] { Task("t1", agentId, ResourceBag.Parse("cpus:1;mem:64")) }),
        }, null), fw.Ref);
        var status = fw.FishForMessage<OperationStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal(OperationStates.Error, status.State);
        Assert.Contains("not one of the framework's roles", status.Message);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
    }

    [Fact]
    public void Operator_reservations_are_offered_to_their_role_refused_when_not_free_and_survive_a_master_restart()
    {
        var (agent, agentId) = RegisterAgent();
        var reserved = Dyn("cpus:1;mem:512");
        Assert.True(_master.Ask<OperatorResult>(new ReserveResources(agentId, reserved), Wait).Result.Ok);
        Assert.IsType<OperatorConflict>(_master.Ask<object>(new ReserveResources(agentId, Dyn("cpus:2")), Wait).Result);
        var star = _master.Ask<OperatorResult>(new ReserveResources(agentId, Dyn("cpus:1", "*")), Wait).Result;
        Assert.Contains("cannot be reserved", star.Error);

        var (fw, _) = Subscribe();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal(reserved, offer.Resources.Where(r => r.IsReserved));

        // A new master recovers the reservation from the registry and carves it out of what the agent declares again.
        Watch(_master);
        Sys.Stop(_master);
        ExpectTerminated(_master, Wait);
        _master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = NoPing });
        _master.Tell(new ReregisterAgent(new AgentInfo { Hostname = "host1", Id = agentId, Resources = ResourceBag.Parse("cpus:2;mem:1024;disk:100") },
            Array.Empty<TaskReport>(), agent.Ref), agent.Ref);
        Assert.Equal(reserved, agent.FishForMessage<CheckpointResourcesOnAgent>(_ => true, Wait).Checkpointed);
        AwaitAssert(() => Assert.Equal(reserved, _master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result.Agents.Single().Resources.Where(r => r.IsReserved)), Wait);

        Assert.True(_master.Ask<OperatorResult>(new UnreserveResources(agentId, reserved), Wait).Result.Ok);
        AwaitAssert(() => Assert.Empty(_master.Ask<ClusterState>(GetClusterState.Instance, Wait).Result.Agents.Single().Resources.Where(r => r.IsReserved)), Wait);
    }

    [Fact]
    public void A_volume_in_use_cannot_be_destroyed()
    {
        var (fw, fwId) = Subscribe();
        var (agent, agentId) = RegisterAgent();
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        var volume = ResourceBag.From(Dyn("disk:10").Select(r => r with { Disk = new DiskInfo("v1", "ops", "data") }));
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[]
        {
            new ReserveOperation(Dyn("disk:10")),
            new CreateOperation(volume),
            new LaunchOperation(new[] { Task("t1", agentId, ResourceBag.Parse("cpus:1;mem:64") + volume) }),
        }, null), fw.Ref);
        Assert.Equal(volume, agent.FishForMessage<CheckpointResourcesOnAgent>(_ => true, Wait).Checkpointed);
        Assert.Contains(agent.FishForMessage<RunTasks>(_ => true, Wait).Tasks.Single().Resources, r => r.IsPersistentVolume);
        Assert.Contains("in use", _master.Ask<OperatorConflict>(new DestroyVolumes(agentId, volume), Wait).Result.Error);
    }
}
