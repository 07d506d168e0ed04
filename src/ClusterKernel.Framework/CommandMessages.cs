namespace ClusterKernel.Framework;

// The local conversation with the CommandFramework (HTTP layer and tests). Local only, so no IClusterMessage;
// plain records that serialise with the Protocol JSON options, because the HTTP layer returns them as they are.

/// <summary>A one-off command to run somewhere in the cluster. <see cref="Image"/> null runs a plain process.</summary>
public sealed record CommandRequest(
    string? Name,
    string? Image,
    string Command,
    IReadOnlyList<string> Arguments,
    bool Shell,
    double Cpus,
    double MemMb,
    double DiskMb,
    IReadOnlyDictionary<string, string>? Environment)
{
    /// <summary>Why this request cannot run, or null when it can (shared by the HTTP layer and the framework).</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Command)) return "command must not be empty";
        if (!(Cpus > 0) || double.IsInfinity(Cpus)) return "cpus must be a positive number";
        if (!(MemMb > 0) || double.IsInfinity(MemMb)) return "mem_mb must be a positive number";
        if (DiskMb < 0 || double.IsNaN(DiskMb) || double.IsInfinity(DiskMb)) return "disk_mb must not be negative";
        if (Image is { Length: 0 }) return "image must not be empty when given";
        return null;
    }
}

/// <summary>Queue a command; answered with <see cref="CommandAccepted"/> or <see cref="CommandRejected"/>.</summary>
public sealed record RunCommand(CommandRequest Request);
public sealed record CommandAccepted(TaskId TaskId);
public sealed record CommandRejected(string Message);

/// <summary>Ask for a command's state; answered with <see cref="CommandView"/> or <see cref="CommandNotFound"/>.</summary>
public sealed record GetCommand(TaskId TaskId);

/// <summary>A command as the framework knows it. <see cref="State"/> is null until the first status update arrives.</summary>
public sealed record CommandView(TaskId TaskId, string Name, AgentId? AgentId, FrameworkId? FrameworkId, TaskState? State, IReadOnlyList<TaskStatus> Statuses);
public sealed record CommandNotFound(TaskId TaskId);

/// <summary>Kill a command: a pending one is dropped (TASK_KILLED), a launched one is killed through the master.
/// Answered with <see cref="CommandKillRequested"/> or <see cref="CommandNotFound"/>.</summary>
public sealed record KillCommand(TaskId TaskId);
public sealed record CommandKillRequested(TaskId TaskId);
