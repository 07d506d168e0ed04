using Akka.Actor;
using Akka.Cluster;
using ClusterKernel.Framework;
using ClusterKernel.Hosting;
using ClusterKernel.Protocol;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>Starts real nodes (separate ActorSystems on 127.0.0.1, port 0) with short intervals, and helpers to drive them.</summary>
public static class TestCluster
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    static TestCluster()
    {
        ThreadPool.GetMinThreads(out var w, out var io);
        ThreadPool.SetMinThreads(Math.Max(w, 32), Math.Max(io, 32));
    }

    /// <summary>Short intervals so that tests do not wait on production defaults.</summary>
    public const string FastHocon = """
        clusterkernel.master.allocation-interval = 200ms
        clusterkernel.master.state-snapshot-max-age = 0s
        clusterkernel.agent.heartbeat-interval = 1s
        clusterkernel.agent.registration-retry-interval = 500ms
        clusterkernel.agent.status-update-retry-min = 1s
        clusterkernel.agent.status-update-retry-max = 4s
        akka.loglevel = WARNING
        """;

    public static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), "ck-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>A master node; with <paramref name="join"/> it joins that node's cluster instead of starting a new one.</summary>
    public static Task<ClusterNode> StartMaster(string dataDir, string? extraHocon = null, ClusterNode? join = null, string? postgres = null) =>
        ClusterNode.StartAsync(new NodeOptions
        {
            Master = true, Port = 0, DataDir = dataDir, HttpUrl = "http://127.0.0.1:0", ExtraHocon = FastHocon + "\n" + extraHocon,
            PostgresConnection = postgres,
            Seeds = join is null ? Array.Empty<string>() : new[] { $"{join.Address.Host}:{join.Address.Port}" },
        });

    public static Task<ClusterNode> StartAgent(ClusterNode seed, string workDir, string resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]") =>
        ClusterNode.StartAsync(new NodeOptions
        {
            Agent = true, Port = 0, DataDir = workDir, AgentWorkDir = workDir, AgentResources = resources,
            Seeds = new[] { $"{seed.Address.Host}:{seed.Address.Port}" }, ExtraHocon = FastHocon,
        });

    /// <summary>Waits until the master's state lists <paramref name="count"/> connected agents.</summary>
    public static async Task<ClusterState> AwaitAgents(ClusterNode master, int count)
    {
        ClusterState? state = null;
        await AwaitTrue(async () =>
        {
            state = await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(5));
            return state.Agents.Count(a => a.Active) >= count;
        }, $"{count} agent(s) registered");
        return state!;
    }

    public static async Task<CommandView> RunToEnd(ClusterNode master, CommandRequest request)
    {
        var accepted = await master.CommandFramework!.Ask<object>(new RunCommand(request), TimeSpan.FromSeconds(10));
        var id = Assert.IsType<CommandAccepted>(accepted).TaskId;
        CommandView? view = null;
        await AwaitTrue(async () =>
        {
            view = await master.CommandFramework!.Ask<CommandView>(new GetCommand(id), TimeSpan.FromSeconds(5));
            return view.State is { } s && s.IsTerminal();
        }, $"task {id} to end");
        return view!;
    }

    public static async Task<string> ReadSandbox(ClusterNode master, CommandView view, string file)
    {
        var data = await master.MasterProxy.Ask<SandboxFileData>(
            new ReadSandboxFile(view.FrameworkId!.Value, view.TaskId, file, 0, -1), TimeSpan.FromSeconds(10));
        Assert.Null(data.Error);
        return data.Data;
    }

    /// <summary>Polls a condition until it holds or the timeout passes (no fixed sleeps: the interval only paces the polling).</summary>
    public static async Task AwaitTrue(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try { if (await condition()) return; }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or TimeoutException) { last = e; }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Timed out waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})") + (describe is null ? "" : $"; last seen: {describe()}"));
    }
}
