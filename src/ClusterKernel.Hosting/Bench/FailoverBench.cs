using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using ClusterKernel.Hosting.Chaos;
using ClusterKernel.Protocol;
using Npgsql;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>What <c>ck bench failover</c> runs.</summary>
public sealed record FailoverBenchOptions
{
    public int Agents { get; init; } = 500;
    public int Tasks { get; init; } = 5000;
    public int Masters { get; init; } = 3;
    /// <summary>Npgsql connection string of a server; the run creates (and drops) its own database there.</summary>
    public required string Postgres { get; init; }
    public string Shape { get; init; } = "cpus:0.1;mem:32";
    public string Command { get; init; } = "sleep 86400";
    public string AgentResources { get; init; } = "cpus:8;mem:32768;disk:100000;ports:[31000-32000]";
    /// <summary>Builds the start info of a <c>ck</c> child from its arguments.</summary>
    public required Func<string[], ProcessStartInfo> StartInfo { get; init; }
    public string? DataDir { get; init; }
    /// <summary>Give up on a phase (registration, launch, recovery after the kill) after this long.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Extra HOCON for the masters (e.g. log level); the agents' process gets <see cref="AgentHocon"/>.</summary>
    public string? MasterHocon { get; init; }
    public string? AgentHocon { get; init; }
    public Action<string> Log { get; init; } = _ => { };
}

public sealed record FailoverBenchResult(bool Ok, string Table);

/// <summary>
/// <c>ck bench failover</c>: leader failover at scale on real processes. Starts M <c>ck master</c> processes (127.0.0.1, PostgreSQL
/// registry in a fresh database), one <c>ck agents --simulate N</c> process, and joins the cluster itself with a
/// <see cref="FailoverBenchFramework"/> that launches T long tasks spread over the agents. Once all are RUNNING it SIGKILLs the
/// leader and measures, from the master's metrics (asked through the singleton proxy every 100 ms) and the framework: kill → the
/// new master's singleton started (its <c>master/uptime_secs</c>), → its registry recovered (first answer), → every agent
/// re-registered with every task RUNNING (<c>master/slaves_connected</c>, <c>master/tasks_running</c>), → the framework's first
/// offer after it re-subscribed; then tasks lost and duplicated from the new master's state and the framework's updates.
/// </summary>
public static class FailoverBench
{
    private const string BaseMasterHocon = """
        akka.loglevel = WARNING
        akka.remote.dot-netty.tcp.maximum-frame-size = 32MiB
        akka.remote.dot-netty.tcp.send-buffer-size = 64MiB
        akka.remote.dot-netty.tcp.receive-buffer-size = 64MiB
        """;

