using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using ClusterKernel.Api;
using ClusterKernel.Hosting;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Integration.Tests;

/// <summary>LAUNCH_GROUP, MESSAGE, FAILURE, UPDATE_FRAMEWORK and inverse offers over /api/v1/scheduler, with real process tasks.</summary>
[Collection("cluster")]
public sealed class SchedulerHttpGroupTests(ITestOutputHelper output)
{
    private static TaskInfo Task(string id, Offer offer, string command) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = offer.AgentId, Resources = Res.Parse("cpus:0.1;mem:32"), Command = new CommandInfo { Value = command },
    };

    private static async Task<List<TaskState>> StatesToEnd(SchedulerHttpClient fw, TaskId task)
    {
        var states = new List<TaskState>();
        while (states.Count == 0 || !states[^1].IsTerminal()) states.Add((await fw.NextUpdate(task)).State);
        return states;
    }

    [Fact]
    public async Task A_task_group_starts_together_and_dies_together_and_the_framework_hears_of_its_executor()
    {
        var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var _m = master;
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!, new FrameworkInfo { Name = "group-fw", User = "root" });

        // Two real processes in one group: one fails after a while, the other would run for a minute.
        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        var executor = new ExecutorInfo { ExecutorId = new ExecutorId("group-1"), Resources = Res.Parse("cpus:0.1;mem:32") };
        var failing = Task("failing", offer, "sleep 3; exit 3");
        var sleeper = Task("sleeper", offer, "sleep 60");
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer.Id },
            new OfferOperation[] { new LaunchGroupOperation(executor, new[] { failing, sleeper }) }, new Filters { RefuseSeconds = 0 })));

        // Both RUNNING (each its own updates, carrying the group's executor id) before either ends.
        foreach (var t in new[] { failing, sleeper })
        {
            TaskStatus s;
            do s = await fw.NextUpdate(t.TaskId); while (s.State != TaskState.TASK_RUNNING);
            Assert.Equal(executor.ExecutorId, s.ExecutorId);
        }

        // MESSAGE to the executor: the agent records it in the sandbox (no custom executor reads it).
        Assert.Equal(202, await fw.Call(new FrameworkToExecutorMessage(fw.FrameworkId, offer.AgentId, executor.ExecutorId, Encoding.UTF8.GetBytes("hello executor"))));
        await TestCluster.AwaitTrue(async () =>
        {
            foreach (var t in new[] { failing, sleeper })
            {
                var data = await master.MasterProxy.Ask<SandboxFileData>(new ReadSandboxFile(fw.FrameworkId, t.TaskId, "executor_messages.log", 0, -1), TimeSpan.FromSeconds(10));
                if (data.Error is null && data.Data.Contains("hello executor")) return true;
            }
            return false;
        }, "the MESSAGE recorded in the executor's sandbox");

        // One fails: the other is killed, and the executor's end comes as FAILURE.
        Assert.Equal(TaskState.TASK_FAILED, (await StatesToEnd(fw, failing.TaskId))[^1]);
        Assert.Equal(TaskState.TASK_KILLED, (await StatesToEnd(fw, sleeper.TaskId))[^1]);
        var failure = await fw.Next<FrameworkFailure>();
        Assert.Equal((offer.AgentId, (ExecutorId?)executor.ExecutorId, (int?)1), (failure.AgentId, failure.ExecutorId, failure.Status));

        // A group bigger than the offer is refused whole.
        var offer2 = (await fw.Next<ResourceOffers>()).Offers.First();
        var big = new ExecutorInfo { ExecutorId = new ExecutorId("group-2"), Resources = Res.Parse("cpus:1000") };
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer2.Id },
            new OfferOperation[] { new LaunchGroupOperation(big, new[] { Task("g2-a", offer2, "true"), Task("g2-b", offer2, "true") }) }, null)));
        foreach (var id in new[] { "g2-a", "g2-b" })
            Assert.Equal((TaskState.TASK_ERROR, Reasons.TaskGroupInvalid), (await fw.NextUpdate(new TaskId(id))) is var s ? (s.State, s.Reason) : default);
    }

    [Fact]
    public async Task UPDATE_FRAMEWORK_is_answered_synchronously_and_scheduled_maintenance_brings_inverse_offers()
    {
        var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var _m = master;
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        var info = new FrameworkInfo { Name = "update-fw", User = "root", Capabilities = new[] { FrameworkCapabilities.MultiRole } };
        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!, info);

        // UPDATE_FRAMEWORK: 200 once applied; a framework_info.id that is not the caller's: 400; a changed user: 400.
        var updated = info with { Id = fw.FrameworkId, Name = "update-fw-2", Roles = new[] { "*", "analytics" }, FailoverTimeout = 30 };
        Assert.Equal(200, await fw.Call(new UpdateFramework(fw.FrameworkId, updated)));
        var mismatch = SchedulerJson.WriteCall(new SchedulerCall("UPDATE_FRAMEWORK", fw.FrameworkId,
            new UpdateFramework(fw.FrameworkId, updated with { Id = new FrameworkId("someone-else") })));
        Assert.Equal(400, await fw.Send(mismatch.ToJsonString(), fw.StreamId));
        Assert.Equal(400, await fw.Call(new UpdateFramework(fw.FrameworkId, updated with { User = "nobody" })));
        var state = await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(10));
        var view = state.Frameworks.Single(f => f.Id == fw.FrameworkId);
        Assert.Equal(("update-fw-2", 30.0), (view.Name, view.FailoverTimeout));
        Assert.Equal(new[] { "*", "analytics" }, view.Roles);

        // A task on the agent, then its machine is scheduled for maintenance in an hour: INVERSE_OFFERS with the unavailability.
        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        var sleeper = Task("sleeper", offer, "sleep 60");
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { sleeper }) }, null)));
        TaskStatus running;
        do running = await fw.NextUpdate(sleeper.TaskId); while (running.State != TaskState.TASK_RUNNING);

        using var http = new HttpClient { BaseAddress = new Uri(master.HttpUrl!) };
        var start = (long)((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 + 3600) * 1e9);
        var schedule = new JsonObject
        {
            ["type"] = "UPDATE_MAINTENANCE_SCHEDULE",
            ["update_maintenance_schedule"] = new JsonObject { ["schedule"] = new JsonObject { ["windows"] = new JsonArray(new JsonObject
            {
                ["machine_ids"] = new JsonArray(new JsonObject { ["hostname"] = offer.Hostname }),
                ["unavailability"] = new JsonObject { ["start"] = new JsonObject { ["nanoseconds"] = start }, ["duration"] = new JsonObject { ["nanoseconds"] = 3_600_000_000_000L } },
            }) } },
        };
        using (var r = await http.PostAsync("/api/v1", new StringContent(schedule.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        var inverse = (await fw.Next<InverseOffers>()).Offers.Single();
        Assert.Equal((offer.AgentId, fw.FrameworkId, 3600.0), (inverse.AgentId, inverse.FrameworkId, inverse.DurationSeconds!.Value));
        Assert.InRange(inverse.StartSeconds, start / 1e9 - 1, start / 1e9 + 1);

        Assert.Equal(202, await fw.Call(new RespondInverseOffers(fw.FrameworkId, new[] { inverse.Id }, Accept: true, null)));
        await TestCluster.AwaitTrue(async () =>
        {
            using var r = await http.PostAsync("/api/v1", new StringContent("""{"type":"GET_MAINTENANCE_STATUS"}""", Encoding.UTF8, "application/json"));
            var body = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            output.WriteLine(body.ToJsonString());
            var statuses = body["get_maintenance_status"]?["status"]?["draining_machines"]?[0]?["statuses"]?.AsArray();
            return statuses?.Any(s => (string?)s?["status"] == "ACCEPT" && (string?)s?["framework_id"]?["value"] == fw.FrameworkId.Value) == true;
        }, "ACCEPT in GET_MAINTENANCE_STATUS");

        Assert.Equal(202, await fw.Call(new KillTask(fw.FrameworkId, sleeper.TaskId, offer.AgentId)));
        Assert.Equal(TaskState.TASK_KILLED, (await StatesToEnd(fw, sleeper.TaskId))[^1]);
    }
}
