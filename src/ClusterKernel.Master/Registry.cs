using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>A framework as the registry remembers it.</summary>
public sealed record RegisteredFramework(FrameworkInfo Info, double RegisteredTime, double? DisconnectedTime, string? ActorPath);

/// <summary>
/// The master's persisted state, rebuilt from the journal on recovery: plain C#, changed only by <see cref="Apply"/>.
/// </summary>
public sealed partial class Registry
{
    public Dictionary<AgentId, AgentInfo> Agents { get; } = new();
    public Dictionary<FrameworkId, RegisteredFramework> Frameworks { get; } = new();
    public Dictionary<string, double> Weights { get; } = new();
    public Dictionary<string, QuotaUpdated> Quotas { get; } = new();
    public HashSet<AgentId> Deactivated { get; } = new();
    public HashSet<AgentId> Draining { get; } = new();
    /// <summary>Draining agents to mark gone once their last task is terminal and acknowledged (DRAIN_AGENT mark_gone).</summary>
    public HashSet<AgentId> GoneWhenDrained { get; } = new();
    public HashSet<AgentId> Gone { get; } = new();
    public HashSet<string> DownHostnames { get; } = new();
    /// <summary>Per agent: its dynamic reservations and persistent volumes, carved out of what it declares when it registers.</summary>
    public Dictionary<AgentId, ClusterKernel.Resources.Resources> Checkpointed { get; } = new();
    public List<MaintenanceWindow> Schedule { get; } = new();
    /// <summary>Frameworks torn down or past their failover_timeout: their ids may not subscribe again (as Mesos), also after failover.</summary>
    public HashSet<FrameworkId> RemovedFrameworks { get; } = new();
    /// <summary>Operations with an id, per framework, until their status is acknowledged.</summary>
    public Dictionary<FrameworkId, Dictionary<string, OperationView>> Operations { get; } = new();

    /// <summary>An agent gets no new offers while deactivated, draining, or on a machine down for maintenance.</summary>
    public bool IsAvailable(AgentId id, string hostname) => !Deactivated.Contains(id) && !Draining.Contains(id) && !DownHostnames.Contains(hostname);

    public void Apply(object e)
    {
        switch (e)
        {
            case AgentAdmitted a: Agents[a.AgentId] = a.Info; break;
            case AgentRemoved r: Agents.Remove(r.AgentId); break;
            case FrameworkAdded f: Frameworks[f.FrameworkId] = new RegisteredFramework(f.Info, f.Time, null, f.ActorPath); break;
            case FrameworkDisconnected d when Frameworks.TryGetValue(d.FrameworkId, out var fw):
                Frameworks[d.FrameworkId] = fw with { DisconnectedTime = d.Time };
                break;
            case FrameworkReconnected c when Frameworks.TryGetValue(c.FrameworkId, out var fw):
                Frameworks[c.FrameworkId] = fw with { Info = c.Info, DisconnectedTime = null, ActorPath = c.ActorPath };
                break;
            case FrameworkRemoved r: Frameworks.Remove(r.FrameworkId); RemovedFrameworks.Add(r.FrameworkId); Operations.Remove(r.FrameworkId); break;
            case OperationStatusRecorded o:
                if (!Operations.TryGetValue(o.Operation.FrameworkId, out var ops)) Operations[o.Operation.FrameworkId] = ops = new();
                ops[o.Operation.Latest.OperationId] = o.Operation;
                break;
            case OperationStatusAcknowledged a when Operations.TryGetValue(a.FrameworkId, out var acked):
                acked.Remove(a.OperationId);
                if (acked.Count == 0) Operations.Remove(a.FrameworkId);
                break;
            case FrameworkUpdated u when Frameworks.TryGetValue(u.FrameworkId, out var fw): Frameworks[u.FrameworkId] = fw with { Info = u.Info }; break;
            case MaintenanceScheduleUpdated s: Schedule.Clear(); Schedule.AddRange(s.Windows); break;
            case QuotaUpdated q:
                if (q.Guarantees.Count == 0 && q.Limits.Count == 0) Quotas.Remove(q.Role); else Quotas[q.Role] = q;
                break;
            case AgentAvailabilityChanged c:
                if (c.Deactivated) Deactivated.Add(c.AgentId); else Deactivated.Remove(c.AgentId);
                if (c.Draining) Draining.Add(c.AgentId); else Draining.Remove(c.AgentId);
                if (c.Draining && c.MarkGone) GoneWhenDrained.Add(c.AgentId); else if (!c.Draining) GoneWhenDrained.Remove(c.AgentId);
                break;
            case AgentMarkedGone g:
                Gone.Add(g.AgentId);
                Checkpointed.Remove(g.AgentId);
                Agents.Remove(g.AgentId);
                Deactivated.Remove(g.AgentId);
                Draining.Remove(g.AgentId);
                GoneWhenDrained.Remove(g.AgentId);
                break;
            case MaintenanceUpdated m:
                foreach (var h in m.Hostnames) { if (m.Down) DownHostnames.Add(h); else DownHostnames.Remove(h); }
                break;
            case AgentResourcesCheckpointed c:
                if (c.Checkpointed.IsEmpty) Checkpointed.Remove(c.AgentId); else Checkpointed[c.AgentId] = c.Checkpointed;
                break;
            case WeightsUpdated w:
                foreach (var (role, weight) in w.Weights) Weights[role] = weight;
                break;
        }
    }
}
