using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Agent.Tests;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// The built <c>ck</c> as a user runs it: <c>ck up</c> as a child process, <c>ck run</c>/<c>ck state</c> as further child
/// processes talking HTTP to it, and a SIGTERM at the end. Ports are picked free, the data dir is temporary.
/// </summary>
[Collection("cluster")]
public sealed class CliProcessTests : IClassFixture<CliProcessTests.RunningCluster>
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly RunningCluster _cluster;
    private readonly ITestOutputHelper _out;

    public CliProcessTests(RunningCluster cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _out = output;
    }

    [Fact]
    public async Task Run_prints_the_commands_stdout_and_exits_0()
    {
        await _cluster.Ready();
        var r = await Ck.Run(_out, "run", "--master", _cluster.HttpUrl, "--cpus", "0.1", "--mem", "32", "--timeout", "60s", "--", "echo", "hello");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("hello", r.Stdout);
    }

    [DockerFact]
    public async Task Run_with_an_image_runs_in_docker()
    {
        await _cluster.Ready();
        var r = await Ck.Run(_out, "run", "--master", _cluster.HttpUrl, "--image", DockerFactAttribute.TestImage,
            "--cpus", "0.1", "--mem", "32", "--timeout", "60s", "--", "echo", "hello");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("hello", r.Stdout);
    }

    [Fact]
    public async Task Run_passes_the_exit_code_through()
    {
        await _cluster.Ready();
        var r = await Ck.Run(_out, "run", "--master", _cluster.HttpUrl, "--cpus", "0.1", "--mem", "32", "--", "sh", "-c", "exit 3");
        Assert.True(r.ExitCode == 3, r.ToString());
    }

    [Fact]
    public async Task State_lists_the_agent()
    {
        var agentId = await _cluster.Ready();
        var r = await Ck.Run(_out, "state", "--master", _cluster.HttpUrl);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("AGENTS", r.Stdout);
        Assert.Contains(agentId, r.Stdout);
    }

    [Fact]
    public async Task Run_against_nothing_listening_is_one_line_and_exit_2()
    {
        var port = Ck.FreePort();
        var r = await Ck.Run(_out, "run", "--master", $"http://127.0.0.1:{port}", "--", "echo", "hello");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(Ck.Lines(r.Stderr));
        Assert.Contains("cannot reach the master", r.Stderr);
    }

    [Fact]
    public async Task Up_with_a_bad_resource_string_fails_with_one_line()
    {
        var dataDir = TestCluster.TempDir("cli-badres");
        var r = await Ck.Run(_out, "up", "--port", Ck.FreePort().ToString(), "--http", $"127.0.0.1:{Ck.FreePort()}",
            "--data-dir", dataDir, "--resources", "cpus:abc");
        Assert.True(r.ExitCode != 0, r.ToString());
        var line = Assert.Single(Ck.Lines(r.Stderr));
        Assert.Contains("--resources", line);
        Assert.Contains("abc", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dataDir)); // nothing started
    }

    [Fact]
    public async Task Agent_without_master_is_one_line_and_exit_2()
    {
        var r = await Ck.Run(_out, "agent", "--data-dir", TestCluster.TempDir("cli-agent"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--master", Assert.Single(Ck.Lines(r.Stderr)));
    }

    [Fact]
    public async Task Up_leaves_gracefully_on_SIGTERM_and_exits_0()
    {
        await using var up = UpProcess.Start(_out);
        await up.AwaitAgent(TimeSpan.FromSeconds(60));
        up.Terminate();
        var exited = await up.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.True(exited, "ck up did not exit within 20 s of SIGTERM\n" + up.Output);
        Assert.True(up.ExitCode == 0, $"exit code {up.ExitCode}\n{up.Output}");
        Assert.Contains("leaving the cluster", up.Output);
    }

    /// <summary>One <c>ck up</c> shared by the tests of this class, started on first use.</summary>
    public sealed class RunningCluster : IAsyncLifetime
    {
        private readonly SemaphoreSlim _lock = new(1, 1);
        private UpProcess? _up;
        private string? _agentId;

        public string HttpUrl => _up?.HttpUrl ?? throw new InvalidOperationException("call Ready() first");

        /// <summary>Starts <c>ck up</c> if needed and waits until one agent is active; returns its id.</summary>
        public async Task<string> Ready()
        {
            await _lock.WaitAsync();
            try
            {
                if (_agentId is not null) return _agentId;
                _up = UpProcess.Start(null);
                _agentId = await _up.AwaitAgent(TimeSpan.FromSeconds(60));
                return _agentId;
            }
            finally { _lock.Release(); }
        }

        public Task InitializeAsync() => Task.CompletedTask;

        public async Task DisposeAsync()
        {
            if (_up is not null) await _up.DisposeAsync();
        }
    }

    /// <summary>A running <c>ck up</c> child process with free ports and a temporary data dir.</summary>
    public sealed class UpProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        public string HttpUrl { get; }
        public string DataDir { get; }

        private UpProcess(Process process, string httpUrl, string dataDir)
        {
            _process = process;
            HttpUrl = httpUrl;
            DataDir = dataDir;
        }

        public string Output { get { lock (_output) return _output.ToString(); } }
        public int ExitCode => _process.ExitCode;

        public static UpProcess Start(ITestOutputHelper? log)
        {
            var dataDir = TestCluster.TempDir("cli-up");
            var http = $"127.0.0.1:{Ck.FreePort()}";
            var psi = Ck.StartInfo("up", "--port", Ck.FreePort().ToString(), "--http", http, "--data-dir", dataDir);
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            var up = new UpProcess(process, "http://" + http, dataDir);
            DataReceivedEventHandler append = (_, e) => { if (e.Data is not null) lock (up._output) up._output.AppendLine(e.Data); };
            process.OutputDataReceived += append;
            process.ErrorDataReceived += append;
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            log?.WriteLine($"started ck up (pid {process.Id}) HTTP {up.HttpUrl}, data {dataDir}");
            return up;
        }

        /// <summary>Polls /health, then /state until an agent is active; returns the agent's id.</summary>
        public async Task<string> AwaitAgent(TimeSpan timeout)
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + timeout;
            var healthy = false;
            while (DateTime.UtcNow < deadline)
            {
                if (_process.HasExited) throw new Xunit.Sdk.XunitException($"ck up exited with {_process.ExitCode}\n{Output}");
                try
                {
                    if (!healthy) healthy = (await client.GetAsync(HttpUrl + "/health")).IsSuccessStatusCode;
                    if (healthy)
                    {
                        var state = JsonNode.Parse(await client.GetStringAsync(HttpUrl + "/state"));
                        if (state?["slaves"]?.AsArray().FirstOrDefault(a => (bool?)a?["active"] == true) is { } agent)
                            return (string)agent["id"]!;
                    }
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                await Task.Delay(200);
            }
            throw new Xunit.Sdk.XunitException($"no active agent at {HttpUrl} within {timeout.TotalSeconds}s\n{Output}");
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        public void Terminate()
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) { if (kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill failed: errno {Marshal.GetLastWin32Error()}"); }
            else _process.Kill(false);
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
    private static class Ck
    {
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
}
