using Akka.Actor;

namespace ClusterKernel.Protocol;

// Scheduler calls and events beyond the basic offer/launch cycle: task groups (LAUNCH_GROUP), UPDATE_FRAMEWORK, executor
// messages (MESSAGE both ways), FAILURE, and maintenance inverse offers (INVERSE_OFFERS, ACCEPT/DECLINE_INVERSE_OFFERS).

/// <summary>ACCEPT's LAUNCH_GROUP: the tasks start together on the offers' agent under one executor and die together.</summary>
public sealed record LaunchGroupOperation(ExecutorInfo Executor, IReadOnlyList<TaskInfo> Tasks) : OfferOperation;

// ---- Calls ----
/// <summary>UPDATE_FRAMEWORK: replaces the FrameworkInfo (roles, capabilities, failover_timeout, name, labels) without re-subscribing.
/// The master answers <see cref="FrameworkUpdateResult"/> to <paramref name="ReplyTo"/> (or the sender).</summary>
public sealed record UpdateFramework(FrameworkId FrameworkId, FrameworkInfo Info, IReadOnlyList<string>? SuppressedRoles = null,
    IActorRef? ReplyTo = null) : IClusterMessage;
public sealed record FrameworkUpdateResult(bool Ok, string? Error) : IClusterMessage;

/// <summary>MESSAGE (framework to executor): forwarded to the agent running the executor.</summary>
public sealed record FrameworkToExecutorMessage(FrameworkId FrameworkId, AgentId AgentId, ExecutorId ExecutorId, byte[] Data) : IClusterMessage;

/// <summary>ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS.</summary>
public sealed record RespondInverseOffers(FrameworkId FrameworkId, IReadOnlyList<OfferId> InverseOfferIds, bool Accept, Filters? Filters) : IClusterMessage;

// ---- Events ----
/// <summary>MESSAGE (executor to framework).</summary>
public sealed record ExecutorToFrameworkMessage(FrameworkId FrameworkId, AgentId AgentId, ExecutorId ExecutorId, byte[] Data) : IClusterMessage;

/// <summary>FAILURE: the agent was removed (<paramref name="ExecutorId"/> null), or an executor on it terminated with <paramref name="Status"/>.</summary>
public sealed record FrameworkFailure(AgentId AgentId, ExecutorId? ExecutorId, int? Status) : IClusterMessage;

/// <summary>INVERSE_OFFERS: the master asks for the framework's resources on these agents back for maintenance.</summary>
public sealed record InverseOffers(IReadOnlyList<InverseOffer> Offers) : IClusterMessage;

/// <summary>RESCIND_INVERSE_OFFER: the inverse offer is void (the machine's window changed or went away, or the machine is down).</summary>
public sealed record InverseOfferRescinded(OfferId InverseOfferId) : IClusterMessage;

/// <summary>mesos.proto InverseOffer: the agent will be unavailable from <paramref name="StartSeconds"/> (Unix seconds) for
/// <paramref name="DurationSeconds"/> (null: indefinitely).</summary>
public sealed record InverseOffer(OfferId Id, FrameworkId FrameworkId, AgentId AgentId, string Hostname, double StartSeconds, double? DurationSeconds);

// ---- Agent side ----
/// <summary>Agent to master: an executor of a task group ended (all its tasks are terminal); the framework gets FAILURE.</summary>
public sealed record ExecutorExited(FrameworkId FrameworkId, AgentId AgentId, ExecutorId ExecutorId, int Status) : IClusterMessage;

// ---- Operator: maintenance schedule ----
/// <summary>The machines of a maintenance window (by hostname) and its unavailability (Unix seconds; null duration: indefinite).</summary>
public sealed record MaintenanceWindow(IReadOnlyList<string> Hostnames, double StartSeconds, double? DurationSeconds);
/// <summary>UPDATE_MAINTENANCE_SCHEDULE: replaces the stored schedule; frameworks with tasks on scheduled machines get inverse offers.</summary>
public sealed record UpdateMaintenanceSchedule(IReadOnlyList<MaintenanceWindow> Windows) : IClusterMessage;
/// <summary>How a framework answered the inverse offer for an agent of a draining machine: UNKNOWN, ACCEPT or DECLINE.</summary>
public sealed record InverseOfferStatus(string Hostname, AgentId AgentId, FrameworkId FrameworkId, string Status, double Timestamp);
