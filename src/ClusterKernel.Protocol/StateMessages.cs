namespace ClusterKernel.Protocol;

/// <summary>Ask the master for its latest published state (built off the scheduling path, see MasterState snapshot).</summary>
public sealed record GetClusterState : IClusterMessage { public static readonly GetClusterState Instance = new(); }

/// <summary>A read-only view of the cluster, published by the master; /state and `ck state` are built from it.</summary>
public sealed record ClusterState(
    string MasterEpoch,
    double StartTime,
    double Timestamp,
    IReadOnlyList<AgentView> Agents,
    IReadOnlyList<FrameworkView> Frameworks,
    IReadOnlyList<TaskView> Tasks,
    IReadOnlyList<Offer> Offers) : IClusterMessage
{
    /// <summary>Executors the master knows (LAUNCH_GROUP's default executors, TaskInfo.executor): as Mesos, not command executors.</summary>
    public IReadOnlyList<ExecutorView> Executors { get; init; } = Array.Empty<ExecutorView>();

    /// <summary>Frameworks removed (teardown, failover timeout), oldest first, at most max-completed-frameworks, with their completed tasks.</summary>
    public IReadOnlyList<CompletedFrameworkView> CompletedFrameworks { get; init; } = Array.Empty<CompletedFrameworkView>();
}

public sealed record CompletedFrameworkView(FrameworkView Framework, IReadOnlyList<TaskView> CompletedTasks);

public sealed record ExecutorView(FrameworkId FrameworkId, AgentId AgentId, ExecutorInfo Info, IReadOnlyList<TaskId> Tasks);

public sealed record AgentView(AgentId Id, string Hostname, Resources.Resources Resources, Resources.Resources Used, Resources.Resources Offered,
    IReadOnlyDictionary<string, string> Attributes, bool Active, double RegisteredTime);

public sealed record FrameworkView(FrameworkId Id, string Name, IReadOnlyList<string> Roles, bool Active, bool Connected,
    double FailoverTimeout, Resources.Resources Used, Resources.Resources Offered, double RegisteredTime, double? UnregisteredTime);

public sealed record TaskView(TaskId Id, string Name, FrameworkId FrameworkId, AgentId AgentId, TaskState State,
    Resources.Resources Resources, IReadOnlyList<TaskStatus> Statuses, string? Image);

/// <summary>Ask the master for its metrics (Mesos' /metrics/snapshot).</summary>
public sealed record GetMetrics : IClusterMessage { public static readonly GetMetrics Instance = new(); }

/// <summary>Metrics by Mesos' names, e.g. "allocator/mesos/allocation_run_ms", "master/frameworks/NAME/ID/offers/sent".</summary>
public sealed record MetricsSnapshot(IReadOnlyDictionary<string, double> Values) : IClusterMessage;
