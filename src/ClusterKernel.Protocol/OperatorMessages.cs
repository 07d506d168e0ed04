namespace ClusterKernel.Protocol;

// Operator calls (Mesos operator API v1: UPDATE_WEIGHTS, UPDATE_QUOTA, DEACTIVATE/REACTIVATE/DRAIN_AGENT, MARK_AGENT_GONE,
// START/STOP_MAINTENANCE and their GET_ counterparts). Every change is answered with OperatorResult once it is persisted.

public sealed record UpdateWeights(IReadOnlyDictionary<string, double> Weights) : IClusterMessage;
public sealed record GetWeights : IClusterMessage { public static readonly GetWeights Instance = new(); }
public sealed record WeightsView(IReadOnlyDictionary<string, double> Weights) : IClusterMessage;

/// <summary>Guarantees and limits on scalar resources for a role (Mesos QuotaConfig). Empty dictionaries remove the quota.</summary>
public sealed record UpdateQuota(string Role, IReadOnlyDictionary<string, double> Guarantees, IReadOnlyDictionary<string, double> Limits) : IClusterMessage;
public sealed record GetQuota : IClusterMessage { public static readonly GetQuota Instance = new(); }
public sealed record QuotaView(IReadOnlyList<RoleQuota> Quotas) : IClusterMessage;
public sealed record RoleQuota(string Role, IReadOnlyDictionary<string, double> Guarantees, IReadOnlyDictionary<string, double> Limits);

/// <summary>No new offers on the agent; its tasks keep running.</summary>
public sealed record DeactivateAgent(AgentId AgentId) : IClusterMessage;
public sealed record ReactivateAgent(AgentId AgentId) : IClusterMessage;
/// <summary>Deactivate, then kill every task on the agent (with the grace period, if given); optionally mark it gone once empty.</summary>
public sealed record DrainAgent(AgentId AgentId, double? MaxGracePeriodSeconds, bool MarkGone) : IClusterMessage;
/// <summary>The agent is gone for good: its tasks become TASK_GONE_BY_OPERATOR and it may never register again.</summary>
public sealed record MarkAgentGone(AgentId AgentId) : IClusterMessage;
/// <summary>Machines (by hostname) going down for maintenance (true) or coming back (false): their agents get no offers while down.</summary>
public sealed record UpdateMaintenance(IReadOnlyList<string> Hostnames, bool Down) : IClusterMessage;
public sealed record GetMaintenance : IClusterMessage { public static readonly GetMaintenance Instance = new(); }
public sealed record MaintenanceView(IReadOnlyList<string> DownHostnames, IReadOnlyList<AgentId> DeactivatedAgents, IReadOnlyList<AgentId> DrainingAgents, IReadOnlyList<AgentId> GoneAgents) : IClusterMessage
{
    /// <summary>The stored maintenance schedule (UPDATE_MAINTENANCE_SCHEDULE).</summary>
    public IReadOnlyList<MaintenanceWindow> Schedule { get; init; } = Array.Empty<MaintenanceWindow>();
    /// <summary>Frameworks' answers to the inverse offers for machines scheduled but not yet down (draining).</summary>
    public IReadOnlyList<InverseOfferStatus> InverseOfferStatuses { get; init; } = Array.Empty<InverseOfferStatus>();
}

/// <summary>The answer to every operator change: Ok, or the reason it was refused (nothing was changed).</summary>
public sealed record OperatorResult(bool Ok, string? Error) : IClusterMessage
{
    public static readonly OperatorResult Success = new(true, null);
    public static OperatorResult Refused(string error) => new(false, error);
}
