using Akka.Actor;
using ClusterKernel.Resources;

namespace ClusterKernel.Protocol;

// The agent <-> master conversation. Agents are the source of truth for tasks: they report them on re-registration.

/// <summary>First registration of an agent that has no id yet.</summary>
public sealed record RegisterAgent(AgentInfo Info, IActorRef Agent) : IClusterMessage;

/// <summary>Registration of an agent that has an id (after a master change or an agent restart), with every task it still knows.</summary>
public sealed record ReregisterAgent(AgentInfo Info, IReadOnlyList<TaskReport> Tasks, IActorRef Agent) : IClusterMessage;

/// <summary>A task as the agent knows it, with the framework it belongs to and its latest state.</summary>
public sealed record TaskReport(FrameworkId FrameworkId, TaskInfo Task, TaskState State, IReadOnlyList<TaskStatus> UnacknowledgedUpdates);

/// <summary>The master accepted the agent. <paramref name="MasterEpoch"/> changes whenever a new master incarnation takes over.</summary>
public sealed record AgentRegistered(AgentId AgentId, string MasterEpoch, double HeartbeatIntervalSeconds) : IClusterMessage;

/// <summary>The master refused the agent (e.g. it was marked gone); the agent must not run tasks for this cluster.</summary>
public sealed record AgentRegistrationRefused(string Reason) : IClusterMessage;

public sealed record AgentHeartbeat(AgentId AgentId, string MasterEpoch) : IClusterMessage;
public sealed record AgentHeartbeatAck(string MasterEpoch) : IClusterMessage;
/// <summary>The master does not know this agent (new master, or it was removed): re-register with tasks.</summary>
public sealed record ReregistrationRequired(string MasterEpoch) : IClusterMessage;

/// <summary>Master to agent: launch these tasks for a framework (validated against an offer already).</summary>
public sealed record RunTasks(FrameworkId FrameworkId, FrameworkInfo Framework, IReadOnlyList<TaskInfo> Tasks) : IClusterMessage;

/// <summary>Master to agent: kill a task (SIGTERM, grace period, SIGKILL).</summary>
public sealed record KillTaskOnAgent(FrameworkId FrameworkId, TaskId TaskId, double? GracePeriodSeconds) : IClusterMessage;

/// <summary>Master to agent: the framework is gone; kill all its tasks.</summary>
public sealed record ShutdownFrameworkOnAgent(FrameworkId FrameworkId) : IClusterMessage;

/// <summary>Agent to master: a task changed state. Retried by the agent until acknowledged (Status.Uuid).</summary>
public sealed record StatusUpdate(FrameworkId FrameworkId, TaskStatus Status) : IClusterMessage;

/// <summary>Master to agent: the framework acknowledged this update; stop retrying it.</summary>
public sealed record StatusUpdateAcknowledgement(FrameworkId FrameworkId, TaskId TaskId, Guid Uuid) : IClusterMessage;

/// <summary>Read part of a file in a task's sandbox (Mesos /files/read). Path is relative to the sandbox.</summary>
public sealed record ReadSandboxFile(FrameworkId FrameworkId, TaskId TaskId, string Path, long Offset, long Length) : IClusterMessage;
public sealed record SandboxFileData(string Path, long Offset, string Data, long Size, string? Error) : IClusterMessage;
