using Akka.Actor;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>The SDK's RESERVE/CREATE calls and operation-status callback.</summary>
public sealed class FrameworkActorOperationsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    private sealed class VolumeFramework : FrameworkActor
    {
        public sealed record Status(OperationStatus Value);
        private readonly IActorRef _report;

        public VolumeFramework(IActorRef master, IActorRef report) : base(new FrameworkInfo { Name = "vol", Roles = new[] { "eng" } }, master)
        {
            _report = report;
            Receive<Offer>(offer =>
            {
                var disk = Res.From(Res.Parse("disk:10").Select(r => r with { Role = "eng", Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, "eng") } }));
                Reserve(offer, disk, "r1");
                CreateVolumes(offer, Res.From(disk.Select(r => r with { Disk = new DiskInfo("v1", null, "data") })), "c1");
            });
        }

        protected override void OnOperationStatus(OperationStatus status) => _report.Tell(new Status(status));
    }

    [Fact]
    public void Reserve_and_create_go_out_as_accepts_and_operation_statuses_reach_the_callback_and_are_acknowledged()
    {
        var master = CreateTestProbe();
        var report = CreateTestProbe();
        var framework = Sys.ActorOf(Props.Create(() => new VolumeFramework(master.Ref, report.Ref)));
        master.ExpectMsg<SubscribeFramework>(Wait);
        framework.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, false), master.Ref);

        framework.Tell(Samples.Offer("o1", "disk:100"));
        var reserve = Assert.IsType<ReserveOperation>(Assert.Single(master.FishForMessage<AcceptOffers>(_ => true, Wait).Operations));
        Assert.Equal(("r1", "eng"), (reserve.Id, reserve.Resources.Single().Role));
        var create = Assert.IsType<CreateOperation>(Assert.Single(master.FishForMessage<AcceptOffers>(_ => true, Wait).Operations));
        Assert.Equal("v1", create.Volumes.Single().Disk!.PersistenceId);

        var uuid = Guid.NewGuid();
        framework.Tell(new OperationStatusUpdate(new OperationStatus("r1", OperationStates.Finished, null, Samples.AgentId, uuid, 0)), master.Ref);
        Assert.Equal("r1", report.ExpectMsg<VolumeFramework.Status>(Wait).Value.OperationId);
        Assert.Equal(new AcknowledgeOperationStatus(Samples.FrameworkId, Samples.AgentId, "r1", uuid), master.FishForMessage<AcknowledgeOperationStatus>(_ => true, Wait));
    }
}
