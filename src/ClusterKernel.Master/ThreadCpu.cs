using System.Runtime.InteropServices;

namespace ClusterKernel.Master;

/// <summary>CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID), so a round's own CPU can be told apart from time
/// the thread spent preempted on a loaded machine. NaN where unavailable.</summary>
internal static class ThreadCpu
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, out Timespec ts);

    private static bool _broken = !OperatingSystem.IsLinux() || !Environment.Is64BitProcess;

    public static double NowMs()
    {
        if (_broken) return double.NaN;
        try { return ClockGettime(3, out var ts) == 0 ? ts.Sec * 1000.0 + ts.Nsec / 1e6 : double.NaN; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { _broken = true; return double.NaN; }
    }
}
