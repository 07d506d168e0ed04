using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ClusterKernel.Hosting.Chaos;

/// <summary>One <c>ck master</c> or <c>ck agent</c> child of <c>ck chaos</c>: started again on the same ports and directory after a kill.</summary>
public sealed class ChaosNode
{
    private readonly Func<string[], ProcessStartInfo> _startInfo;
    private readonly string[] _args;
    private readonly string _logFile;
    private Process? _process;

    public ChaosNode(string name, Func<string[], ProcessStartInfo> startInfo, string[] args, string dir, string? httpUrl)
    {
        Name = name;
        _startInfo = startInfo;
        _args = args;
        Dir = dir;
        HttpUrl = httpUrl;
        _logFile = Path.Combine(Path.GetDirectoryName(dir)!, name + ".log");
    }

    public string Name { get; }
    public string Dir { get; }
    public string? HttpUrl { get; }
    public bool Frozen { get; private set; }
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public void Start()
    {
        var psi = _startInfo(_args);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.RedirectStandardInput = true;
        psi.UseShellExecute = false;
        var p = new Process { StartInfo = psi };
        var log = new StreamWriter(_logFile, append: true) { AutoFlush = true };
        DataReceivedEventHandler append = (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.OutputDataReceived += append;
        p.ErrorDataReceived += append;
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public void Signal(int sig)
    {
        if (Pid is { } pid) kill(pid, sig);
        if (sig == 19) Frozen = true;
        if (sig is 18 or 9) Frozen = false;
    }

    public async Task KillHardAsync()
    {
        Signal(9);
        if (_process is { } p) try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
    }

    /// <summary>SIGCONT (in case it is frozen), SIGTERM, and SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process is not { } p || p.HasExited) return;
        Signal(18);
        Signal(15);
        try { await p.WaitForExitAsync().WaitAsync(grace); }
        catch (TimeoutException) { try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }
    }
}
