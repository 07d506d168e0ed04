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
        await using var up = NodeProcess.Up(_out);
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
        private NodeProcess? _up;
        private string? _agentId;

        public string HttpUrl => _up?.HttpUrl ?? throw new InvalidOperationException("call Ready() first");

        /// <summary>Starts <c>ck up</c> if needed and waits until one agent is active; returns its id.</summary>
        public async Task<string> Ready()
        {
            await _lock.WaitAsync();
            try
            {
                if (_agentId is not null) return _agentId;
                _up = NodeProcess.Up(null);
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
}
