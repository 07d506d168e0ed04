namespace ClusterKernel;

/// <summary>
/// mesos.proto ExecutorInfo, for task groups (LAUNCH_GROUP): Type "DEFAULT" is Mesos' default executor, which runs the tasks
/// of its groups side by side and kills them all when one fails or is killed. Custom executors (Type "CUSTOM") are not run.
/// <see cref="Resources"/> are charged on top of the tasks' while any of its tasks lives.
/// </summary>
public sealed record ExecutorInfo
{
    public const string DefaultType = "DEFAULT";

    public required ExecutorId ExecutorId { get; init; }
    public string Type { get; init; } = DefaultType;
    public Resources.Resources Resources { get; init; } = ClusterKernel.Resources.Resources.Empty;
    public string? Name { get; init; }
    public FrameworkId? FrameworkId { get; init; }
}
