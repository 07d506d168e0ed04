using ClusterKernel.Resources;

namespace ClusterKernel.Protocol;

// Offer operations that change resources rather than run tasks (mesos.proto Offer.Operation RESERVE, UNRESERVE, CREATE,
// DESTROY), their feedback (OperationStatus, UPDATE_OPERATION_STATUS, ACKNOWLEDGE_OPERATION_STATUS, RECONCILE_OPERATIONS),
// and the operator calls RESERVE_RESOURCES / UNRESERVE_RESOURCES / CREATE_VOLUMES / DESTROY_VOLUMES.

/// <summary>RESERVE: push a DYNAMIC reservation level on offered resources. <see cref="Id"/> asks for operation feedback.</summary>
public sealed record ReserveOperation(Resources.Resources Resources, string? Id = null) : OfferOperation;
/// <summary>UNRESERVE: pop the top DYNAMIC reservation level.</summary>
public sealed record UnreserveOperation(Resources.Resources Resources, string? Id = null) : OfferOperation;
/// <summary>CREATE: turn reserved disk into persistent volumes (disk.persistence.id, disk.volume.container_path).</summary>
public sealed record CreateOperation(Resources.Resources Volumes, string? Id = null) : OfferOperation;
/// <summary>DESTROY: turn persistent volumes back into plain reserved disk; the agent deletes their data.</summary>
public sealed record DestroyOperation(Resources.Resources Volumes, string? Id = null) : OfferOperation;

/// <summary>mesos.proto OperationState names.</summary>
public static class OperationStates
{
    public const string Finished = "OPERATION_FINISHED";
    public const string Error = "OPERATION_ERROR";
    public const string Dropped = "OPERATION_DROPPED";
    public const string Unknown = "OPERATION_UNKNOWN";
    public const string Pending = "OPERATION_PENDING";
}

/// <summary>mesos.proto OperationStatus. <see cref="Uuid"/> is set when the framework must acknowledge it.</summary>
public sealed record OperationStatus(string OperationId, string State, string? Message, AgentId? AgentId, Guid? Uuid, double Timestamp);

/// <summary>UPDATE_OPERATION_STATUS (master to framework).</summary>
public sealed record OperationStatusUpdate(OperationStatus Status) : IClusterMessage;
/// <summary>ACKNOWLEDGE_OPERATION_STATUS: the master forgets the operation.</summary>
public sealed record AcknowledgeOperationStatus(FrameworkId FrameworkId, AgentId? AgentId, string OperationId, Guid Uuid) : IClusterMessage;
/// <summary>RECONCILE_OPERATIONS: empty = every operation the master keeps for the framework.</summary>
public sealed record ReconcileOperations(FrameworkId FrameworkId, IReadOnlyList<string> OperationIds) : IClusterMessage;

/// <summary>The operation a framework sent, with its latest status (operator GET_OPERATIONS).</summary>
public sealed record OperationView(FrameworkId FrameworkId, AgentId? AgentId, string Type, OperationStatus Latest);
public sealed record GetOperations : IClusterMessage { public static readonly GetOperations Instance = new(); }
public sealed record OperationsView(IReadOnlyList<OperationView> Operations) : IClusterMessage;

/// <summary>Operator RESERVE_RESOURCES / UNRESERVE_RESOURCES / CREATE_VOLUMES / DESTROY_VOLUMES on one agent's free resources.
/// Answered with <see cref="OperatorResult"/> (Ok, or refused as invalid) or <see cref="OperatorConflict"/> (not available).</summary>
public sealed record ReserveResources(AgentId AgentId, Resources.Resources Resources) : IClusterMessage;
public sealed record UnreserveResources(AgentId AgentId, Resources.Resources Resources) : IClusterMessage;
public sealed record CreateVolumes(AgentId AgentId, Resources.Resources Volumes) : IClusterMessage;
public sealed record DestroyVolumes(AgentId AgentId, Resources.Resources Volumes) : IClusterMessage;
/// <summary>The request was valid but the resources are not free on the agent (HTTP 409).</summary>
public sealed record OperatorConflict(string Error) : IClusterMessage;

/// <summary>Master to agent: its dynamically reserved resources and persistent volumes now (Mesos' CheckpointResourcesMessage):
/// the agent creates the volumes' directories and deletes those of volumes no longer listed.</summary>
public sealed record CheckpointResourcesOnAgent(Resources.Resources Checkpointed) : IClusterMessage;
