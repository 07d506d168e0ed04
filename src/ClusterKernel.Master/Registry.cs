namespace ClusterKernel.Master;

/// <summary>A framework as the registry remembers it.</summary>
public sealed record RegisteredFramework(FrameworkInfo Info, double RegisteredTime, double? DisconnectedTime, string? ActorPath);

/// <summary>
/// The master's persisted state, rebuilt from the journal on recovery: plain C#, changed only by <see cref="Apply"/>.
/// </summary>
public sealed class Registry
{
    public Dictionary<AgentId, AgentInfo> Agents { get; } = new();
    public Dictionary<FrameworkId, RegisteredFramework> Frameworks { get; } = new();
    public Dictionary<string, double> Weights { get; } = new();

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
            case FrameworkRemoved r: Frameworks.Remove(r.FrameworkId); break;
            case WeightsUpdated w:
                foreach (var (role, weight) in w.Weights) Weights[role] = weight;
                break;
        }
    }
}