    public static async Task<FailoverBenchResult> RunAsync(FailoverBenchOptions o, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        void Log(string s) => o.Log($"[{DateTime.UtcNow:HH:mm:ss.f}] {s}");
        var root = o.DataDir ?? Path.Combine(Path.GetTempPath(), "ck-failover-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(root);
        var database = await ChaosRun.CreateDatabase(o.Postgres, ct);
        var dbName = new NpgsqlConnectionStringBuilder(database).Database!;
        Log($"data and logs under {root}; registry database {dbName}; load {Load()}");
        var masterConfig = Path.Combine(root, "master.hocon");
        await File.WriteAllTextAsync(masterConfig, BaseMasterHocon + "\n" + (o.MasterHocon ?? ""), ct);
        var ports = Enumerable.Range(0, o.Masters).Select(_ => ChaosRun.FreePort()).ToArray();
        var seeds = ports.Select(p => $"127.0.0.1:{p}").ToArray();
        var seedArgs = seeds.SelectMany(s => new[] { "--seed", s }).ToArray();
        var masters = new List<ChaosNode>();
        for (var i = 0; i < o.Masters; i++)
        {
            var dir = Path.Combine(root, $"master-{i + 1}");
            var http = $"127.0.0.1:{ChaosRun.FreePort()}";
            masters.Add(new ChaosNode($"master-{i + 1}", o.StartInfo,
                new[] { "master", "--port", ports[i].ToString(), "--http", http, "--data-dir", dir, "--postgres", database, "--config", masterConfig }.Concat(seedArgs).ToArray(),
                dir, "http://" + http));
        }
        var agentArgs = new List<string> { "agents", "--simulate", o.Agents.ToString(), "--resources", o.AgentResources, "--master", seeds[0], "--data-dir", Path.Combine(root, "agents") };
        if (o.AgentHocon is not null)
        {
            var agentConfig = Path.Combine(root, "agents.hocon");
            await File.WriteAllTextAsync(agentConfig, o.AgentHocon, ct);
            agentArgs.AddRange(new[] { "--config", agentConfig });
        }
        var agentsNode = new ChaosNode("agents", o.StartInfo, agentArgs.ToArray(), Path.Combine(root, "agents"), null);
        ClusterNode? bench = null;
        var sb = new StringBuilder();
        var ok = false;
        try
        {
            // The first seed forms the cluster and leads; the others join it.
            masters[0].Start();
            bench = await ClusterNode.StartAsync(new NodeOptions
            {
                Port = 0, Seeds = seeds, DataDir = Path.Combine(root, "bench"), HttpUrl = null, ExtraHocon = ScaleBench.BenchHocon,
            }, ct);
            await bench.WhenUp(TimeSpan.FromSeconds(90));
            var proxy = bench.MasterProxy;
            await Until(async () => await Metrics(proxy, 2) is not null, TimeSpan.FromSeconds(90), "the first master to lead", ct);
            foreach (var m in masters.Skip(1)) m.Start();
            var cluster = Cluster.Get(bench.System);
            await Until(() => Task.FromResult(cluster.State.Members.Count(m => m.HasRole("master") && m.Status == MemberStatus.Up) == o.Masters),
                TimeSpan.FromSeconds(90), $"{o.Masters} masters up", ct);
            Log($"{o.Masters} masters up; starting {o.Agents} simulated agents");
            var reg = Stopwatch.StartNew();
            agentsNode.Start();
            await Until(async () => (await Metrics(proxy, 10))?.GetValueOrDefault("master/slaves_connected") >= o.Agents, o.Timeout, $"{o.Agents} agents registered", ct);
            Log($"{o.Agents} agents registered in {reg.Elapsed.TotalSeconds:F1} s; launching {o.Tasks} tasks");
            var launch = Stopwatch.StartNew();
            var perOffer = (int)Math.Ceiling(o.Tasks / (double)o.Agents);
            var framework = bench.System.ActorOf(FailoverBenchFramework.Props(proxy, "failover-bench", o.Tasks, perOffer, Res.Parse(o.Shape), o.Command), "failover-bench");
            FailoverStats stats = null!;
            var lastLog = Stopwatch.StartNew();
            await Until(async () =>
            {
                stats = await framework.Ask<FailoverStats>(GetFailoverStats.Instance, TimeSpan.FromSeconds(30));
                if (lastLog.Elapsed > TimeSpan.FromSeconds(5)) { Log($"launched {stats.Launched}, running {stats.Running}"); lastLog.Restart(); }
                return stats.Running >= o.Tasks;
            }, o.Timeout, $"{o.Tasks} tasks running", ct);
            Log($"{o.Tasks} tasks RUNNING in {launch.Elapsed.TotalSeconds:F1} s");
            // Let status acknowledgements settle, so the agents hold no unacknowledged updates when the leader dies.
            await Task.Delay(TimeSpan.FromSeconds(3), ct);

            var leaderInfo = await proxy.Ask<LeaderInfo>(GetLeaderInfo.Instance, TimeSpan.FromSeconds(10));
            var leader = masters.Single(m => leaderInfo.NodeAddress.EndsWith(":" + ports[masters.IndexOf(m)], StringComparison.Ordinal));
            var survivors = masters.Where(m => m != leader).ToList();
            var cpuBefore = Cpu(survivors.Append(agentsNode));
            var benchCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var loadBefore = Load();
            Log($"SIGKILL leader {leader.Name} (pid {leader.Pid}); load {loadBefore}");
            var kill = Stopwatch.GetTimestamp();
            var killUtc = DateTimeOffset.UtcNow;
            leader.Signal(9);

            double? singletonStart = null, recovered = null, firstAgents = null, allAgents = null, allTasks = null, offers = null, resubscribed = null;
            double S(long ts) => (ts - kill) / (double)Stopwatch.Frequency;
            var deadline = Stopwatch.GetTimestamp() + (long)(o.Timeout.TotalSeconds * Stopwatch.Frequency);
            var agentCurve = new List<(double T, double Agents, double Tasks)>();
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var m = await Metrics(proxy, 1);
                var now = S(Stopwatch.GetTimestamp());
                if (m is not null && m.GetValueOrDefault("master/uptime_secs") < now + 1)
                {
                    recovered ??= now;
                    // uptime counts from the master actor's construction, i.e. the singleton's start on the new leader.
                    singletonStart ??= (DateTimeOffset.UtcNow - killUtc).TotalSeconds - m["master/uptime_secs"];
                    var agents = m.GetValueOrDefault("master/slaves_connected");
                    var running = m.GetValueOrDefault("master/tasks_running");
                    agentCurve.Add((now, agents, running));
                    if (agents > 0) firstAgents ??= now;
                    if (agents >= o.Agents) allAgents ??= now;
                    if (agents >= o.Agents && running >= o.Tasks) allTasks ??= now;
                }
                stats = await framework.Ask<FailoverStats>(GetFailoverStats.Instance, TimeSpan.FromSeconds(10));
                if (stats.Resubscriptions > 0 && stats.LastResubscribedAt > kill) resubscribed ??= S(stats.LastResubscribedAt);
                if (stats.FirstOfferAfterResubscribe > kill) offers ??= S(stats.FirstOfferAfterResubscribe);
                if (allTasks is not null && offers is not null) break;
                await Task.Delay(100, ct);
            }
            var cpuAfter = Cpu(survivors.Append(agentsNode));
            var benchCpu = (Process.GetCurrentProcess().TotalProcessorTime - benchCpuBefore).TotalSeconds;
            var loadAfter = Load();
            Log($"measured (s after SIGKILL): singleton started {singletonStart:F2}, all agents {allAgents:F2}, all tasks RUNNING {allTasks:F2}, " +
                $"first offer {offers:F2}; checking the new master's state (load {loadAfter})");

            // Lost and duplicated tasks: the new master's view (built from the agents' re-registrations) and the framework's updates.
            // At 100,000 tasks the whole ClusterState may not cross remoting in time: then the master's task count stands in for it.
            int entries, distinct, runningCount;
            var source = "state";
            try
            {
                var state = await proxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(60));
                var ours = state.Tasks.Where(t => t.Name.StartsWith("failover-bench-", StringComparison.Ordinal)).ToList();
                entries = ours.Count;
                distinct = ours.Select(t => t.Id.Value).Distinct().Count();
                runningCount = ours.Where(t => t.State == TaskState.TASK_RUNNING).Select(t => t.Id.Value).Distinct().Count();
            }
            catch (Exception e) when (e is TimeoutException or AskTimeoutException)
            {
                Log("the new master's full state did not arrive within 60 s; counting from its metrics instead");
                var m = await Metrics(proxy, 3);
                entries = distinct = runningCount = (int)(m?.GetValueOrDefault("master/tasks_running") ?? 0);
                source = "metrics (master/tasks_running; duplicates from the framework's updates only)";
            }
            var lost = o.Tasks - runningCount;
            var duplicates = entries - distinct;
            stats = await framework.Ask<FailoverStats>(GetFailoverStats.Instance, TimeSpan.FromSeconds(10));
            var newLeader = await proxy.Ask<LeaderInfo>(GetLeaderInfo.Instance, TimeSpan.FromSeconds(10));

            string F(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) + " s" : "not reached";
            string Since(double? v) => v is { } x && singletonStart is { } s0 ? (x - s0).ToString("F2", CultureInfo.InvariantCulture) + " s" : "n/a";
            sb.AppendLine($"ck bench failover: {o.Masters} ck master processes (PostgreSQL registry), {o.Agents} simulated agents ({o.AgentResources}) in one ck agents process, {o.Tasks} tasks of {o.Shape} `{o.Command}`");
            sb.AppendLine($"  leader killed: {leader.Name}; new leader {newLeader.NodeAddress}; load before kill {loadBefore}, after {loadAfter}");
            var rows = new List<(string, string, string)>
            {
                ("new master's singleton started", F(singletonStart), "0 (reference)"),
                ("new master answers (registry recovered)", F(recovered), Since(recovered)),
                ("framework re-subscribed", F(resubscribed), Since(resubscribed)),
                ("first agent re-registered (seen)", F(firstAgents), Since(firstAgents)),
                ("all agents re-registered", F(allAgents), Since(allAgents)),
                ("all agents + all tasks RUNNING at the master", F(allTasks), Since(allTasks)),
                ("first offer to the framework", F(offers), Since(offers)),
            };
            sb.AppendLine($"  {"event",-46}  {"after SIGKILL",13}  after singleton start");
            foreach (var (k, a, b) in rows) sb.AppendLine($"  {k,-46}  {a,13}  {b}");
            var target = allTasks is { } at && offers is { } of && singletonStart is { } ss ? Math.Max(at, of) - ss : (double?)null;
            sb.AppendLine($"  => all re-registered and offers flowing, after the new leader started: {(target is { } t ? t.ToString("F2", CultureInfo.InvariantCulture) + " s" : "not reached")} (target <= 3 s; Mesos 1.5 about 4.5 s)");
            sb.AppendLine($"  tasks at the new master ({source}): {entries} entries, {distinct} distinct, {runningCount} RUNNING => lost {lost}, duplicated {duplicates}");
            sb.AppendLine($"  framework: resubscriptions {stats.Resubscriptions}, RUNNING from a second agent {stats.RunningOnTwoAgents}, terminal after RUNNING {stats.TerminalAfterRunning}" +
                          (stats.NonRunningUpdates.Count == 0 ? "" : "; other updates: " + string.Join(", ", stats.NonRunningUpdates.Select(kv => $"{kv.Key} x{kv.Value}"))));
            // Wait-bound or CPU-bound: how often agents were asked to re-register and how many re-registrations were retries.
            if (await Metrics(proxy, 10) is { } end)
                sb.AppendLine($"  new master: re-registrations taken {end.GetValueOrDefault("master/slave_reregistrations"):F0}, retried ones answered again {end.GetValueOrDefault("master/ck/slave_reregistrations_repeated"):F0}, " +
                              $"ReregistrationRequired sent {end.GetValueOrDefault("master/ck/reregistration_required_sent"):F0}, allocation runs {end.GetValueOrDefault("allocator/mesos/allocation_runs"):F0}");
            var wall = S(Stopwatch.GetTimestamp());
            sb.AppendLine($"  CPU from kill to the end of measuring ({wall:F1} s wall): " + string.Join(", ", cpuAfter.Select(kv => $"{kv.Key} {(kv.Value - cpuBefore.GetValueOrDefault(kv.Key)).TotalSeconds:F2} s")) + $", bench (framework + poller) {benchCpu:F2} s");
            sb.AppendLine("  re-registration curve (s after kill: agents / tasks RUNNING): " + string.Join(" ", Thin(agentCurve).Select(p => $"{p.T:F1}:{p.Agents:F0}/{p.Tasks:F0}")));
            ok = allTasks is not null && offers is not null && lost == 0 && duplicates == 0 && stats.RunningOnTwoAgents == 0 && stats.TerminalAfterRunning == 0;
        }
        finally
        {
            if (bench is not null) await bench.DisposeAsync();
            await Task.WhenAll(masters.Append(agentsNode).Select(n => n.StopAsync(TimeSpan.FromSeconds(20))));
            await DropDatabase(o.Postgres, dbName);
            Log($"stopped every process; logs under {root}");
        }
        return new FailoverBenchResult(ok, sb.ToString());
    }

    private static IEnumerable<(double T, double Agents, double Tasks)> Thin(List<(double T, double Agents, double Tasks)> curve)
    {
        // One point per distinct agent count change, at most ~25 points.
        var changes = curve.Where((p, i) => i == 0 || p.Agents != curve[i - 1].Agents || p.Tasks != curve[i - 1].Tasks).ToList();
        var step = Math.Max(1, changes.Count / 25);
        return changes.Where((_, i) => i % step == 0 || i == changes.Count - 1);
    }

    private static async Task<IReadOnlyDictionary<string, double>?> Metrics(IActorRef proxy, double timeoutSeconds)
    {
        try { return (await proxy.Ask<MetricsSnapshot>(GetMetrics.Instance, TimeSpan.FromSeconds(timeoutSeconds))).Values; }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { return null; }
    }

    private static Dictionary<string, TimeSpan> Cpu(IEnumerable<ChaosNode> nodes)
    {
        var d = new Dictionary<string, TimeSpan>();
        foreach (var n in nodes)
            if (n.Pid is { } pid)
                try { d[n.Name] = Process.GetProcessById(pid).TotalProcessorTime; } catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        return d;
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Trim();

    private static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { if (await condition()) return; }
            catch (Exception) when (DateTime.UtcNow < deadline && !ct.IsCancellationRequested) { }
            catch (Exception) when (ct.IsCancellationRequested) { throw new OperationCanceledException(ct); }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"bench failover: no {what} within {timeout.TotalSeconds:F0} s");
            await Task.Delay(200, ct);
        }
    }

    private static async Task DropDatabase(string connection, string name)
    {
        try
        {
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connection) { Database = "postgres" }.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException) { /* best effort: a leftover database is harmless */ }
    }
}
