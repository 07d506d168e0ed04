using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// The multi-master process tests' cluster: three `ck master` processes on one seed list and one PostgreSQL registry, plus one
/// `ck agent`. The first seed starts the cluster and is the oldest master-role node, so it runs the master singleton.
/// Disposed in reverse start order (agent, m3, m2, m1).
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public required NodeProcess M1 { get; init; }
    public required NodeProcess M2 { get; init; }
    public required NodeProcess M3 { get; init; }
    public required NodeProcess Agent { get; init; }
    /// <summary>The first master's /state once it served one (its epoch is the first leader's).</summary>
    public required JsonNode FirstState { get; init; }
    public required string AgentId { get; init; }

    /// <param name="name">Prefix of the processes' temp dirs.</param>
    /// <param name="extraHocon">Layered over <see cref="TestCluster.FastHocon"/> for every node (e.g. INFO logs).</param>
    public static async Task<ProcessCluster> Start(ITestOutputHelper output, string name, string postgres, TimeSpan timeout, string? extraHocon = null)
    {
        var config = Path.Combine(TestCluster.TempDir(name + "-config"), "fast.hocon");
        await File.WriteAllTextAsync(config, TestCluster.FastHocon + "\n" + extraHocon);
        var ports = Enumerable.Range(0, 3).Select(_ => Ck.FreePort()).ToArray();
        var seeds = ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }).ToArray();
        string[] MasterArgs() => seeds.Concat(new[] { "--postgres", postgres, "--config", config }).ToArray();
        NodeProcess Master(int i) => NodeProcess.Start(output, "master", ports[i], $"127.0.0.1:{Ck.FreePort()}", TestCluster.TempDir($"{name}-m{i + 1}"), MasterArgs());

        var m1 = Master(0);
        var first = await m1.AwaitState(s => s["id"] is not null, timeout, "a master");
        var m2 = Master(1);
        var m3 = Master(2);
        var agent = NodeProcess.Start(output, "agent", Ck.FreePort(), null, TestCluster.TempDir(name + "-agent"),
            seeds.Concat(new[] { "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31100]", "--config", config }).ToArray());
        var agentId = await m2.AwaitAgent(timeout);
        return new ProcessCluster { M1 = m1, M2 = m2, M3 = m3, Agent = agent, FirstState = first, AgentId = agentId };
    }

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        await M3.DisposeAsync();
        await M2.DisposeAsync();
        await M1.DisposeAsync();
    }
}

/// <summary>Tasks in a master's /state, and a long-running task submitted through the ck command API.</summary>
public static class ProcessTasks
{
    public static IEnumerable<JsonNode> Tasks(JsonNode state, string id) =>
        state["frameworks"]!.AsArray().SelectMany(f => f!["tasks"]!.AsArray()).Where(t => (string?)t?["id"] == id)!;

    public static JsonNode? Task(JsonNode state, string id) => Tasks(state, id).FirstOrDefault();

    /// <summary>Submits `sleep 300` to <paramref name="master"/>; returns its task id.</summary>
    public static async Task<string> SubmitSleep(HttpClient http, NodeProcess master)
    {
        var submit = await http.PostAsJsonAsync(master.HttpUrl + "/api/ck/v1/commands",
            new { name = "survivor", command = "sleep 300", arguments = Array.Empty<string>(), shell = true, cpus = 0.1, mem_mb = 32, disk_mb = 0 });
        Assert.True(submit.IsSuccessStatusCode, await submit.Content.ReadAsStringAsync());
        return (string)JsonNode.Parse(await submit.Content.ReadAsStringAsync())!["task_id"]!;
    }
}
