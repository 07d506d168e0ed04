namespace ClusterKernel.Agent.Containerizers;

/// <summary>
/// Starts, watches, kills and recovers the containers of one agent. Implementations know nothing about
/// actors: the agent actor calls them and pipes the resulting tasks to itself.
/// </summary>
public interface IContainerizer
{
    /// <summary>"docker" or "process".</summary>
    string Name { get; }

    /// <summary>docker: <c>launch.Image != null</c>; process: <c>launch.Image == null</c>.</summary>
    bool Supports(ContainerLaunch launch);

    /// <summary>Starts the container; returns once it is running, or throws <see cref="ContainerLaunchException"/> with a clear message.</summary>
    Task<ContainerStarted> LaunchAsync(ContainerLaunch launch, CancellationToken ct);

    /// <summary>Completes when the container exits (also for recovered containers). Cancellable by <paramref name="ct"/>.
    /// Throws <see cref="InvalidOperationException"/> for a container this containerizer does not know.</summary>
    Task<ContainerExit> WaitAsync(string containerId, CancellationToken ct);

    /// <summary>SIGTERM, wait <paramref name="gracePeriod"/>, then SIGKILL. Idempotent; no error if already gone.</summary>
    Task KillAsync(string containerId, TimeSpan gracePeriod, CancellationToken ct);

    /// <summary>Containers this agent launched earlier that are still alive (for agent restart recovery).</summary>
    Task<IReadOnlyList<RecoveredContainer>> RecoverAsync(string agentId, CancellationToken ct);

    /// <summary>Removes the container's runtime leftovers (docker: the container itself). Idempotent.</summary>
    Task CleanupAsync(string containerId, CancellationToken ct);

    /// <summary>Runs a command in the container's context (health checks) and returns its exit code; cancelling kills it.
    /// Containerizers that cannot fail the check with a clear message.</summary>
    Task<int> ExecAsync(string containerId, ContainerExec exec, CancellationToken ct) =>
        Task.FromException<int>(new NotSupportedException($"The {Name} containerizer cannot run commands in its containers"));
}

/// <param name="Shell">true: run <c>/bin/sh -c Command</c> (Arguments ignored); false: exec Command with Arguments.</param>
public sealed record ContainerLaunch(
    string ContainerId, string AgentId, string FrameworkId, string TaskId, string ExecutorId,
    string? Image, string Command, IReadOnlyList<string> Arguments, bool Shell,
    IReadOnlyDictionary<string, string> Environment,
    double Cpus, double MemoryMb, string SandboxDirectory)
{
    /// <summary>Persistent volumes to mount at their container paths inside the sandbox (Docker binds; process tasks get symlinks).</summary>
    public IReadOnlyList<VolumeMount> Volumes { get; init; } = Array.Empty<VolumeMount>();
}

public sealed record ContainerStarted(string ContainerId, int? Pid, DateTimeOffset StartedAt);

public sealed record ContainerExit(string ContainerId, int? ExitCode, bool OomKilled, bool KilledByRequest, string Message);

public sealed record RecoveredContainer(string ContainerId, string FrameworkId, string TaskId, string ExecutorId, string? Image);

public sealed class ContainerLaunchException(string message, Exception? inner = null) : Exception(message, inner);

internal static class ContainerIds
{
    /// <summary>Container ids become file and docker container names: keep them to [A-Za-z0-9_.-], starting alphanumeric.</summary>
    public static void Validate(string containerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        if (!char.IsAsciiLetterOrDigit(containerId[0]) ||
            containerId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
            throw new ArgumentException($"Container id '{containerId}' may only contain [A-Za-z0-9_.-] and must start with a letter or digit.", nameof(containerId));
    }
}
