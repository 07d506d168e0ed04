namespace ClusterKernel.Agent.Containerizers;

public interface IContainerizer {
    string Name { get; }                        // "docker" or "process"
    bool Supports(ContainerLaunch launch);      // docker: launch.Image != null; process: Image == null
    // Starts the container; returns once it is running (or throws ContainerLaunchException with a clear message, e.g. image missing).
    Task<ContainerStarted> LaunchAsync(ContainerLaunch launch, CancellationToken ct);
    // Completes when the container exits (also for recovered containers). Must be cancellable by ct.
    Task<ContainerExit> WaitAsync(string containerId, CancellationToken ct);
    // SIGTERM, wait gracePeriod, then SIGKILL. Idempotent; no error if already gone.
    Task KillAsync(string containerId, TimeSpan gracePeriod, CancellationToken ct);
    // Containers this agent launched earlier that are still alive (docker: found by labels; process: those whose pid file in the sandbox still names a live process). For agent restart recovery.
    Task<IReadOnlyList<RecoveredContainer>> RecoverAsync(string agentId, CancellationToken ct);
    // Removes the container's runtime leftovers (docker: remove container). Idempotent.
    Task CleanupAsync(string containerId, CancellationToken ct);
}
public sealed record ContainerLaunch(
    string ContainerId, string AgentId, string FrameworkId, string TaskId, string ExecutorId,
    string? Image, string Command, IReadOnlyList<string> Arguments, bool Shell,  // Shell=true: run `/bin/sh -c Command`; false: exec Command with Arguments
    IReadOnlyDictionary<string, string> Environment,
    double Cpus, double MemoryMb, string SandboxDirectory);
public sealed record ContainerStarted(string ContainerId, int? Pid, DateTimeOffset StartedAt);
public sealed record ContainerExit(string ContainerId, int? ExitCode, bool OomKilled, bool KilledByRequest, string Message);
public sealed record RecoveredContainer(string ContainerId, string FrameworkId, string TaskId, string ExecutorId, string? Image);
public sealed class ContainerLaunchException(string message, Exception? inner = null) : Exception(message, inner);
