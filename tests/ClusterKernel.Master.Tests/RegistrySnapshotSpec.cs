using Akka.Actor;
using ClusterKernel.Protocol;
using ClusterKernel.Protocol.Serialization;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>
/// A registry restored from its snapshot (after the snapshot's JSON round trip, as the snapshot store does it) equals the registry
/// the events built, for every kind of registry event; events after the snapshot apply on top as they would on a full replay.
/// </summary>
public sealed class RegistrySnapshotSpec : Akka.TestKit.Xunit2.TestKit
{
    public RegistrySnapshotSpec() : base(TestMaster.Config) { }

    private static readonly AgentId A1 = new("a1"), A2 = new("a2"), A3 = new("a3"), A4 = new("a4");
    private static readonly FrameworkId F1 = new("f1"), F2 = new("f2"), F3 = new("f3");

    private static AgentInfo Agent(AgentId id) => new() { Hostname = "h-" + id.Value, Id = id, Resources = Res.Parse("cpus:4;mem:1024;ports:[31000-31010]"), Attributes = new Dictionary<string, string> { ["rack"] = "r1" } };
    private static FrameworkInfo Framework(FrameworkId id) => new() { Name = "fw-" + id.Value, Id = id, FailoverTimeout = 60, Roles = new[] { "eng" } };

    private static readonly IClusterMessage[] Before =
    {
        new AgentAdmitted(A1, Agent(A1), 1), new AgentAdmitted(A2, Agent(A2), 2), new AgentAdmitted(A3, Agent(A3), 3),
        new FrameworkAdded(F1, Framework(F1), 4, "akka.tcp://ck@127.0.0.1:1/user/f1"), new FrameworkAdded(F2, Framework(F2), 5, null),
        new FrameworkAdded(F3, Framework(F3), 5.5, null), new FrameworkRemoved(F3, 5.6),
        new FrameworkDisconnected(F1, 6), new FrameworkUpdated(F2, Framework(F2) with { Name = "renamed" }, 7),
        new WeightsUpdated(new Dictionary<string, double> { ["eng"] = 2 }),
        new QuotaUpdated("eng", new Dictionary<string, double> { ["cpus"] = 1 }, new Dictionary<string, double> { ["cpus"] = 3 }),
        new AgentAvailabilityChanged(A2, true, false), new AgentAvailabilityChanged(A3, false, true, MarkGone: true),
        new AgentMarkedGone(A4, 8), new MaintenanceUpdated(new[] { "h-a1" }, true),
        new AgentResourcesCheckpointed(A1, Res.Parse("cpus(eng):1")),
        new MaintenanceScheduleUpdated(new[] { new MaintenanceWindow(new[] { "h-a2" }, 100, 60) }),
        new OperationStatusRecorded(new OperationView(F2, A1, "RESERVE", new OperationStatus("op1", "OPERATION_FINISHED", null, A1, Guid.NewGuid(), 9))),
    };

    private static readonly IClusterMessage[] After =
    {
        new AgentRemoved(A2, "gone", 10), new AgentMarkedGone(A3, 11), new FrameworkReconnected(F1, Framework(F1), 12, null),
        new OperationStatusAcknowledged(F2, "op1"), new AgentAdmitted(A4 with { Value = "a5" }, Agent(new AgentId("a5")), 13),
    };

    [Fact]
    public void A_registry_restored_from_its_snapshot_and_later_events_equals_the_replayed_one()
    {
        var replayed = new Registry();
        foreach (var e in Before.Concat(After)) replayed.Apply(e);

        var original = new Registry();
        foreach (var e in Before) original.Apply(e);
        var json = new ClusterMessageSerializer((ExtendedActorSystem)Sys);
        var stored = (RegistrySnapshot)json.FromBinary(json.ToBinary(original.ToSnapshot()), json.Manifest(original.ToSnapshot()));
        Assert.Equal("RegistrySnapshot", json.Manifest(stored));
        var restored = new Registry();
        restored.Apply(new AgentAdmitted(new AgentId("stale"), Agent(new AgentId("stale")), 0)); // replaced by the snapshot
        restored.Restore(stored);
        Assert.Equal(Text(json, original), Text(json, restored));
        foreach (var e in After) restored.Apply(e);

        Assert.Equal(Text(json, replayed), Text(json, restored));
        Assert.Equal(new[] { "a1", "a5" }, restored.Agents.Keys.Select(a => a.Value).Order());
        Assert.Contains(F3, restored.RemovedFrameworks);
        Assert.Contains(A4, restored.Gone);
        Assert.Null(restored.Frameworks[F1].DisconnectedTime);
    }

    private static string Text(ClusterMessageSerializer json, Registry r) => System.Text.Encoding.UTF8.GetString(json.ToBinary(r.ToSnapshot()));
}
