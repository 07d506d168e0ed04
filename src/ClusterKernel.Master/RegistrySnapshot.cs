using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// The whole registry, saved as an Akka.Persistence snapshot every <c>registry-snapshot-every</c> events so that a new leader
/// recovers from the latest snapshot plus the events after it instead of replaying every <see cref="AgentAdmitted"/> since the
/// cluster began. It is written as the registry events that rebuild the state, so it reuses their JSON form (stable: they are
/// journal manifests); its own manifest is its type name (never rename). Serialized by ClusterMessageSerializer (id 4711).
/// </summary>
public sealed record RegistrySnapshot(
    IReadOnlyList<FrameworkRemoved> RemovedFrameworks,
    IReadOnlyList<AgentMarkedGone> Gone,
    IReadOnlyList<AgentAdmitted> Agents,
    IReadOnlyList<FrameworkAdded> Frameworks,
    IReadOnlyList<FrameworkDisconnected> Disconnected,
    WeightsUpdated Weights,
    IReadOnlyList<QuotaUpdated> Quotas,
    IReadOnlyList<AgentAvailabilityChanged> Availability,
    MaintenanceUpdated DownHostnames,
    IReadOnlyList<AgentResourcesCheckpointed> Checkpointed,
    MaintenanceScheduleUpdated Schedule,
    IReadOnlyList<OperationStatusRecorded> Operations) : IClusterMessage
{
    /// <summary>The events in the order that rebuilds the registry (removals and gone marks before what they would undo).</summary>
    public IEnumerable<IClusterMessage> Events()
    {
        foreach (var e in RemovedFrameworks) yield return e;
        foreach (var e in Gone) yield return e;
        foreach (var e in Agents) yield return e;
        foreach (var e in Frameworks) yield return e;
        foreach (var e in Disconnected) yield return e;
        yield return Weights;
        foreach (var e in Quotas) yield return e;
        foreach (var e in Availability) yield return e;
        yield return DownHostnames;
        foreach (var e in Checkpointed) yield return e;
        yield return Schedule;
        foreach (var e in Operations) yield return e;
    }
}

public sealed partial class Registry
{
    public RegistrySnapshot ToSnapshot() => new(
        RemovedFrameworks.Select(id => new FrameworkRemoved(id, 0)).ToList(),
        Gone.Select(id => new AgentMarkedGone(id, 0)).ToList(),
        Agents.Select(a => new AgentAdmitted(a.Key, a.Value, 0)).ToList(),
        Frameworks.Select(f => new FrameworkAdded(f.Key, f.Value.Info, f.Value.RegisteredTime, f.Value.ActorPath)).ToList(),
        Frameworks.Where(f => f.Value.DisconnectedTime is not null).Select(f => new FrameworkDisconnected(f.Key, f.Value.DisconnectedTime!.Value)).ToList(),
        new WeightsUpdated(new Dictionary<string, double>(Weights)),
        Quotas.Values.ToList(),
        Deactivated.Union(Draining).Union(GoneWhenDrained)
            .Select(id => new AgentAvailabilityChanged(id, Deactivated.Contains(id), Draining.Contains(id), GoneWhenDrained.Contains(id))).ToList(),
        new MaintenanceUpdated(DownHostnames.ToList(), true),
        Checkpointed.Select(c => new AgentResourcesCheckpointed(c.Key, c.Value)).ToList(),
        new MaintenanceScheduleUpdated(Schedule.ToList()),
        Operations.Values.SelectMany(ops => ops.Values).Select(o => new OperationStatusRecorded(o)).ToList());

    /// <summary>Replaces the whole registry with a snapshot's (recovery then replays the events after it).</summary>
    public void Restore(RegistrySnapshot snapshot)
    {
        Agents.Clear(); Frameworks.Clear(); Weights.Clear(); Quotas.Clear(); Deactivated.Clear(); Draining.Clear();
        GoneWhenDrained.Clear(); Gone.Clear(); DownHostnames.Clear(); Checkpointed.Clear(); Schedule.Clear();
        RemovedFrameworks.Clear(); Operations.Clear();
        foreach (var e in snapshot.Events()) Apply(e);
    }
}
