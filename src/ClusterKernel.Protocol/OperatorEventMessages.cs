using Akka.Actor;

namespace ClusterKernel.Protocol;

// The operator event stream (Mesos' v1 operator SUBSCRIBE), pushed by the master: a subscriber gets OperatorSubscribed — the
// state at that moment — and then, in the order the master made the changes, every event below. Only while it lives (the
// master watches it) and only from that master incarnation: when the master goes, the subscriber sees it terminate.

public sealed record SubscribeOperatorEvents(IActorRef Subscriber) : IClusterMessage;
public sealed record UnsubscribeOperatorEvents(IActorRef Subscriber) : IClusterMessage;

/// <summary>The first message a subscriber gets: a fresh (not cached) state, and the master to watch.</summary>
public sealed record OperatorSubscribed(ClusterState State, MaintenanceView Maintenance, IActorRef Master) : IClusterMessage;

/// <summary>Marker for the events that follow <see cref="OperatorSubscribed"/>.</summary>
public interface IOperatorEvent : IClusterMessage;

/// <summary>A task became known: launched, or reported by a (re-)registering agent.</summary>
public sealed record OperatorTaskAdded(TaskView Task) : IOperatorEvent;
/// <summary>A task's state changed (one per change; a repeated status with the same state gives none, as Mesos).</summary>
public sealed record OperatorTaskUpdated(FrameworkId FrameworkId, TaskStatus Status, TaskState State) : IOperatorEvent;
/// <summary>What an operator did to an agent that <see cref="AgentView"/> does not carry.</summary>
public sealed record AgentOperatorState(bool Deactivated, bool Draining, bool Down);
public sealed record OperatorAgentAdded(AgentView Agent, AgentOperatorState OperatorState) : IOperatorEvent;
/// <summary>Deactivated, reactivated, draining, or down/up for maintenance; written as AGENT_ADDED (Mesos has no AGENT_UPDATED).</summary>
public sealed record OperatorAgentUpdated(AgentView Agent, AgentOperatorState OperatorState) : IOperatorEvent;
public sealed record OperatorAgentRemoved(AgentId AgentId) : IOperatorEvent;
public sealed record OperatorFrameworkAdded(FrameworkView Framework) : IOperatorEvent;
/// <summary>Re-subscribed, disconnected, or changed by UPDATE_FRAMEWORK.</summary>
public sealed record OperatorFrameworkUpdated(FrameworkView Framework) : IOperatorEvent;
public sealed record OperatorFrameworkRemoved(FrameworkView Framework) : IOperatorEvent;
