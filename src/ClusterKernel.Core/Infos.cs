using ClusterKernel.Resources;

namespace ClusterKernel;

/// <summary>Framework capabilities named as in mesos.proto FrameworkInfo.Capability.Type.</summary>
public static class FrameworkCapabilities
{
    public const string RevocableResources = "REVOCABLE_RESOURCES";
    public const string TaskKillingState = "TASK_KILLING_STATE";
    public const string GpuResources = "GPU_RESOURCES";
    public const string PartitionAware = "PARTITION_AWARE";
    public const string MultiRole = "MULTI_ROLE";
    public const string ReservationRefinement = "RESERVATION_REFINEMENT";
}

/// <summary>mesos.proto FrameworkInfo: what a framework says about itself when it subscribes.</summary>
public sealed record FrameworkInfo
{
    public string User { get; init; } = "root";
    public required string Name { get; init; }
    public FrameworkId? Id { get; init; }
    /// <summary>Seconds the master keeps a disconnected framework's tasks (Mesos default 0: tear down at once).</summary>
    public double FailoverTimeout { get; init; }
    public bool Checkpoint { get; init; }
    public IReadOnlyList<string> Roles { get; init; } = new[] { Resources.Roles.Any };
    public IReadOnlyList<string> Capabilities { get; init; } = Array.Empty<string>();
    public string? Hostname { get; init; }
    public string? Principal { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>ClusterKernel extension (JSON <c>task_shapes</c>): what the framework's tasks look like. With the master's
    /// shape-aware offers on, its offers are cut to fit these shapes instead of holding a whole agent. Empty: Mesos' whole-agent offers.</summary>
    public IReadOnlyList<TaskShape> TaskShapes { get; init; } = Array.Empty<TaskShape>();
    /// <summary>Mesos' offer_constraints, given with SUBSCRIBE / UPDATE_FRAMEWORK (not part of Mesos' FrameworkInfo; kept here so
    /// they persist and reach the allocator with the framework). Null: no constraints.</summary>
    public OfferConstraints? OfferConstraints { get; init; }

    public bool Has(string capability) => Capabilities.Contains(capability);
}

/// <summary>
/// One declared task shape (ClusterKernel extension of FrameworkInfo): the resources of one task, and how many such tasks an
/// offer should hold at most (default 1). Shapes are fitted first fit in the order given; the offer is their sum.
/// </summary>
public sealed record TaskShape(Resources.Resources Resources, int Count = 1)
{
    /// <summary>Upper bound on <see cref="Count"/>: a declaration, not a task list.</summary>
    public const int MaxCount = 1_000;

    /// <summary>Null when every shape holds a positive scalar and a count from 1 to <see cref="MaxCount"/>; else why not.</summary>
    public static string? Validate(IReadOnlyList<TaskShape> shapes)
    {
        for (var i = 0; i < shapes.Count; i++)
        {
            if (shapes[i].Count is < 1 or > MaxCount) return $"task_shapes[{i}].count must be from 1 to {MaxCount}";
            if (!shapes[i].Resources.Any(r => r.Type == ClusterKernel.Resources.ValueType.Scalar && r.Scalar > 0))
                return $"task_shapes[{i}].resources must hold at least one positive scalar";
        }
        return null;
    }
}

/// <summary>mesos.proto AgentInfo.</summary>
public sealed record AgentInfo
{
    public required string Hostname { get; init; }
    public int Port { get; init; }
    public AgentId? Id { get; init; }
    public required Resources.Resources Resources { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
}

/// <summary>mesos.proto CommandInfo: <see cref="Shell"/> runs Value through /bin/sh -c; otherwise Value is exec'd with Arguments.</summary>
public sealed record CommandInfo
{
    public string? Value { get; init; }
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();
    public bool Shell { get; init; } = true;
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? User { get; init; }
}

/// <summary>mesos.proto ContainerInfo reduced to what the agent uses: a Docker image, or none (a plain process).</summary>
public sealed record ContainerInfo
{
    public string Type { get; init; } = "DOCKER";
    public string? DockerImage { get; init; }
    public string Network { get; init; } = "HOST";
}

/// <summary>mesos.proto TaskInfo.</summary>
public sealed record TaskInfo
{
    public required string Name { get; init; }
    public required TaskId TaskId { get; init; }
    public required AgentId AgentId { get; init; }
    public required Resources.Resources Resources { get; init; }
    public CommandInfo? Command { get; init; }
    public ContainerInfo? Container { get; init; }
    /// <summary>KillPolicy.grace_period in seconds; Mesos' default is 3 s for the command executor.</summary>
    public double? KillGracePeriodSeconds { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Set on the tasks of a task group (LAUNCH_GROUP): the group's executor. Null for command tasks.</summary>
    public ExecutorInfo? Executor { get; init; }
    /// <summary>mesos.proto TaskInfo.health_check (8): run by the agent once the task is RUNNING.</summary>
    public HealthCheck? HealthCheck { get; init; }
}

/// <summary>mesos.proto Filters: how long declined resources stay away from the framework.</summary>
public sealed record Filters
{
    /// <summary>Mesos' default refuse_seconds.</summary>
    public const double DefaultRefuseSeconds = 5.0;
    /// <summary>Mesos caps refuse_seconds at 365 days.</summary>
    public const double MaxRefuseSeconds = 365 * 24 * 3600.0;

    public double RefuseSeconds { get; init; } = DefaultRefuseSeconds;

    /// <summary>Negative or missing becomes the default; more than a year becomes a year (as Mesos does).</summary>
    public double EffectiveRefuseSeconds =>
        double.IsNaN(RefuseSeconds) || RefuseSeconds < 0 ? DefaultRefuseSeconds : Math.Min(RefuseSeconds, MaxRefuseSeconds);
}

/// <summary>mesos.proto Offer: resources of one agent, offered to one framework for one of its roles.</summary>
public sealed record Offer
{
    public required OfferId Id { get; init; }
    public required FrameworkId FrameworkId { get; init; }
    public required AgentId AgentId { get; init; }
    public required string Hostname { get; init; }
    public required Resources.Resources Resources { get; init; }
    public string AllocationRole { get; init; } = Roles.Any;
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
}
