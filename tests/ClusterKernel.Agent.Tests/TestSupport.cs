using System.Globalization;
using ClusterKernel.Agent.Containerizers;

namespace ClusterKernel.Agent.Tests;

internal static class TestSupport
{
    /// <summary>CK_TEST_TIMEFACTOR stretches every timeout on slow machines (default 1).</summary>
    public static readonly double TimeFactor =
        double.TryParse(Environment.GetEnvironmentVariable("CK_TEST_TIMEFACTOR"), NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f > 0 ? f : 1;

    public static TimeSpan Scaled(TimeSpan t) => t * TimeFactor;
    public static TimeSpan Seconds(double s) => Scaled(TimeSpan.FromSeconds(s));

    public static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}";

    public static ContainerLaunch Launch(string containerId, string agentId, string sandbox, string command,
        bool shell = true, string? image = null, IReadOnlyList<string>? args = null,
        IReadOnlyDictionary<string, string>? env = null, double cpus = 0.5, double memoryMb = 64) =>
        new(containerId, agentId, "fw-1", "task-" + containerId, "exec-" + containerId, image, command,
            args ?? [], shell, env ?? new Dictionary<string, string>(), cpus, memoryMb, sandbox);

    /// <summary>Polls <paramref name="condition"/> until true or the (scaled) timeout: for state the code under test does not signal.</summary>
    public static async Task AwaitCondition(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + Scaled(timeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {Scaled(timeout)} waiting for: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>True when some live process has <paramref name="pid"/> as its parent (read from /proc).</summary>
    public static bool HasChild(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // After "(comm) ": state, then the parent's pid.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == pid.ToString(System.Globalization.CultureInfo.InvariantCulture) && fields[0] is not ("Z" or "X")) return true;
            }
            catch (IOException) { } // gone meanwhile
        }
        return false;
    }

    /// <summary>True when the process is gone or a zombie.</summary>
    public static bool ProcessGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)];
            return state is 'Z' or 'X';
        }
        catch (IOException) { return true; }
    }
}

/// <summary>A fresh directory per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ck-agent-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }
    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (Exception) { /* best effort */ }
    }
}
