using ClusterKernel.Protocol;

namespace ClusterKernel.Agent;

/// <summary>Reads part of a sandbox file for /files/read, refusing paths that leave the sandbox.</summary>
public static class SandboxReader
{
    public const long MaxLength = 1 << 20;

    public static SandboxFileData Read(string? sandbox, string path, long offset, long length)
    {
        if (sandbox is null) return new SandboxFileData(path, offset, "", 0, "No sandbox for that task on this agent");
        // (A plain prefix test let "../<sandbox-name>-x/f" through.)
        if (SandboxBrowser.Resolve(sandbox, path) is not { } full)
            return new SandboxFileData(path, offset, "", 0, "Path leaves the sandbox");
        if (!File.Exists(full)) return new SandboxFileData(path, offset, "", 0, $"No file '{path}' in the sandbox");
        using var f = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var size = f.Length;
        if (offset < 0) offset = 0;
        if (offset >= size) return new SandboxFileData(path, offset, "", size, null);
        var n = (int)Math.Min(length < 0 ? MaxLength : Math.Min(length, MaxLength), size - offset);
        var buf = new byte[n];
        f.Seek(offset, SeekOrigin.Begin);
        var read = f.Read(buf, 0, n);
        return new SandboxFileData(path, offset, System.Text.Encoding.UTF8.GetString(buf, 0, read), size, null);
    }
}
