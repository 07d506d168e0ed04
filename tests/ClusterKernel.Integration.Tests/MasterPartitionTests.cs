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

    [PostgresFact]
    public async Task A_frozen_leader_is_replaced_by_the_majority_and_rejoins_as_a_follower_when_it_resumes()
    {
        var postgres = await PostgresFactAttribute.CreateDatabase();
        await using var cluster = await ProcessCluster.Start(output, "partition", postgres, Timeout);
        var (m1, m2, agentId) = (cluster.M1, cluster.M2, cluster.AgentId);
        var epoch = (string)(await m2.AwaitState(s => (string?)s["id"] == (string?)cluster.FirstState["id"], Timeout, "m2 serving m1's state"))["id"]!;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var taskId = await ProcessTasks.SubmitSleep(http, m2);
        await m2.AwaitState(s => (string?)ProcessTasks.Tasks(s, taskId).FirstOrDefault()?["state"] == "TASK_RUNNING", Timeout, "the task running");

        m1.Freeze();
        string newEpoch;
        try
        {
            var after = await m2.AwaitState(s => (string?)s["id"] != epoch
                    && s["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                    && (string?)ProcessTasks.Tasks(s, taskId).FirstOrDefault()?["state"] == "TASK_RUNNING",
                Timeout, "the majority electing a new master with the agent and the task");
            newEpoch = (string)after["id"]!;
            Assert.Single(ProcessTasks.Tasks(after, taskId));
        }
        finally { m1.Resume(); }

        // The resumed old leader learns it was quarantined, downs itself (stopping its singleton) and starts a new incarnation.
        var deadline = DateTime.UtcNow + Timeout;
        while (!m1.Output.Contains("restarting its ActorSystem") && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Contains("restarting its ActorSystem", m1.Output);
        Assert.Contains("has quarantined this node", m1.Output);

        // Healed: the old leader rejoined and serves the new leader's state; the task ran once, on the same agent, all along.
        var healed = await m1.AwaitState(s => (string?)s["id"] == newEpoch, Timeout, "the old leader following the new master");
        Assert.Single(ProcessTasks.Tasks(healed, taskId));
        Assert.Equal(agentId, (string?)ProcessTasks.Tasks(healed, taskId).Single()["slave_id"]);
        Assert.Equal("TASK_RUNNING", (string?)ProcessTasks.Tasks(healed, taskId).Single()["state"]);
    }
}
