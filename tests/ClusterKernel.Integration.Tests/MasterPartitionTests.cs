using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// A 1/2 split from the leader's view, with real processes: the leading `ck master` is frozen with SIGSTOP. The other two
/// masters (the majority) down it and one of them takes over; when the old leader resumes it finds it was quarantined, downs
/// itself, stops its master singleton and rejoins as a new incarnation.
/// </summary>
[Collection("cluster")]
public sealed class MasterPartitionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static IEnumerable<JsonNode> Tasks(JsonNode state, string id) =>
        state["frameworks"]!.AsArray().SelectMany(f => f!["tasks"]!.AsArray()).Where(t => (string?)t?["id"] == id)!;

    [PostgresFact]
    public async Task A_frozen_leader_is_replaced_by_the_majority_and_rejoins_as_a_follower_when_it_resumes()
    {
        var postgres = await PostgresFactAttribute.CreateDatabase();
        var config = Path.Combine(TestCluster.TempDir("partition-config"), "fast.hocon");
        await File.WriteAllTextAsync(config, TestCluster.FastHocon);
        var ports = Enumerable.Range(0, 3).Select(_ => Ck.FreePort()).ToArray();
        var seeds = ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }).ToArray();
        string[] MasterArgs() => seeds.Concat(new[] { "--postgres", postgres, "--config", config }).ToArray();

        await using var m1 = NodeProcess.Start(output, "master", ports[0], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("p1"), MasterArgs());
        var first = await m1.AwaitState(s => s["id"] is not null, Timeout, "a master");
        await using var m2 = NodeProcess.Start(output, "master", ports[1], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("p2"), MasterArgs());
        await using var m3 = NodeProcess.Start(output, "master", ports[2], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("p3"), MasterArgs());
        await using var agent = NodeProcess.Start(output, "agent", Ck.FreePort(), null, TestCluster.TempDir("p-agent"),
            seeds.Concat(new[] { "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31100]", "--config", config }).ToArray());
        var agentId = await m2.AwaitAgent(Timeout);
        var epoch = (string)(await m2.AwaitState(s => (string?)s["id"] == (string?)first["id"], Timeout, "m2 serving m1's state"))["id"]!;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var submit = await http.PostAsJsonAsync(m2.HttpUrl + "/api/ck/v1/commands",
            new { name = "survivor", command = "sleep 300", arguments = Array.Empty<string>(), shell = true, cpus = 0.1, mem_mb = 32, disk_mb = 0 });
        Assert.True(submit.IsSuccessStatusCode, await submit.Content.ReadAsStringAsync());
        var taskId = (string)JsonNode.Parse(await submit.Content.ReadAsStringAsync())!["task_id"]!;
        await m2.AwaitState(s => (string?)Tasks(s, taskId).FirstOrDefault()?["state"] == "TASK_RUNNING", Timeout, "the task running");

        m1.Freeze();
        string newEpoch;
        try
        {
            var after = await m2.AwaitState(s => (string?)s["id"] != epoch
                    && s["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                    && (string?)Tasks(s, taskId).FirstOrDefault()?["state"] == "TASK_RUNNING",
                Timeout, "the majority electing a new master with the agent and the task");
            newEpoch = (string)after["id"]!;
            Assert.Single(Tasks(after, taskId));
        }
        finally { m1.Resume(); }

        // The resumed old leader learns it was quarantined, downs itself (stopping its singleton) and starts a new incarnation.
        var deadline = DateTime.UtcNow + Timeout;
        while (!m1.Output.Contains("restarting its ActorSystem") && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Contains("restarting its ActorSystem", m1.Output);
        Assert.Contains("has quarantined this node", m1.Output);

        // Healed: the old leader rejoined and serves the new leader's state; the task ran once, on the same agent, all along.
        var healed = await m1.AwaitState(s => (string?)s["id"] == newEpoch, Timeout, "the old leader following the new master");
        Assert.Single(Tasks(healed, taskId));
        Assert.Equal(agentId, (string?)Tasks(healed, taskId).Single()["slave_id"]);
        Assert.Equal("TASK_RUNNING", (string?)Tasks(healed, taskId).Single()["state"]);
    }
}
