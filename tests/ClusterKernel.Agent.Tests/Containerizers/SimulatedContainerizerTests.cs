using ClusterKernel.Agent.Containerizers;
using Xunit;
using static ClusterKernel.Agent.Tests.TestSupport;

namespace ClusterKernel.Agent.Tests.Containerizers;

public sealed class SimulatedContainerizerTests : IDisposable
{
    private readonly SimulatedContainerizer _containerizer = new();
    // Never created: the simulated containerizer must not touch the file system.
    private readonly string _sandbox = Path.Combine(Path.GetTempPath(), "ck-simulated-never-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => _containerizer.Dispose();

    private ContainerLaunch Launch(string command, bool shell = true, IReadOnlyList<string>? args = null, string? image = null) =>
        TestSupport.Launch(NewId("c"), "agent-1", _sandbox, command, shell, image, args);

    [Fact]
    public void Is_named_simulated_and_supports_every_launch()
    {
        Assert.Equal("simulated", _containerizer.Name);
        Assert.True(_containerizer.Supports(Launch("true")));
        Assert.True(_containerizer.Supports(Launch("true", image: "busybox")));
    }

    [Fact]
    public async Task A_command_that_is_not_a_sleep_finishes_at_once_with_exit_0()
    {
        var launch = Launch("echo hello");
        var started = await _containerizer.LaunchAsync(launch, CancellationToken.None);
        Assert.Equal(launch.ContainerId, started.ContainerId);
        Assert.Null(started.Pid);
        var exit = await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(5));
        Assert.Equal(0, exit.ExitCode);
        Assert.False(exit.KilledByRequest);
        Assert.False(Directory.Exists(_sandbox));
    }

    [Fact]
    public async Task Sleep_n_runs_for_n_seconds_then_exits_0()
    {
        var launch = Launch("sleep 0.3");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        var wait = _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);
        var exit = await wait.WaitAsync(Seconds(5));
        Assert.Equal(0, exit.ExitCode);
    }

    [Theory]
    [InlineData("sleep 30", true, null, 30.0)]
    [InlineData("/bin/sleep 2.5", true, null, 2.5)]
    [InlineData("  sleep   7 ", true, null, 7.0)]
    [InlineData("sleep", false, "5", 5.0)]
    [InlineData("sleep", false, "sleep,4", 4.0)]
    [InlineData("sleep 1 && echo", true, null, null)]
    [InlineData("sleep x", true, null, null)]
    [InlineData("sleep -1", true, null, null)]
    [InlineData("echo 30", true, null, null)]
    public void Sleep_duration_is_parsed_from_the_command(string command, bool shell, string? args, double? seconds)
    {
        var launch = Launch(command, shell, args?.Split(','));
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, SimulatedContainerizer.SleepDuration(launch));
    }

    [Fact]
    public async Task Kill_ends_a_running_task_as_killed_by_request_and_is_idempotent()
    {
        var launch = Launch("sleep 600");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        var wait = _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None);
        await _containerizer.KillAsync(launch.ContainerId, TimeSpan.FromSeconds(3), CancellationToken.None);
        var exit = await wait.WaitAsync(Seconds(5));
        Assert.True(exit.KilledByRequest);
        await _containerizer.KillAsync(launch.ContainerId, TimeSpan.Zero, CancellationToken.None);
        await _containerizer.KillAsync("never-launched", TimeSpan.Zero, CancellationToken.None);
    }

    [Fact]
    public async Task Cleanup_forgets_the_container_and_recover_finds_nothing()
    {
        var launch = Launch("sleep 600");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        Assert.Equal(1, _containerizer.Count);
        await _containerizer.CleanupAsync(launch.ContainerId, CancellationToken.None);
        await _containerizer.CleanupAsync(launch.ContainerId, CancellationToken.None);
        Assert.Equal(0, _containerizer.Count);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None));
        Assert.Empty(await _containerizer.RecoverAsync("agent-1", CancellationToken.None));
    }

    [Fact]
    public async Task A_second_launch_with_the_same_container_id_is_refused()
    {
        var launch = Launch("sleep 600");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        await Assert.ThrowsAsync<ContainerLaunchException>(() => _containerizer.LaunchAsync(launch, CancellationToken.None));
    }

    [Fact]
    public async Task Wait_is_cancellable()
    {
        var launch = Launch("sleep 600");
        await _containerizer.LaunchAsync(launch, CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _containerizer.WaitAsync(launch.ContainerId, cts.Token));
    }
}
