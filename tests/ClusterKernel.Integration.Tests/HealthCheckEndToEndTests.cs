using System.Net;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// An HTTP health check end to end, through the v1 scheduler API and the process containerizer: the task serves its sandbox
/// with busybox httpd on 127.0.0.1; the check asks for /ok. Healthy while the file exists (TASK_RUNNING healthy=true); the test
/// removes it, the checks fail (404) and after consecutive_failures the agent kills the task (TASK_KILLED healthy=false).
/// </summary>
[Collection("cluster")]
public sealed class HealthCheckEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_task_failing_its_http_health_check_is_killed()
    {
        if (!File.Exists("/usr/bin/busybox") && !File.Exists("/bin/busybox")) { output.WriteLine("no busybox: skipped"); return; }
        var agentDir = TestCluster.TempDir("agent");
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, agentDir);
        await TestCluster.AwaitAgents(master, 1);
        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!, new FrameworkInfo { Name = "health", User = "root" });
        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        var port = Ck.FreePort();
        var task = new TaskInfo
        {
            Name = "web", TaskId = new TaskId("web-1"), AgentId = offer.AgentId, Resources = Res.Parse("cpus:0.1;mem:32"),
            Command = new CommandInfo { Value = $"touch ok && exec busybox httpd -f -p 127.0.0.1:{port} -h ." },
            // Failures are ignored until the first success (grace period), then two in a row kill the task.
            HealthCheck = new HealthCheck
            {
                Type = HealthCheckType.HTTP, Http = new HttpCheckInfo { Port = port, Path = "/ok" },
                DelaySeconds = 0, IntervalSeconds = 0.5, TimeoutSeconds = 5, ConsecutiveFailures = 2, GracePeriodSeconds = 120,
            },
        };
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null)));

        TaskStatus s;
        do s = await fw.NextUpdate(task.TaskId); while (!(s.State == TaskState.TASK_RUNNING && s.Healthy == true) && !s.State.IsTerminal());
        Assert.Equal((TaskState.TASK_RUNNING, true), (s.State, s.Healthy));
        Assert.Equal(Reasons.TaskHealthCheckStatusUpdated, s.Reason);

        var ok = Directory.EnumerateFiles(agentDir, "ok", SearchOption.AllDirectories).Single();
        File.Delete(ok);
        do s = await fw.NextUpdate(task.TaskId); while (!s.State.IsTerminal());
        output.WriteLine($"{s.State} healthy={s.Healthy}: {s.Message}");
        Assert.Equal((TaskState.TASK_KILLED, false), (s.State, s.Healthy));
        Assert.Contains("health check", s.Message);
    }
}
