using ClusterKernel.Protocol;

namespace ClusterKernel.Agent;

/// <summary>Directory listings and raw chunks of sandbox files (/files/browse, /files/download); never outside the sandbox.</summary>
public static class SandboxBrowser
{
    /// <summary>The absolute path of <paramref name="relative"/> inside <paramref name="sandbox"/>, or null when it leaves it (.., absolute paths, symlinks are not followed here).</summary>
    public static string? Resolve(string sandbox, string relative)
    {
        var root = Path.GetFullPath(sandbox).TrimEnd(Path.DirectorySeparatorChar);
        var full = Path.GetFullPath(Path.Combine(root, relative.TrimStart('/')));
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    public static SandboxListing Browse(string? sandbox, string path)
    {
        if (sandbox is null) return new SandboxListing(path, Array.Empty<SandboxEntry>(), "No sandbox for that task on this agent");
        if (Resolve(sandbox, path) is not { } dir) return new SandboxListing(path, Array.Empty<SandboxEntry>(), "Path leaves the sandbox");
        if (File.Exists(dir)) return new SandboxListing(path, new[] { Entry(sandbox, new FileInfo(dir)) }, null);
        if (!Directory.Exists(dir)) return new SandboxListing(path, Array.Empty<SandboxEntry>(), $"No directory '{path}' in the sandbox");
        var entries = new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal).Select(i => Entry(sandbox, i)).ToList();
        return new SandboxListing(path, entries, null);
    }

    public static SandboxFileChunk Read(string? sandbox, string path, long offset)
    {
        if (sandbox is null) return new SandboxFileChunk(path, offset, Array.Empty<byte>(), 0, "No sandbox for that task on this agent");
        if (Resolve(sandbox, path) is not { } full) return new SandboxFileChunk(path, offset, Array.Empty<byte>(), 0, "Path leaves the sandbox");
        if (!File.Exists(full)) return new SandboxFileChunk(path, offset, Array.Empty<byte>(), 0, $"No file '{path}' in the sandbox");
        using var f = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var size = f.Length;
        offset = Math.Max(0, offset);
        if (offset >= size) return new SandboxFileChunk(path, offset, Array.Empty<byte>(), size, null);
        var buf = new byte[(int)Math.Min(DownloadSandboxFile.MaxChunk, size - offset)];
        f.Seek(offset, SeekOrigin.Begin);
        var read = f.Read(buf, 0, buf.Length);
        return new SandboxFileChunk(path, offset, read == buf.Length ? buf : buf[..read], size, null);
    }

    private static SandboxEntry Entry(string sandbox, FileSystemInfo i)
    {
        var relative = Path.GetRelativePath(sandbox, i.FullName).Replace(Path.DirectorySeparatorChar, '/');
        var isDir = i is DirectoryInfo;
        // st_mode: the type bits (S_IFDIR 0040000, S_IFREG 0100000) and the permission bits.
        var perms = OperatingSystem.IsWindows() ? (isDir ? 0x1ED : 0x1A4) : (int)i.UnixFileMode;
        var mode = (isDir ? 0x4000 : 0x8000) | perms;
        var size = i is FileInfo f ? f.Length : 4096;
        return new SandboxEntry(relative, isDir ? 2 : 1, size, new DateTimeOffset(i.LastWriteTimeUtc).ToUnixTimeMilliseconds() / 1000.0, mode, Environment.UserName, Environment.UserName);
    }
}
