using System.Diagnostics;
using ClusterKernel.Agent.Containerizers;
using Xunit;
using static ClusterKernel.Agent.Tests.TestSupport;

namespace ClusterKernel.Agent.Tests.Containerizers;

public sealed class ProcessContainerizerTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ProcessContainerizer _containerizer;
    private readonly string _agentId = NewId("agent");

    public ProcessContainerizerTests() => _containerizer = new ProcessContainerizer(_dir.Sub("meta"));

    public void Dispose()
    {
        _containerizer.Dispose();
        _dir.Dispose();
    }

    private ContainerLaunch Launch(string command, bool shell = true, IReadOnlyList<string>? args = null,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var id = NewId("c");
        return TestSupport.Launch(id, _agentId, _dir.Sub("sandbox-" + id), command, shell, null, args, env);
    }

    private async Task<ContainerExit> RunToExit(ContainerLaunch launch)
    {
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        return await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(10));
    }

    [Fact]
    public void Supports_only_launches_without_an_image()
    {
        Assert.True(_containerizer.Supports(Launch("true")));
        Assert.False(_containerizer.Supports(Launch("true") with { Image = "busybox" }));
        Assert.Equal("process", _containerizer.Name);
    }

    [Fact]
    public async Task Echo_output_lands_in_the_sandbox_stdout_file_and_exit_is_zero()
    {
        var launch = Launch("echo hello; echo oops >&2");
        var exit = await RunToExit(launch);

        Assert.Equal(0, exit.ExitCode);
        Assert.False(exit.KilledByRequest);
        Assert.False(exit.OomKilled);
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stdout")));
        Assert.Equal("oops\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stderr")));
        Assert.True(File.Exists(Path.Combine(launch.SandboxDirectory, "pid")));
    }

    [Fact]
    public async Task Non_zero_exit_code_is_reported()
    {
        var exit = await RunToExit(Launch("exit 3"));

        Assert.Equal(3, exit.ExitCode);
        Assert.False(exit.KilledByRequest);
        Assert.Contains("status 3", exit.Message);
    }

    [Fact]
    public async Task Command_without_shell_is_executed_with_its_arguments()
    {
        var launch = Launch("echo", shell: false, args: ["a  b", "$HOME", "c"]);
        var exit = await RunToExit(launch);

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("a  b $HOME c\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stdout")));
    }

    [Fact]
    public async Task Environment_and_MESOS_SANDBOX_are_visible_and_the_sandbox_is_the_working_directory()
    {
        var launch = Launch("echo \"$FOO|$MESOS_SANDBOX|$(pwd)\"", env: new Dictionary<string, string> { ["FOO"] = "bar" });
        var exit = await RunToExit(launch);

        Assert.Equal(0, exit.ExitCode);
        var sandbox = Path.GetFullPath(launch.SandboxDirectory);
        Assert.Equal($"bar|{sandbox}|{sandbox}\n", await File.ReadAllTextAsync(Path.Combine(sandbox, "stdout")));
    }

    [Fact]
    public async Task Kill_stops_a_sleeping_shell_and_its_children_well_within_the_grace_period()
    {
        var launch = Launch("sleep 100 & echo $! > child; wait");
        var started = await _containerizer.LaunchAsync(launch, CancellationToken.None);
        var childFile = Path.Combine(launch.SandboxDirectory, "child");
        await AwaitCondition(() => File.Exists(childFile) && File.ReadAllText(childFile).EndsWith('\n'), TimeSpan.FromSeconds(10), "child pid file");
        var childPid = int.Parse(File.ReadAllText(childFile).Trim());
        Assert.NotNull(started.Pid);

        var grace = TimeSpan.FromSeconds(3);
        var sw = Stopwatch.StartNew();
        await _containerizer.KillAsync(launch.ContainerId, grace, CancellationToken.None).WaitAsync(grace + Seconds(5));
        var exit = await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(5));
        sw.Stop();

        Assert.True(exit.KilledByRequest);
        Assert.True(sw.Elapsed < grace + Seconds(5), $"kill took {sw.Elapsed}");
        await AwaitCondition(() => ProcessGone(childPid), TimeSpan.FromSeconds(5), "the forked sleep to die with its group");
        await AwaitCondition(() => ProcessGone(started.Pid!.Value), TimeSpan.FromSeconds(5), "the leader to be gone");
    }

    [Fact]
    public async Task Kill_escalates_to_SIGKILL_after_the_grace_period_when_SIGTERM_is_ignored()
    {
        // Ignored signals are inherited, so the sleep ignores SIGTERM too. The "ready" file says the trap is set.
        var launch = Launch("trap '' TERM; touch ready; sleep 100");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        await AwaitCondition(() => File.Exists(Path.Combine(launch.SandboxDirectory, "ready")), TimeSpan.FromSeconds(10), "trap installed");

        var grace = TimeSpan.FromSeconds(1);
        var sw = Stopwatch.StartNew();
        await _containerizer.KillAsync(launch.ContainerId, grace, CancellationToken.None).WaitAsync(grace + Seconds(5));
        var exit = await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(5));

        Assert.True(exit.KilledByRequest);
        Assert.Equal(137, exit.ExitCode); // 128 + SIGKILL
        // Timers may fire a few milliseconds early against the stopwatch; what matters is that SIGTERM was given its grace period.
        Assert.True(sw.Elapsed >= grace - TimeSpan.FromMilliseconds(100), $"SIGKILL came before the grace period ended ({sw.Elapsed})");
    }

    [Fact]
    public async Task Kill_is_idempotent_and_ignores_unknown_or_finished_containers()
    {
        await _containerizer.KillAsync("never-launched", TimeSpan.FromSeconds(1), CancellationToken.None);
        var launch = Launch("exit 0");
        var exit = await RunToExit(launch);
        await _containerizer.KillAsync(launch.ContainerId, TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Seconds(5));
        await _containerizer.KillAsync(launch.ContainerId, TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Seconds(5));
        Assert.Equal(0, exit.ExitCode);
    }

    [Fact]
    public async Task WaitAsync_can_be_cancelled()
    {
        var launch = Launch("sleep 100");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _containerizer.WaitAsync(launch.ContainerId, cts.Token).WaitAsync(Seconds(5)));

        await _containerizer.KillAsync(launch.ContainerId, TimeSpan.FromSeconds(1), CancellationToken.None).WaitAsync(Seconds(6));
    }

    [Fact]
    public async Task Recover_after_restart_finds_the_live_process_and_can_kill_it()
    {
        var live = Launch("sleep 100");
        var finished = Launch("exit 0");
        var started = await _containerizer.LaunchAsync(live, CancellationToken.None);
        await RunToExit(finished);
        // The wrapper records the exit status once it has set its TERM trap and started the command; a kill in the shell's
        // first milliseconds ends the wrapper itself (status unknown, by design) — CI hit that once. Kill a settled task.
        await AwaitCondition(() => HasChild(started.Pid!.Value), TimeSpan.FromSeconds(10), "the wrapper to start the command");

        // A new containerizer over the same runtime directory plays the restarted agent.
        using var restarted = new ProcessContainerizer(_containerizer.RuntimeDirectory);
        var recovered = await restarted.RecoverAsync(_agentId, CancellationToken.None).WaitAsync(Seconds(5));
        var other = await restarted.RecoverAsync("some-other-agent", CancellationToken.None).WaitAsync(Seconds(5));

        var only = Assert.Single(recovered);
        Assert.Equal(new RecoveredContainer(live.ContainerId, live.FrameworkId, live.TaskId, live.ExecutorId, null), only);
        Assert.Empty(other);

        await restarted.KillAsync(live.ContainerId, TimeSpan.FromSeconds(3), CancellationToken.None).WaitAsync(Seconds(8));
        var exit = await restarted.WaitAsync(live.ContainerId, CancellationToken.None).WaitAsync(Seconds(5));
        Assert.True(exit.KilledByRequest);
        Assert.Equal(143, exit.ExitCode); // recorded by the launch wrapper: the sleep ended by SIGTERM
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task A_recovered_process_that_exits_reports_its_real_exit_status(int code)
    {
        // The command waits for a file so that it ends only after the "agent restart" (a new containerizer).
        var launch = Launch($"while [ ! -e go ]; do sleep 0.05; done; exit {code}");
        var started = await _containerizer.LaunchAsync(launch, CancellationToken.None);

        using var restarted = new ProcessContainerizer(_containerizer.RuntimeDirectory);
        Assert.Single(await restarted.RecoverAsync(_agentId, CancellationToken.None).WaitAsync(Seconds(5)));
        await File.WriteAllTextAsync(Path.Combine(launch.SandboxDirectory, "go"), "");
        var exit = await restarted.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(10));

        Assert.Equal(code, exit.ExitCode);
        Assert.False(exit.KilledByRequest);
        Assert.Equal($"Process exited with status {code}", exit.Message);
        Assert.Equal(started.Pid, int.Parse(File.ReadAllText(Path.Combine(launch.SandboxDirectory, "pid")).Trim()));
    }

    [Fact]
    public async Task The_command_handles_SIGTERM_itself_and_its_exit_status_is_the_one_reported()
    {
        // The launch wrapper waits for the command instead of dying at once, so a command's own TERM handler runs to its end.
        var launch = Launch("trap 'echo bye; exit 7' TERM; touch ready; while :; do sleep 0.05; done");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        await AwaitCondition(() => File.Exists(Path.Combine(launch.SandboxDirectory, "ready")), TimeSpan.FromSeconds(10), "trap installed");

        await _containerizer.KillAsync(launch.ContainerId, TimeSpan.FromSeconds(10), CancellationToken.None).WaitAsync(Seconds(15));
        var exit = await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(5));

        Assert.True(exit.KilledByRequest);
        Assert.Equal(7, exit.ExitCode);
        Assert.Equal("bye\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stdout")));
        Assert.Equal("7\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, ProcessContainerizer.ExitStatusFile)));
    }

    [Fact]
    public async Task Cleanup_forgets_an_exited_container_so_it_is_not_recovered()
    {
        var launch = Launch("exit 0");
        await RunToExit(launch);
        await _containerizer.CleanupAsync(launch.ContainerId, CancellationToken.None);
        await _containerizer.CleanupAsync(launch.ContainerId, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_containerizer.RuntimeDirectory));
    }
}
