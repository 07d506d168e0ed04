namespace ClusterKernel.Protocol;

// Batched forms of the status-update conversation (agent -> master -> framework -> master -> agent). Between actors only: the
// HTTP API still emits one UPDATE per status and takes one ACKNOWLEDGE per update. Each batch carries what one message's
// handling produced (e.g. the STARTING updates of one RunTasks), so a task's updates keep their order and each task still has
// at most one update outstanding; every element is retried and acknowledged on its own. A batch of one travels in the single
// form (StatusUpdate, TaskStatusUpdate, AcknowledgeStatus, StatusUpdateAcknowledgement).

/// <summary>Agent to master: several <see cref="StatusUpdate"/>s produced while handling one message.</summary>
public sealed record StatusUpdates(IReadOnlyList<StatusUpdate> Updates) : IClusterMessage;

/// <summary>Master to framework: several UPDATEs for this framework, in the order the master applied them.</summary>
public sealed record TaskStatusUpdates(IReadOnlyList<TaskStatus> Statuses) : IClusterMessage;

/// <summary>Framework to master: several ACKNOWLEDGEs (e.g. of one <see cref="TaskStatusUpdates"/>).</summary>
public sealed record AcknowledgeStatuses(FrameworkId FrameworkId, IReadOnlyList<StatusAck> Acks) : IClusterMessage;

/// <summary>One acknowledgement in <see cref="AcknowledgeStatuses"/>.</summary>
public sealed record StatusAck(AgentId AgentId, TaskId TaskId, Guid Uuid);

/// <summary>Master to agent: the acknowledgements of one framework call that concern this agent.</summary>
public sealed record StatusUpdateAcknowledgements(IReadOnlyList<StatusUpdateAcknowledgement> Acks) : IClusterMessage;
