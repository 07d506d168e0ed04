using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

// What the master persists: the registry only (agents admitted, frameworks and their failover state, weights).
// Tasks are never persisted: agents are their source of truth and report them when they re-register.
// These names are journal manifests: never rename one that has shipped.

public sealed record AgentAdmitted(AgentId AgentId, AgentInfo Info, double Time) : IClusterMessage;
public sealed record AgentRemoved(AgentId AgentId, string Reason, double Time) : IClusterMessage;
public sealed record FrameworkAdded(FrameworkId FrameworkId, FrameworkInfo Info, double Time, string? ActorPath) : IClusterMessage;
/// <summary>Persisted so that a framework's failover_timeout keeps counting across a change of master (Mesos forgets it: MESOS-4659).</summary>
public sealed record FrameworkDisconnected(FrameworkId FrameworkId, double Time) : IClusterMessage;
public sealed record FrameworkReconnected(FrameworkId FrameworkId, FrameworkInfo Info, double Time, string? ActorPath) : IClusterMessage;
public sealed record FrameworkRemoved(FrameworkId FrameworkId, double Time) : IClusterMessage;
public sealed record WeightsUpdated(IReadOnlyDictionary<string, double> Weights) : IClusterMessage;
public sealed record QuotaUpdated(string Role, IReadOnlyDictionary<string, double> Guarantees, IReadOnlyDictionary<string, double> Limits) : IClusterMessage;
/// <summary>Deactivated (or reactivated) by an operator, or draining; <paramref name="MarkGone"/>: DRAIN_AGENT's mark_gone (added later:
/// older journals replay it as false).</summary>
public sealed record AgentAvailabilityChanged(AgentId AgentId, bool Deactivated, bool Draining, bool MarkGone = false) : IClusterMessage;
/// <summary>Marked gone: never admitted again (Mesos' registry keeps gone agents too).</summary>
public sealed record AgentMarkedGone(AgentId AgentId, double Time) : IClusterMessage;
public sealed record MaintenanceUpdated(IReadOnlyList<string> Hostnames, bool Down) : IClusterMessage;
/// <summary>An agent's dynamically reserved resources and persistent volumes after an operation (the whole set, so replay is idempotent).</summary>
public sealed record AgentResourcesCheckpointed(AgentId AgentId, ClusterKernel.Resources.Resources Checkpointed) : IClusterMessage;
/// <summary>The latest status of an operation that carries an id, kept until the framework acknowledges it, so a new leader
/// still answers RECONCILE_OPERATIONS and GET_OPERATIONS with it (Mesos keeps them on the agent; we keep them here).</summary>
public sealed record OperationStatusRecorded(OperationView Operation) : IClusterMessage;
public sealed record OperationStatusAcknowledged(FrameworkId FrameworkId, string OperationId) : IClusterMessage;
