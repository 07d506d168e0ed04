using ClusterKernel.Agent.Containerizers;
using Xunit;
using static ClusterKernel.Agent.Tests.TestSupport;

namespace ClusterKernel.Agent.Tests.Containerizers;

/// <summary>IContainerizer.ExecAsync, what COMMAND health checks run on: exit codes, the task's environment, cancellation.</summary>
public sealed class ContainerExecTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static ContainerExec Exec(string command, string sandbox, IReadOnlyDictionary<string, string>? env = null) =>
        new(command, Array.Empty<string>(), true, env ?? new Dictionary<string, string>(), sandbox);

    [Fact]
    public async Task A_process_exec_runs_in_the_sandbox_with_the_given_environment()
    {
        using var process = new ProcessContainerizer(_dir.Sub("meta"));
        var sandbox = _dir.Sub("sandbox");
        Directory.CreateDirectory(sandbox);
        File.WriteAllText(Path.Combine(sandbox, "ready"), "");
        var env = new Dictionary<string, string> { ["X"] = "y" };
        Assert.Equal(0, await process.ExecAsync("c1", Exec("test -f ready && test \"$X\" = y", sandbox, env), CancellationToken.None).WaitAsync(Seconds(30)));
        Assert.Equal(3, await process.ExecAsync("c1", Exec("exit 3", sandbox), CancellationToken.None).WaitAsync(Seconds(30)));
    }

    [Fact]
    public async Task A_process_exec_is_killed_when_cancelled()
    {
        using var process = new ProcessContainerizer(_dir.Sub("meta"));
        var sandbox = _dir.Sub("sandbox");
        Directory.CreateDirectory(sandbox);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => process.ExecAsync("c1", Exec("sleep 60", sandbox), cts.Token).WaitAsync(Seconds(30)));
    }

    [DockerFact]
    public async Task A_docker_exec_runs_inside_the_task_container()
    {
        using var docker = new DockerContainerizer();
        var id = NewId("c");
        var launch = TestSupport.Launch(id, NewId("agent"), _dir.Sub("sandbox-" + id), "touch /tmp/inside; sleep 60", true, DockerFactAttribute.TestImage, null);
        try
        {
            await docker.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(60));
            // The file exists only in the container's filesystem: a host-side command could not see it.
            var env = new Dictionary<string, string> { ["X"] = "y" };
            var code = -1;
            for (var i = 0; i < 50 && code != 0; i++) // the task's touch may not have run yet right after start
                code = await docker.ExecAsync(id, Exec("test -f /tmp/inside && test \"$X\" = y && test \"$MESOS_SANDBOX\" = /mnt/mesos/sandbox", "/unused", env),
                    CancellationToken.None).WaitAsync(Seconds(30));
            Assert.Equal(0, code);
            Assert.Equal(1, await docker.ExecAsync(id, Exec("false", "/unused"), CancellationToken.None).WaitAsync(Seconds(30)));
        }
        finally
        {
            await docker.KillAsync(id, TimeSpan.Zero, CancellationToken.None).WaitAsync(Seconds(30));
            await docker.CleanupAsync(id, CancellationToken.None).WaitAsync(Seconds(30));
        }
    }

    public void Dispose() => _dir.Dispose();
}
