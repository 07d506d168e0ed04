namespace ClusterKernel;

/// <summary>
/// One status update (mesos.proto TaskStatus). <see cref="Uuid"/> is set on updates an agent sends reliably:
/// the agent retries them until the framework acknowledges that uuid. Master-made updates (reconciliation,
/// TASK_LOST on agent removal) carry none and are not retried, as in Mesos.
/// </summary>
public sealed record TaskStatus
{
    public required TaskId TaskId { get; init; }
    public required TaskState State { get; init; }
    public AgentId? AgentId { get; init; }
    public ExecutorId? ExecutorId { get; init; }
    public string? Message { get; init; }
    public StatusSource Source { get; init; } = StatusSource.SOURCE_AGENT;
    public string? Reason { get; init; }
    public Guid? Uuid { get; init; }
    /// <summary>Seconds since the Unix epoch, as Mesos' TaskStatus.timestamp.</summary>
    public double Timestamp { get; init; } = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
    public bool? Healthy { get; init; }
    /// <summary>Process exit code when the task ended by exiting (ClusterKernel extension; Mesos puts it in the message).</summary>
    public int? ExitCode { get; init; }
}
