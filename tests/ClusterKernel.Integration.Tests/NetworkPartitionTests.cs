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
        // INFO: the offer rounds ("Sending N offers") and the resolver's decisions are read from the logs.
        await File.WriteAllTextAsync(config, TestCluster.FastHocon + "\nakka.loglevel = INFO\n");
        var seeds = Enumerable.Range(1, 3).SelectMany(i => new[] { "--seed", $"{net.Address(i)}:{ClusterPort}" }).ToArray();
        NodeProcess Master(int i) => NodeProcess.StartIn(net.Host(i), output, "master", ClusterPort, $"{net.Address(i)}:{HttpPort}",
            TestCluster.TempDir($"netns-m{i}"), seeds.Concat(new[] { "--host", net.Address(i), "--postgres", pg.SocketConnectionString, "--config", config }).ToArray());

        var nodes = new List<NodeProcess>();
        var agentDir = TestCluster.TempDir("netns-agent");
        LeaderWatch? watch = null;
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

            // A command that never fits (more memory than the agent has) keeps each node's command framework asking: the leader
            // offers to both frameworks every ~1 s, so a second master offering at the same time would show in the logs.
            foreach (var (m, host) in new[] { (m1, 1), (m2, 2) })
            {
                var (st, b) = await NetworkNamespaces.PostJson(net.Host(host), m.HttpUrl + "/api/ck/v1/commands",
                    """{"name":"hungry","command":"true","arguments":[],"shell":true,"cpus":0.1,"mem_mb":4096,"disk_mb":0}""");
                Assert.True(st == 201, b);
            }
            var named = new[] { ("m1", m1), ("m2", m2), ("m3", m3) };
            watch = LeaderWatch.Start(named, TimeSpan.FromMilliseconds(500));
            var offersBefore = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (LeaderWatch.OfferRounds(named).Count(r => r.Epoch == epoch) < 2 && DateTime.UtcNow < offersBefore) await Task.Delay(200);
            Assert.True(LeaderWatch.OfferRounds(named).Count(r => r.Epoch == epoch) >= 2, "the leader made no offer rounds to the hungry commands");

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
            bool Healed() => states.All(st => st?["id"] is not null && st["leader"] is not null)
                && states.Select(st => (string?)st!["id"]).Distinct().Count() == 1 && states.Select(st => (string?)st!["leader"]).Distinct().Count() == 1
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
            Assert.True(Healed(), "masters did not converge on one master's state: epochs " + string.Join(", ", states.Select(st => $"{(string?)st?["id"] ?? "-"} (leader {(string?)st?["leader"] ?? "-"})")));
            var healedEpoch = (string)states[0]!["id"]!;
            output.WriteLine($"healed {cut.Elapsed.TotalSeconds:F1} s after the cut: all masters serve epoch {healedEpoch} and name leader {(string?)states[0]!["leader"]} ({(healedEpoch == newEpoch ? "the new leader's" : "leadership moved again after the heal")})");
            var leaderHost = ((string)states[0]!["leader"]!)["master@".Length..];
            Assert.Contains(masters, m => m.HttpUrl == "http://" + leaderHost);
            // Some offer rounds of the leader after the heal, then: no two epochs at once, neither in /state nor in offers.
            var healedAt = DateTime.UtcNow;
            var offersAfter = DateTime.UtcNow + Timeout;
            while (!LeaderWatch.OfferRounds(named).Any(r => r.Epoch == healedEpoch && r.At > healedAt) && DateTime.UtcNow < offersAfter) await Task.Delay(500);
            await watch.DisposeAsync();
            var rounds = LeaderWatch.OfferRounds(named);
            output.WriteLine("/state epochs per master:\n" + watch.Timeline());
            output.WriteLine("offer rounds per epoch:\n" + LeaderWatch.OfferSpans(rounds));
            Assert.True(rounds.Any(r => r.Epoch == healedEpoch && r.At > healedAt), "the healed leader made no offer round");
            Assert.Empty(watch.TwoEpochsAtOnce());
            Assert.Empty(LeaderWatch.OverlappingOffers(rounds));
            var task = Assert.Single(ProcessTasks.Tasks(states[0]!, taskId));
            Assert.Equal("TASK_RUNNING", (string?)task["state"]);
            Assert.Equal(agentId, (string?)task["slave_id"]);
            var final = await m2.AwaitState(s => s["slaves"]!.AsArray().Count(a => (bool?)a?["active"] == true) == 1, Timeout, "one active agent");
            Assert.Single(ProcessTasks.Tasks(final, taskId));
        }
        finally
        {
            if (watch is not null) await watch.DisposeAsync();
            // The nodes' logs, for a failed run: the resolver's decisions, "Received gossip where this member has been downed", ...
            await NodeLogs.Keep(output, "netns", nodes.Select((n, i) => (i < 3 ? $"m{i + 1}" : "agent", n)));
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
