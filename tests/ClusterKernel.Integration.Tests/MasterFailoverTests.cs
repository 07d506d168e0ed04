using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>Three `ck master` processes sharing a PostgreSQL registry, one `ck agent`; the leader is killed with SIGKILL.</summary>
[Collection("cluster")]
public sealed class MasterFailoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static JsonNode? Task(JsonNode state, string id) =>
        state["frameworks"]?.AsArray().SelectMany(f => f!["tasks"]!.AsArray()).FirstOrDefault(t => (string?)t?["id"] == id);

    [PostgresFact]
    public async Task Killing_the_leading_master_moves_the_master_to_another_and_the_running_task_survives()
    {
        var postgres = await PostgresFactAttribute.CreateDatabase();
        var config = Path.Combine(TestCluster.TempDir("failover-config"), "fast.hocon");
        await File.WriteAllTextAsync(config, TestCluster.FastHocon);
        var ports = Enumerable.Range(0, 3).Select(_ => Ck.FreePort()).ToArray();
        var seeds = ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }).ToArray();
        string[] MasterArgs() => seeds.Concat(new[] { "--postgres", postgres, "--config", config }).ToArray();

        // The first seed starts the cluster and is the oldest master-role node, so it runs the master singleton.
        await using var m1 = NodeProcess.Start(output, "master", ports[0], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("m1"), MasterArgs());
        await m1.AwaitState(s => s["id"] is not null, Timeout, "a master");
        await using var m2 = NodeProcess.Start(output, "master", ports[1], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("m2"), MasterArgs());
        await using var m3 = NodeProcess.Start(output, "master", ports[2], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("m3"), MasterArgs());
        var work = TestCluster.TempDir("agent");
        await using var agent = NodeProcess.Start(output, "agent", Ck.FreePort(), null, work,
            seeds.Concat(new[] { "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31100]", "--config", config }).ToArray());
        var agentId = await m2.AwaitAgent(Timeout);
        var before = await m2.AwaitState(s => s["id"] is not null, Timeout, "state");
        var epoch = (string)before["id"]!;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var submit = await http.PostAsJsonAsync(m2.HttpUrl + "/api/ck/v1/commands",
            new { name = "survivor", command = "sleep 300", arguments = Array.Empty<string>(), shell = true, cpus = 0.1, mem_mb = 32, disk_mb = 0 });
        Assert.True(submit.IsSuccessStatusCode, await submit.Content.ReadAsStringAsync());
        var taskId = (string)JsonNode.Parse(await submit.Content.ReadAsStringAsync())!["task_id"]!;
        await m2.AwaitState(s => (string?)Task(s, taskId)?["state"] == "TASK_RUNNING", Timeout, "the task running");

        var sw = Stopwatch.StartNew();
        m1.KillHard();
        var after = await m2.AwaitState(s => (string?)s["id"] != epoch
                && s["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                && (string?)Task(s, taskId)?["state"] == "TASK_RUNNING",
            Timeout, "a new master with the agent re-registered and the task still running");
        output.WriteLine($"leader killed → new master with agent and task back: {sw.Elapsed.TotalSeconds:F1} s");

        // Exactly one copy of the task, still on the same agent.
        Assert.Single(after["frameworks"]!.AsArray().SelectMany(f => f!["tasks"]!.AsArray()), t => (string?)t?["id"] == taskId);
        Assert.Equal(agentId, (string?)Task(after, taskId)!["slave_id"]);

        // The task can still be killed through the surviving master.
        var kill = await http.PostAsync($"{m2.HttpUrl}/api/ck/v1/commands/{taskId}/kill", null);
        Assert.True(kill.IsSuccessStatusCode, await kill.Content.ReadAsStringAsync());
        await m3.AwaitState(s => s["frameworks"]!.AsArray().SelectMany(f => f!["completed_tasks"]!.AsArray())
            .Any(t => (string?)t?["id"] == taskId && (string?)t?["state"] == "TASK_KILLED"), Timeout, "the task killed");
    }
}
