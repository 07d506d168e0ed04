using System.Runtime.InteropServices;

namespace ClusterKernel.Agent.Containerizers;

/// <summary>The few libc calls the process containerizer needs (Linux).</summary>
internal static class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    private const int ESRCH = 3;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int sig);

    /// <summary>Sends <paramref name="signal"/>; a negative pid addresses a process group. False if no such process.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (SysKill(pid, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ESRCH) return false;
        throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}");
    }

    /// <summary>
    /// Alive = exists and is not a zombie. When <paramref name="expectedStartTime"/> is given, the process must also
    /// have that start time (field 22 of /proc/pid/stat), so a reused pid is not mistaken for ours.
    /// </summary>
    public static bool IsAlive(int pid, long? expectedStartTime = null)
    {
        if (pid <= 0) return false;
        var stat = ReadStat(pid);
        if (stat is null) return false;
        var (state, startTime) = stat.Value;
        if (state is 'Z' or 'X') return false;
        return expectedStartTime is null || expectedStartTime == startTime;
    }

    /// <summary>Process start time in clock ticks since boot, or null if the process is gone.</summary>
    public static long? StartTime(int pid) => ReadStat(pid)?.StartTime;

    private static (char State, long StartTime)? ReadStat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // "pid (comm) S ppid ..." — comm may contain spaces and parentheses, so split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0) return null;
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); start time is field 22 => fields[19].
        if (fields.Length < 20 || !long.TryParse(fields[19], out var start)) return null;
        return (fields[0][0], start);
    }
}
