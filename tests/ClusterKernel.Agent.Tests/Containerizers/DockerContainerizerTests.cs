using System.Diagnostics;
using ClusterKernel.Agent.Containerizers;
using Docker.DotNet;
using Xunit;
using static ClusterKernel.Agent.Tests.TestSupport;

namespace ClusterKernel.Agent.Tests.Containerizers;

/// <summary>Against a real Docker engine (tests/run.sh starts one and builds CK_TEST_IMAGE from busybox).</summary>
public sealed class DockerContainerizerTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private readonly DockerContainerizer _containerizer = new();
    private readonly string _agentId = NewId("agent");
    private readonly List<string> _launched = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in _launched)
        {
            try { await _containerizer.CleanupAsync(id, CancellationToken.None).WaitAsync(Seconds(15)); }
            catch (Exception) { /* the test already reported what matters */ }
        }
        _containerizer.Dispose();
        _dir.Dispose();
    }

    private ContainerLaunch Launch(string command, bool shell = true, IReadOnlyList<string>? args = null,
        double memoryMb = 64, string? image = null)
    {
        var id = NewId("c");
        _launched.Add(id);
        return TestSupport.Launch(id, _agentId, _dir.Sub("sandbox-" + id), command, shell,
            image ?? DockerFactAttribute.TestImage, args, memoryMb: memoryMb);
    }

    private async Task<ContainerExit> RunToExit(ContainerLaunch launch)
    {
        await _containerizer.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(30));
        return await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(30));
    }

    [DockerFact]
    public async Task Echo_output_lands_in_the_sandbox_stdout_file_and_exit_is_zero()
    {
        var launch = Launch("echo hello; echo oops >&2; echo \"$MESOS_SANDBOX\"");
        var exit = await RunToExit(launch);

        Assert.Equal(0, exit.ExitCode);
        Assert.False(exit.OomKilled);
        Assert.False(exit.KilledByRequest);
        Assert.Equal("hello\n/mnt/mesos/sandbox\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stdout")));
        Assert.Equal("oops\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stderr")));
    }

    [DockerFact]
    public async Task Non_zero_exit_code_is_reported()
    {
        var exit = await RunToExit(Launch("exit 3"));

        Assert.Equal(3, exit.ExitCode);
        Assert.False(exit.OomKilled);
        Assert.False(exit.KilledByRequest);
    }

    [DockerFact]
    public async Task Command_without_shell_is_executed_with_its_arguments()
    {
        var launch = Launch("echo", shell: false, args: ["a  b", "$HOME", "c"]);
        var exit = await RunToExit(launch);

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("a  b $HOME c\n", await File.ReadAllTextAsync(Path.Combine(launch.SandboxDirectory, "stdout")));
    }

    [DockerFact]
    public async Task Kill_stops_a_sleeping_container_well_within_the_grace_period()
    {
        var launch = Launch("sleep 100");
        var started = await _containerizer.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(30));
        Assert.NotNull(started.Pid);

        var grace = TimeSpan.FromSeconds(5);
        var sw = Stopwatch.StartNew();
        await _containerizer.KillAsync(launch.ContainerId, grace, CancellationToken.None).WaitAsync(grace + Seconds(5));
        var exit = await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(10));
        sw.Stop();

        Assert.True(exit.KilledByRequest);
        // The contract is SIGTERM, grace period, SIGKILL: it is gone by the end of the grace period (plus slack for a busy machine),
        // whether SIGTERM reached the command or the SIGKILL did.
        Assert.True(sw.Elapsed < grace + Seconds(5), $"the container outlived grace + SIGKILL: {sw.Elapsed}");

        // Idempotent, also once the container is gone.
        await _containerizer.KillAsync(launch.ContainerId, grace, CancellationToken.None).WaitAsync(Seconds(10));
        await _containerizer.CleanupAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(10));
        await _containerizer.KillAsync(launch.ContainerId, grace, CancellationToken.None).WaitAsync(Seconds(10));
    }

    [DockerFact]
    public async Task Exceeding_the_memory_limit_is_reported_as_OOM_kill()
    {
        // The shell keeps the whole 100 MB command substitution in memory: far over the 32 MB limit.
        var launch = Launch("x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived ${#x}", memoryMb: 32);
        await _containerizer.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(30));

        using (var client = new DockerClientConfiguration(new Uri(DockerContainerizer.ResolveEndpoint())).CreateClient())
        {
            var inspect = await client.Containers.InspectContainerAsync(DockerContainerizer.DockerName(launch.ContainerId)).WaitAsync(Seconds(10));
            Assert.Equal(32L * 1024 * 1024, inspect.HostConfig.Memory);
            Assert.Equal("host", inspect.HostConfig.NetworkMode);
            Assert.Equal(_agentId, inspect.Config.Labels[DockerContainerizer.AgentLabel]);
        }

        var exit = await _containerizer.WaitAsync(launch.ContainerId, CancellationToken.None).WaitAsync(Seconds(60));
        Assert.True(exit.OomKilled, exit.Message);
        Assert.Equal("Container was OOM-killed (memory limit 32 MB)", exit.Message);
        Assert.NotEqual(0, exit.ExitCode);
    }

    [DockerFact]
    public async Task Memory_below_the_Mesos_minimum_is_raised_to_32_MB()
    {
        var launch = Launch("exit 0", memoryMb: 1);
        await RunToExit(launch);
        using var client = new DockerClientConfiguration(new Uri(DockerContainerizer.ResolveEndpoint())).CreateClient();
        var inspect = await client.Containers.InspectContainerAsync(DockerContainerizer.DockerName(launch.ContainerId)).WaitAsync(Seconds(10));
        Assert.Equal(32L * 1024 * 1024, inspect.HostConfig.Memory);
    }

    [DockerFact]
    public async Task Recover_finds_a_running_container_by_its_labels()
    {
        var live = Launch("sleep 100");
        var finished = Launch("exit 0");
        await _containerizer.LaunchAsync(live, CancellationToken.None).WaitAsync(Seconds(30));
        await RunToExit(finished);

        using var restarted = new DockerContainerizer();
        var recovered = await restarted.RecoverAsync(_agentId, CancellationToken.None).WaitAsync(Seconds(10));
        var other = await restarted.RecoverAsync("some-other-agent-" + Guid.NewGuid().ToString("N"), CancellationToken.None).WaitAsync(Seconds(10));

        var only = Assert.Single(recovered);
        Assert.Equal(new RecoveredContainer(live.ContainerId, live.FrameworkId, live.TaskId, live.ExecutorId, live.Image), only);
        Assert.Empty(other);

        await restarted.KillAsync(live.ContainerId, TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Seconds(15));
        var exit = await restarted.WaitAsync(live.ContainerId, CancellationToken.None).WaitAsync(Seconds(10));
        Assert.True(exit.KilledByRequest);
    }

    [DockerFact]
    public async Task WaitAsync_can_be_cancelled()
    {
        var launch = Launch("sleep 100");
        await _containerizer.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(30));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _containerizer.WaitAsync(launch.ContainerId, cts.Token).WaitAsync(Seconds(5)));
    }

    [DockerFact]
    public async Task Missing_image_fails_the_launch_with_a_clear_message()
    {
        var launch = Launch("true", image: "clusterkernel/does-not-exist:" + Guid.NewGuid().ToString("N")[..8]);

        var e = await Assert.ThrowsAsync<ContainerLaunchException>(() => _containerizer.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(30)));
        Assert.Contains("not present", e.Message);
    }

    [Fact]
    public void Supports_only_launches_with_an_image()
    {
        var launch = TestSupport.Launch("c1", "a1", "/tmp/x", "true");
        Assert.False(_containerizer.Supports(launch));
        Assert.True(_containerizer.Supports(launch with { Image = "busybox" }));
        Assert.Equal("docker", _containerizer.Name);
    }

    [Fact]
    public async Task IsAvailable_is_false_quickly_for_an_endpoint_nobody_listens_on()
    {
        var sw = Stopwatch.StartNew();
        Assert.False(await DockerContainerizer.IsAvailableAsync("unix:///tmp/ck-no-such-docker.sock", TimeSpan.FromSeconds(2)));
        Assert.True(sw.Elapsed < Seconds(5));
    }
}
