using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// A real 2/1 network partition: three `ck master` processes, each in its own network namespace on a bridge (10.213.0.0/24,
/// built by the test; nothing outside those namespaces), the agent beside the second master, the registry in the test's own
/// PostgreSQL reached through its unix socket. The leader's link is cut: it is alone (the minority) and downs itself, the two
/// others elect a new leader that keeps the task running once; when the link comes back the cut master rejoins as a new
/// incarnation and follows the new leader.
/// </summary>
[Collection("cluster")]
public sealed class NetworkPartitionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private const int ClusterPort = 2551, AgentPort = 2552, HttpPort = 5050;

    [NetnsFact]
    public async Task A_master_cut_off_the_network_downs_itself_the_majority_keeps_the_task_and_the_cluster_heals()
    {
        Assert.True(PrivatePostgres.Available, $"needs {PrivatePostgres.BinDir} and root (runuser -u postgres)");
        await using var pg = await PrivatePostgres.Start();
        await using var net = await NetworkNamespaces.Create(3);
        var config = Path.Combine(TestCluster.TempDir("netns-config"), "fast.hocon");
        await File.WriteAllTextAsync(config, TestCluster.FastHocon);
        var seeds = Enumerable.Range(1, 3).SelectMany(i => new[] { "--seed", $"{net.Address(i)}:{ClusterPort}" }).ToArray();
        NodeProcess Master(int i) => NodeProcess.StartIn(net.Host(i), output, "master", ClusterPort, $"{net.Address(i)}:{HttpPort}",
            TestCluster.TempDir($"netns-m{i}"), seeds.Concat(new[] { "--host", net.Address(i), "--postgres", pg.SocketConnectionString, "--config", config }).ToArray());

        var nodes = new List<NodeProcess>();
        var agentDir = TestCluster.TempDir("netns-agent");
        try
        {
            var m1 = Master(1);
            nodes.Add(m1);
            var first = await m1.AwaitState(s => s["id"] is not null, Timeout, "the first master");
            var epoch = (string)first["id"]!;
            var m2 = Master(2);
            var m3 = Master(3);
            nodes.Add(m2);
            nodes.Add(m3);
            var agent = NodeProcess.StartIn(net.Host(2), output, "agent", AgentPort, null, agentDir,
                seeds.Concat(new[] { "--host", net.Address(2), "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31100]", "--config", config }).ToArray());
            nodes.Add(agent);
            var agentId = await m2.AwaitAgent(Timeout);
            await m3.AwaitState(s => (string?)s["id"] == epoch, Timeout, "m3 following m1");

            var (status, body) = await NetworkNamespaces.PostJson(net.Host(2), m2.HttpUrl + "/api/ck/v1/commands",
                """{"name":"survivor","command":"sleep 300","arguments":[],"shell":true,"cpus":0.1,"mem_mb":32,"disk_mb":0}""");
            Assert.True(status == 201, body);
            var taskId = (string)JsonNode.Parse(body)!["task_id"]!;
            await m2.AwaitState(s => (string?)ProcessTasks.Task(s, taskId)?["state"] == "TASK_RUNNING", Timeout, "the task running");

            // The leader (first seed) alone on one side, m2 + m3 + the agent on the other.
            await net.Cut(1);
            var cut = System.Diagnostics.Stopwatch.StartNew();
            var after = await m2.AwaitState(s => (string?)s["id"] != epoch
                    && s["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                    && (string?)ProcessTasks.Task(s, taskId)?["state"] == "TASK_RUNNING",
                Timeout, "the majority electing a new master with the agent and the task");
            var newEpoch = (string)after["id"]!;
            output.WriteLine($"link cut → new leader serving the agent and the task: {cut.Elapsed.TotalSeconds:F1} s (loaded machine)");
            Assert.Single(ProcessTasks.Tasks(after, taskId));
            await m3.AwaitState(s => (string?)s["id"] == newEpoch, Timeout, "m3 following the new leader");

            // The minority downed itself (its own resolver: one of three masters) and waits, as a new incarnation, to rejoin.
            var deadline = DateTime.UtcNow + Timeout;
            while (!m1.Output.Contains("restarting its ActorSystem") && DateTime.UtcNow < deadline) await Task.Delay(200);
            Assert.Contains("restarting its ActorSystem", m1.Output);
            Assert.False(m1.HasExited);

            await net.Restore(1);
            output.WriteLine($"the cut master downed itself; link restored {cut.Elapsed.TotalSeconds:F1} s after the cut");
            // Healed: all three masters serve one master's state (the new leader's, or a later one's if leadership moved again
            // while the cut master rejoined), with the task running once on the agent. Two epochs at once would be two masters.
            var masters = new[] { m1, m2, m3 };
            JsonNode?[] states = [];
            var healDeadline = DateTime.UtcNow + Timeout;
            bool Healed() => states.All(st => st?["id"] is not null) && states.Select(st => (string?)st!["id"]).Distinct().Count() == 1
                && ProcessTasks.Tasks(states[0]!, taskId).Count() == 1 && (string?)ProcessTasks.Task(states[0]!, taskId)?["state"] == "TASK_RUNNING";
            do
            {
                if (states.Length > 0) await Task.Delay(200);
                states = await Task.WhenAll(masters.Select(async m =>
                {
                    try { return await NetworkNamespaces.Get(m.Netns!, m.HttpUrl + "/state") is { } t ? JsonNode.Parse(t) : null; }
                    catch (System.Text.Json.JsonException) { return null; }
                }));
            } while (!Healed() && DateTime.UtcNow < healDeadline);
            Assert.True(Healed(), "masters did not converge on one master's state: epochs " + string.Join(", ", states.Select(st => (string?)st?["id"] ?? "-")) + "\n" + m1.Output);
            var healedEpoch = (string)states[0]!["id"]!;
            output.WriteLine($"healed {cut.Elapsed.TotalSeconds:F1} s after the cut: all masters serve epoch {healedEpoch} ({(healedEpoch == newEpoch ? "the new leader's" : "leadership moved again after the heal")})");
            var task = Assert.Single(ProcessTasks.Tasks(states[0]!, taskId));
            Assert.Equal("TASK_RUNNING", (string?)task["state"]);
            Assert.Equal(agentId, (string?)task["slave_id"]);
            var final = await m2.AwaitState(s => s["slaves"]!.AsArray().Count(a => (bool?)a?["active"] == true) == 1, Timeout, "one active agent");
            Assert.Single(ProcessTasks.Tasks(final, taskId));
        }
        finally
        {
            KillTaskProcesses(agentDir); // before the agent's disposal deletes its work dir with the pid files
            foreach (var n in Enumerable.Reverse(nodes)) await n.DisposeAsync();
        }
    }

    /// <summary>Task processes run in their own sessions and outlive the agent; they would keep its namespace alive.</summary>
    private static void KillTaskProcesses(string agentDir)
    {
        if (!Directory.Exists(agentDir)) return;
        foreach (var pidFile in Directory.EnumerateFiles(agentDir, "pid", SearchOption.AllDirectories))
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
                try { System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (Exception) { /* gone */ }
    }
}
