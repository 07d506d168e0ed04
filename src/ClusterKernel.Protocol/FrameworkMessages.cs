using System.Text.Json.Serialization;
using Akka.Actor;

namespace ClusterKernel.Protocol;

// The framework <-> master conversation: Mesos' scheduler calls (framework to master) and events (master to framework).

// ---- Calls ----
/// <summary>SUBSCRIBE. With Info.Id set, a framework re-subscribes (failover) and keeps its tasks.</summary>
public sealed record SubscribeFramework(FrameworkInfo Info, IActorRef Framework, IReadOnlyList<string>? SuppressedRoles = null) : IClusterMessage;
public sealed record TeardownFramework(FrameworkId FrameworkId) : IClusterMessage;
public sealed record AcceptOffers(FrameworkId FrameworkId, IReadOnlyList<OfferId> OfferIds, IReadOnlyList<OfferOperation> Operations, Filters? Filters) : IClusterMessage;
public sealed record DeclineOffers(FrameworkId FrameworkId, IReadOnlyList<OfferId> OfferIds, Filters? Filters) : IClusterMessage;
public sealed record ReviveOffers(FrameworkId FrameworkId, IReadOnlyList<string>? Roles) : IClusterMessage;
public sealed record SuppressOffers(FrameworkId FrameworkId, IReadOnlyList<string>? Roles) : IClusterMessage;
public sealed record KillTask(FrameworkId FrameworkId, TaskId TaskId, AgentId? AgentId, double? GracePeriodSeconds = null) : IClusterMessage;
public sealed record AcknowledgeStatus(FrameworkId FrameworkId, AgentId AgentId, TaskId TaskId, Guid Uuid) : IClusterMessage;
/// <summary>RECONCILE: empty Tasks = implicit (every task the master knows for the framework).</summary>
public sealed record ReconcileTasks(FrameworkId FrameworkId, IReadOnlyList<ReconcileTask> Tasks) : IClusterMessage;
public sealed record ReconcileTask(TaskId TaskId, AgentId? AgentId);

/// <summary>An operation of an ACCEPT call (mesos.proto Offer.Operation).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(LaunchOperation), "LAUNCH")]
[JsonDerivedType(typeof(ReserveOperation), "RESERVE")]
[JsonDerivedType(typeof(UnreserveOperation), "UNRESERVE")]
[JsonDerivedType(typeof(CreateOperation), "CREATE")]
[JsonDerivedType(typeof(DestroyOperation), "DESTROY")]
[JsonDerivedType(typeof(LaunchGroupOperation), "LAUNCH_GROUP")]
public abstract record OfferOperation;
public sealed record LaunchOperation(IReadOnlyList<TaskInfo> TaskInfos) : OfferOperation;

// ---- Events ----
/// <summary>SUBSCRIBED.</summary>
public sealed record FrameworkSubscribed(FrameworkId FrameworkId, IActorRef Master, double HeartbeatIntervalSeconds, bool Resubscribed) : IClusterMessage;
/// <summary>OFFERS.</summary>
public sealed record ResourceOffers(IReadOnlyList<Offer> Offers) : IClusterMessage;
/// <summary>RESCIND.</summary>
public sealed record OfferRescinded(OfferId OfferId) : IClusterMessage;
/// <summary>UPDATE.</summary>
public sealed record TaskStatusUpdate(TaskStatus Status) : IClusterMessage;
/// <summary>ERROR: the master refused the framework (e.g. torn down, or an invalid FrameworkInfo).</summary>
public sealed record FrameworkError(string Message) : IClusterMessage;
/// <summary>The master lost track of the framework's connection, e.g. after a master failover: subscribe again with the same id.</summary>
public sealed record ResubscribeRequired(string Reason) : IClusterMessage;
