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

    [PostgresFact]
    public async Task Killing_the_leading_master_moves_the_master_to_another_and_the_running_task_survives()
    {
        var postgres = await PostgresFactAttribute.CreateDatabase();
        // INFO: a failed run's kept logs show the re-registrations, subscriptions, reconciliations and kills in order.
        await using var cluster = await ProcessCluster.Start(output, "failover", postgres, Timeout, "akka.loglevel = INFO");
        await cluster.KeepLogsOnFailure(async () =>
        {
            var (m1, m2, m3, agentId) = (cluster.M1, cluster.M2, cluster.M3, cluster.AgentId);
            var before = await m2.AwaitState(s => s["id"] is not null, Timeout, "state");
            var epoch = (string)before["id"]!;

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var taskId = await ProcessTasks.SubmitSleep(http, m2);
            await m2.AwaitState(s => (string?)ProcessTasks.Task(s, taskId)?["state"] == "TASK_RUNNING", Timeout, "the task running");

            var sw = Stopwatch.StartNew();
            m1.KillHard();
            var after = await m2.AwaitState(s => (string?)s["id"] != epoch
                    && s["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                    && (string?)ProcessTasks.Task(s, taskId)?["state"] == "TASK_RUNNING",
                Timeout, "a new master with the agent re-registered and the task still running");
            output.WriteLine($"leader killed → new master with agent and task back: {sw.Elapsed.TotalSeconds:F1} s");

            // Exactly one copy of the task, still on the same agent.
            Assert.Single(after["frameworks"]!.AsArray().SelectMany(f => f!["tasks"]!.AsArray()), t => (string?)t?["id"] == taskId);
            Assert.Equal(agentId, (string?)ProcessTasks.Task(after, taskId)!["slave_id"]);

            // The task can still be killed through the surviving master.
            var kill = await http.PostAsync($"{m2.HttpUrl}/api/ck/v1/commands/{taskId}/kill", null);
            Assert.True(kill.IsSuccessStatusCode, await kill.Content.ReadAsStringAsync());
            try
            {
                await m3.AwaitState(s => s["frameworks"]!.AsArray().SelectMany(f => f!["completed_tasks"]!.AsArray())
                    .Any(t => (string?)t?["id"] == taskId && (string?)t?["state"] == "TASK_KILLED"), Timeout, "the task killed");
            }
            catch (Xunit.Sdk.XunitException)
            {
                // What the command framework believes (e.g. a TASK_LOST from a reconciliation makes it drop the kill).
                output.WriteLine("command on m2: " + await http.GetStringAsync($"{m2.HttpUrl}/api/ck/v1/commands/{taskId}"));
                throw;
            }
        });
    }
}
