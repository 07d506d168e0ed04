using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>A <c>ck</c> node (up, master or agent) running as a real child process, with its output captured.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    public string? HttpUrl { get; }
    public string DataDir { get; }
    public int ClusterPort { get; }
    public int Pid => _process.Id;

    /// <summary>The network namespace it runs in (<see cref="StartIn"/>), or null for the test's own.</summary>
    public string? Netns { get; private init; }

    private NodeProcess(Process process, string? httpUrl, string dataDir, int clusterPort)
    {
        _process = process;
        HttpUrl = httpUrl;
        DataDir = dataDir;
        ClusterPort = clusterPort;
    }

    public string Output { get { lock (_output) return _output.ToString(); } }
    public int ExitCode => _process.ExitCode;
    public bool HasExited => _process.HasExited;

    /// <summary><c>ck up</c> on free ports with a temporary data dir.</summary>
    public static NodeProcess Up(ITestOutputHelper? log) =>
        Start(log, "up", clusterPort: Ck.FreePort(), http: $"127.0.0.1:{Ck.FreePort()}", dataDir: TestCluster.TempDir("cli-up"));

    /// <summary>Starts <c>ck COMMAND --port P [--http H] --data-dir D EXTRA...</c>.</summary>
    public static NodeProcess Start(ITestOutputHelper? log, string command, int clusterPort, string? http, string dataDir, params string[] extra) =>
        StartIn(null, log, command, clusterPort, http, dataDir, extra);

    /// <summary>As <see cref="Start"/>, inside network namespace <paramref name="netns"/> (<c>ip netns exec</c>, which execs: same pid).</summary>
    public static NodeProcess StartIn(string? netns, ITestOutputHelper? log, string command, int clusterPort, string? http, string dataDir, params string[] extra)
    {
        var args = new List<string> { command, "--port", clusterPort.ToString(), "--data-dir", dataDir };
        if (http is not null) { args.Add("--http"); args.Add(http); }
        args.AddRange(extra);
        var psi = Ck.StartInfo(args.ToArray());
        if (netns is not null)
        {
            var inner = new[] { "netns", "exec", netns, psi.FileName }.Concat(psi.ArgumentList).ToList();
            psi.FileName = "ip";
            psi.ArgumentList.Clear();
            foreach (var a in inner) psi.ArgumentList.Add(a);
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var node = new NodeProcess(process, http is null ? null : "http://" + http, dataDir, clusterPort) { Netns = netns };
        DataReceivedEventHandler append = (_, e) => { if (e.Data is not null) lock (node._output) node._output.AppendLine(e.Data); };
        process.OutputDataReceived += append;
        process.ErrorDataReceived += append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log?.WriteLine($"started ck {string.Join(' ', args)} (pid {process.Id})");
        return node;
    }

    /// <summary>Polls /health, then /state until an agent is active; returns the agent's id.</summary>
    public async Task<string> AwaitAgent(TimeSpan timeout)
    {
        string? id = null;
        await AwaitState(s => (id = s["slaves"]?.AsArray().FirstOrDefault(a => (bool?)a?["active"] == true)?["id"]?.GetValue<string>()) is not null,
            timeout, "an active agent");
        return id!;
    }

    /// <summary>Polls this node's /state until <paramref name="condition"/> holds; returns that state.</summary>
    public async Task<JsonNode> AwaitState(Func<JsonNode, bool> condition, TimeSpan timeout, string what)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new Xunit.Sdk.XunitException($"ck exited with {_process.ExitCode}\n{Output}");
            try
            {
                if (Netns is not null)
                {
                    // Only reachable inside its namespace: curl there.
                    if (await NetworkNamespaces.Get(Netns, HttpUrl + "/state") is { } text && JsonNode.Parse(text) is { } st && st["id"] is not null)
                    {
                        last = st;
                        if (condition(last)) return last;
                    }
                }
                else if ((await client.GetAsync(HttpUrl + "/health")).IsSuccessStatusCode)
                {
                    last = JsonNode.Parse(await client.GetStringAsync(HttpUrl + "/state"));
                    if (last is not null && condition(last)) return last;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            catch (System.Text.Json.JsonException) { }
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"no {what} at {HttpUrl} within {timeout.TotalSeconds}s; last state: {last?.ToJsonString()[..Math.Min(2000, last.ToJsonString().Length)]}\n{Output}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>SIGTERM: a graceful stop.</summary>
    public void Terminate() => Signal(15);

    /// <summary>SIGKILL: a crash, no leaving the cluster.</summary>
    public void KillHard() => Signal(9);

    /// <summary>SIGSTOP: the process freezes (its sockets stay open, the kernel still accepts connections), as under a long pause.</summary>
    public void Freeze() => Signal(19);

    /// <summary>SIGCONT: a frozen process resumes.</summary>
    public void Resume() => Signal(18);

    private void Signal(int sig)
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) { _process.Kill(false); return; }
        if (kill(_process.Id, sig) != 0) throw new InvalidOperationException($"kill -{sig} failed: errno {Marshal.GetLastWin32Error()}");
    }

    public async Task<bool> WaitForExit(TimeSpan timeout)
    {
        try { await _process.WaitForExitAsync().WaitAsync(timeout); return true; }
        catch (TimeoutException) { return false; }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Terminate();
                if (!await WaitForExit(TimeSpan.FromSeconds(20))) _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException) { }
        finally
        {
            try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.Dispose();
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

public sealed record Result(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
}

/// <summary>Runs the built ck.dll (next to this test assembly) with the dotnet host.</summary>
public static class Ck
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    public static string Dll => typeof(ClusterKernel.Cli.Commands.ServerCommands).Assembly.Location;

    private static string DotNet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } p && File.Exists(p) ? p
        : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : "dotnet";

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo(DotNet)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The environment is inherited; say so for the two the agent and tests depend on.
        foreach (var name in new[] { "DOCKER_HOST", "CK_TEST_IMAGE" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v) psi.Environment[name] = v;
        return psi;
    }

    public static async Task<Result> Run(ITestOutputHelper log, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try { await process.WaitForExitAsync().WaitAsync(CommandTimeout); }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"ck {string.Join(' ', args)} did not exit within {CommandTimeout.TotalSeconds}s");
        }
        var result = new Result(process.ExitCode, await stdout, await stderr);
        log.WriteLine($"ck {string.Join(' ', args)}\n{result}");
        return result;
    }

    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try { return ((IPEndPoint)l.LocalEndpoint).Port; }
        finally { l.Stop(); }
    }
}
