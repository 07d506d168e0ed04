using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// The registry's PostgreSQL server (the test's own) is stopped under a running `ck master` + `ck agent` with a running task,
/// then started again. The outage lasts CK_TEST_DB_OUTAGE_SECONDS (default 10 s; the behaviour is the same for 30 s — the
/// master is down from the first registry write until the database answers, with retries at most 10 s apart).
/// </summary>
[Collection("cluster")]
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private static double? Weight(JsonNode weights, string role) =>
        weights.AsArray().FirstOrDefault(w => (string?)w?["role"] == role)?["weight"]?.GetValue<double>();

    [PostgresFact]
    public async Task A_database_outage_leaves_the_task_running_refuses_registry_changes_clearly_and_the_master_recovers()
    {
        Assert.True(PrivatePostgres.Available, $"needs {PrivatePostgres.BinDir} and root (runuser -u postgres)");
        var outage = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("CK_TEST_DB_OUTAGE_SECONDS"), out var s) ? s : 10);
        await using var pg = await PrivatePostgres.Start();
        var config = Path.Combine(TestCluster.TempDir("outage-config"), "fast.hocon");
        await File.WriteAllTextAsync(config, TestCluster.FastHocon);
        var port = Ck.FreePort();
        await using var master = NodeProcess.Start(output, "master", port, $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir("outage-m"),
            "--postgres", pg.ConnectionString, "--config", config);
        await using var agent = NodeProcess.Start(output, "agent", Ck.FreePort(), null, TestCluster.TempDir("outage-agent"),
            "--master", $"127.0.0.1:{port}", "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31100]", "--config", config);
        var agentId = await master.AwaitAgent(Timeout);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        // Acknowledged before the outage: a weight (registry) and a running task (on the agent).
        var put = await http.PutAsync(master.HttpUrl + "/weights", JsonContent.Create(new[] { new { role = "before", weight = 2.0 } }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var taskId = await ProcessTasks.SubmitSleep(http, master);
        var before = await master.AwaitState(st => (string?)ProcessTasks.Task(st, taskId)?["state"] == "TASK_RUNNING", Timeout, "the task running");
        var epoch = (string)before["id"]!;

        await pg.StopServer();
        var down = DateTime.UtcNow;
        // A registry change during the outage answers (no hang) with a clear error: 503 and a JSON message.
        var during = await http.PutAsync(master.HttpUrl + "/weights", JsonContent.Create(new[] { new { role = "during", weight = 3.0 } }));
        output.WriteLine($"registry change during the outage answered {(int)during.StatusCode} after {(DateTime.UtcNow - down).TotalSeconds:F1} s");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        var message = (string?)JsonNode.Parse(await during.Content.ReadAsStringAsync())?["message"];
        output.WriteLine($"its message: {message}");
        // Names the cause (the registry's database), not "master not reachable".
        Assert.StartsWith("the registry (PostgreSQL) is unavailable", message);
        Assert.False(agent.HasExited);
        Assert.False(master.HasExited);
        var left = outage - (DateTime.UtcNow - down);
        if (left > TimeSpan.Zero) await System.Threading.Tasks.Task.Delay(left); // the outage itself, not a synchronisation
        await pg.StartServer();
        var up = System.Diagnostics.Stopwatch.StartNew();

        // The same master process recovers: a new master incarnation (epoch), the agent re-registered, the task still running.
        var after = await master.AwaitState(st => (string?)st["id"] != epoch
                && st["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                && (string?)ProcessTasks.Task(st, taskId)?["state"] == "TASK_RUNNING",
            Timeout, "the master back with the agent and the task");
        output.WriteLine($"outage {(DateTime.UtcNow - down - up.Elapsed).TotalSeconds:F0} s; database started → master back with agent and task: {up.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(agentId, (string?)ProcessTasks.Task(after, taskId)!["slave_id"]);
        Assert.False(master.HasExited);

        // Nothing acknowledged was lost; the refused change was not half-applied; changes work again.
        var weights = JsonNode.Parse(await http.GetStringAsync(master.HttpUrl + "/weights"))!;
        Assert.Equal(2.0, Weight(weights, "before"));
        Assert.Null(Weight(weights, "during"));
        var again = await http.PutAsync(master.HttpUrl + "/weights", JsonContent.Create(new[] { new { role = "after", weight = 4.0 } }));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }
}
