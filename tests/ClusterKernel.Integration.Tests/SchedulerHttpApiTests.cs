using System.Diagnostics;
using ClusterKernel.Api;
using ClusterKernel.Hosting;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Integration.Tests;

/// <summary>/api/v1/scheduler against a real master node and agent node: frameworks speaking Mesos' v1 JSON over HTTP.</summary>
[Collection("cluster")]
public sealed class SchedulerHttpApiTests(ITestOutputHelper output)
{
    /// <summary>HEARTBEATs every second instead of Mesos' 15 s.</summary>
    private const string FastHeartbeat = "clusterkernel.master.framework-heartbeat-interval = 1s";

    private static async Task<(ClusterNode Master, ClusterNode Agent)> StartCluster()
    {
        var master = await TestCluster.StartMaster(TestCluster.TempDir("master"), FastHeartbeat);
        var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        return (master, agent);
    }

    private static FrameworkInfo Info(string name, double failoverTimeout = 0, FrameworkId? id = null) =>
        new() { Name = name, User = "root", FailoverTimeout = failoverTimeout, Id = id };

    private static TaskInfo Task(string id, Offer offer, string command, double cpus = 0.1, double mem = 32) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = offer.AgentId,
        Resources = Res.Parse($"cpus:{cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)};mem:{mem}"),
        Command = new CommandInfo { Value = command },
    };

    private static AcceptOffers Launch(FrameworkId fw, OfferId offer, params TaskInfo[] tasks) =>
        new(fw, new[] { offer }, new OfferOperation[] { new LaunchOperation(tasks) }, new Filters { RefuseSeconds = 0 });

    [Fact]
    public async Task A_framework_subscribes_gets_offers_launches_and_acknowledges_over_HTTP_and_bad_calls_are_refused()
    {
        var (master, agent) = await StartCluster();
        await using var _m = master;
        await using var _a = agent;
        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!, Info("http-fw"));
        Assert.Equal(1, fw.HeartbeatIntervalSeconds);
        Assert.False(string.IsNullOrEmpty(fw.StreamId));

        // OFFERS, ACCEPT a LAUNCH of `echo hi`: UPDATEs STARTING/RUNNING/FINISHED, each acknowledged.
        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        Assert.True(offer.Resources.Scalar("cpus") > 0);
        var echo = Task("echo-1", offer, "echo hi");
        Assert.Equal(202, await fw.Call(Launch(fw.FrameworkId, offer.Id, echo)));
        var states = new List<TaskState>();
        while (states.Count == 0 || !states[^1].IsTerminal()) states.Add((await fw.NextUpdate(echo.TaskId)).State);
        output.WriteLine("echo-1: " + string.Join(",", states));
        Assert.Contains(TaskState.TASK_RUNNING, states);
        Assert.Equal(TaskState.TASK_FINISHED, states[^1]);

        // The same offer again: it is used up -> TASK_LOST with REASON_INVALID_OFFERS.
        var twice = Task("twice", offer, "echo twice");
        Assert.Equal(202, await fw.Call(Launch(fw.FrameworkId, offer.Id, twice)));
        var lost = await fw.NextUpdate(twice.TaskId);
        Assert.Equal((TaskState.TASK_LOST, Reasons.InvalidOffers), (lost.State, lost.Reason));

        // An offer id that never existed.
        var ghost = Task("ghost", offer, "echo ghost");
        Assert.Equal(202, await fw.Call(Launch(fw.FrameworkId, new OfferId("no-such-offer"), ghost)));
        lost = await fw.NextUpdate(ghost.TaskId);
        Assert.Equal((TaskState.TASK_LOST, Reasons.InvalidOffers), (lost.State, lost.Reason));

        // A launch bigger than the offer -> TASK_ERROR.
        var offer2 = (await fw.Next<ResourceOffers>()).Offers.First();
        var big = Task("big", offer2, "echo big", cpus: 1000);
        Assert.Equal(202, await fw.Call(Launch(fw.FrameworkId, offer2.Id, big)));
        var error = await fw.NextUpdate(big.TaskId);
        Assert.Equal((TaskState.TASK_ERROR, Reasons.TaskInvalid), (error.State, error.Reason));

        // KILL of a task nobody knows -> TASK_LOST.
        Assert.Equal(202, await fw.Call(new KillTask(fw.FrameworkId, new TaskId("nobody"), null)));
        Assert.Equal(TaskState.TASK_LOST, (await fw.NextUpdate(new TaskId("nobody"))).State);

        // DECLINE, SUPPRESS, REVIVE are accepted.
        var offer3 = (await fw.Next<ResourceOffers>()).Offers.First();
        Assert.Equal(202, await fw.Call(new DeclineOffers(fw.FrameworkId, new[] { offer3.Id }, new Filters { RefuseSeconds = 0 })));
        Assert.Equal(202, await fw.Call(new SuppressOffers(fw.FrameworkId, null)));
        Assert.Equal(202, await fw.Call(new ReviveOffers(fw.FrameworkId, null)));
        await fw.Next<ResourceOffers>();

        // HEARTBEAT every heartbeat interval.
        await fw.Next<SchedulerHeartbeat>(timeout: TimeSpan.FromSeconds(10));

        // Refused calls.
        var decline = """{"type":"DECLINE","framework_id":{"value":"FW"},"decline":{"offer_ids":[{"value":"x"}]}}""".Replace("FW", fw.FrameworkId.Value);
        Assert.Equal(400, await fw.Send(decline, streamId: null));
        Assert.Equal(400, await fw.Send(decline, streamId: Guid.NewGuid().ToString()));
        Assert.Equal(403, await fw.Send(decline.Replace(fw.FrameworkId.Value, "unknown-framework"), Guid.NewGuid().ToString()));
        Assert.Equal(400, await fw.Send("{\"type\":\"DECLINE\",", fw.StreamId));
        Assert.Equal(400, await fw.Send(decline.Replace("\"decline\"", "\"declined\""), fw.StreamId));
        Assert.Equal(400, await fw.Send(decline.Replace("DECLINE", "DANCE"), fw.StreamId));
        Assert.Equal(400, await fw.Send(decline, fw.StreamId, "application/x-protobuf")); // JSON is not a valid Call protobuf
        Assert.Equal(202, await fw.Send(decline.Replace("DECLINE", "REQUEST"), fw.StreamId));
        Assert.Equal(202, await fw.Send(decline, fw.StreamId));

        // A FrameworkInfo the master refuses: 200 with one ERROR event, then the stream ends (as Mesos does).
        using (var http = new HttpClient { BaseAddress = new Uri(master.HttpUrl!), Timeout = TimeSpan.FromSeconds(30) })
        {
            var bad = """{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"bad","roles":["no spaces"]}}}""";
            using var response = await http.PostAsync(SchedulerApi.Path, new StringContent(bad, System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)response.StatusCode);
            var stream = await response.Content.ReadAsStringAsync();
            Assert.Contains("\"type\":\"ERROR\"", stream);
            Assert.Contains("Invalid roles", stream);
            // SUBSCRIBE must not carry a stream id.
            Assert.Equal(400, await SchedulerHttpClient.Post(http, bad, fw.StreamId));
        }

        // TEARDOWN: the master removes the framework; the stream gets ERROR and ends.
        Assert.Equal(202, await fw.Call(new TeardownFramework(fw.FrameworkId)));
        await fw.Next<FrameworkError>();
        await fw.Closed.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_resubscription_keeps_the_framework_id_and_its_tasks_and_replaces_the_older_stream()
    {
        var (master, agent) = await StartCluster();
        await using var _m = master;
        await using var _a = agent;
        var first = await SchedulerHttpClient.Subscribe(master.HttpUrl!, Info("http-failover", failoverTimeout: 120));
        var id = first.FrameworkId;

        var offer = (await first.Next<ResourceOffers>()).Offers.First();
        var sleeper = Task("sleeper", offer, "sleep 120");
        Assert.Equal(202, await first.Call(Launch(id, offer.Id, sleeper)));
        while ((await first.NextUpdate(sleeper.TaskId)).State != TaskState.TASK_RUNNING) { }

        // Implicit RECONCILE reports the running task.
        Assert.Equal(202, await first.Call(new ReconcileTasks(id, Array.Empty<ReconcileTask>())));
        var reconciled = await first.NextUpdate(sleeper.TaskId);
        Assert.Equal((TaskState.TASK_RUNNING, Reasons.Reconciliation), (reconciled.State, reconciled.Reason));

        // A second SUBSCRIBE with the same id while the first stream is open replaces it: ERROR on the old one, which ends.
        var second = await SchedulerHttpClient.Subscribe(master.HttpUrl!, Info("http-failover", failoverTimeout: 120, id: id));
        Assert.Equal(id, second.FrameworkId);
        Assert.NotEqual(first.StreamId, second.StreamId);
        await first.Next<FrameworkError>();
        await first.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(400, await first.Call(new ReconcileTasks(id, Array.Empty<ReconcileTask>()))); // old stream id
        await first.DisposeAsync();

        // The client goes away; the framework is disconnected, not removed (failover_timeout 120 s). It comes back with its id.
        await second.DisposeAsync();
        await TestCluster.AwaitTrue(async () =>
        {
            var state = await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(5));
            return state.Frameworks.Any(f => f.Id == id && !f.Connected);
        }, "the framework to be disconnected");
        await using var third = await SchedulerHttpClient.Subscribe(master.HttpUrl!, Info("http-failover", failoverTimeout: 120, id: id));
        Assert.Equal(id, third.FrameworkId);
        Assert.Equal(202, await third.Call(new ReconcileTasks(id, new[] { new ReconcileTask(sleeper.TaskId, offer.AgentId) })));
        Assert.Equal(TaskState.TASK_RUNNING, (await third.NextUpdate(sleeper.TaskId)).State);

        // KILL the task: TASK_KILLED.
        Assert.Equal(202, await third.Call(new KillTask(id, sleeper.TaskId, offer.AgentId, 1)));
        TaskState s;
        do s = (await third.NextUpdate(sleeper.TaskId)).State; while (!s.IsTerminal());
        Assert.Equal(TaskState.TASK_KILLED, s);
        Assert.Equal(202, await third.Call(new TeardownFramework(id)));
    }

    [Fact]
    public async Task The_Python_example_framework_runs_its_tasks_to_the_end()
    {
        var (master, agent) = await StartCluster();
        await using var _m = master;
        await using var _a = agent;
        var script = Path.Combine(RepoRoot(), "examples", "python", "framework.py");
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(master.HttpUrl!);
        psi.ArgumentList.Add("3");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw new TimeoutException("framework.py did not finish in 90 s: " + await stdout + await stderr); }
        var text = await stdout + await stderr;
        output.WriteLine(text);
        Assert.True(process.ExitCode == 0, $"framework.py exited {process.ExitCode}: {text}");
        for (var i = 0; i < 3; i++) Assert.Contains($"task-{i} TASK_FINISHED", text);
        Assert.Contains("all 3 tasks finished", text);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ClusterKernel.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ClusterKernel.sln not found above " + AppContext.BaseDirectory);
    }
}
