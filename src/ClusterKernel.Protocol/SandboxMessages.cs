namespace ClusterKernel.Protocol;

/// <summary>A question about one task's sandbox: the master forwards it to the task's agent, or answers <see cref="Unavailable"/>.</summary>
public interface ISandboxRequest : IClusterMessage
{
    FrameworkId FrameworkId { get; }
    TaskId TaskId { get; }
    /// <summary>The answer when no connected agent has the task.</summary>
    object Unavailable(string error);
}

/// <summary>List a directory of a task's sandbox (Mesos /files/browse). Path is relative to the sandbox ("" = its root).</summary>
public sealed record BrowseSandbox(FrameworkId FrameworkId, TaskId TaskId, string Path) : ISandboxRequest
{
    public object Unavailable(string error) => new SandboxListing(Path, Array.Empty<SandboxEntry>(), error);
}

/// <summary>One entry as Mesos' FileInfo: path relative to the sandbox, mtime in seconds since the epoch, mode with the type bits.</summary>
public sealed record SandboxEntry(string Path, int Nlink, long Size, double Mtime, int Mode, string Uid, string Gid);

public sealed record SandboxListing(string Path, IReadOnlyList<SandboxEntry> Entries, string? Error) : IClusterMessage;

/// <summary>Raw bytes of a sandbox file from <paramref name="Offset"/> (Mesos /files/download), at most
/// <see cref="MaxChunk"/> per answer so that a chunk fits in one remoting frame; the HTTP side asks again until the end.</summary>
public sealed record DownloadSandboxFile(FrameworkId FrameworkId, TaskId TaskId, string Path, long Offset) : ISandboxRequest
{
    public const int MaxChunk = 48 * 1024;
    public object Unavailable(string error) => new SandboxFileChunk(Path, Offset, Array.Empty<byte>(), 0, error);
}

public sealed record SandboxFileChunk(string Path, long Offset, byte[] Data, long Size, string? Error) : IClusterMessage;
