using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace ClusterKernel.Hosting.Chaos;

public sealed record ChaosOptions
{
    public required double Minutes { get; init; }
    public int Agents { get; init; } = 3;
    public required int Seed { get; init; }
    /// <summary>Npgsql connection string of a server; the run creates its own database there.</summary>
    public required string Postgres { get; init; }
    /// <summary>Seconds without faults (and without new launches) before the invariants are checked.</summary>
    public double SettleSeconds { get; init; } = 30;
    /// <summary>Builds the start info of a <c>ck</c> child from its arguments.</summary>
    public required Func<string[], ProcessStartInfo> StartInfo { get; init; }
    public string? DataDir { get; init; }
    public Action<string> Log { get; init; } = _ => { };
}

public sealed record ChaosResult(int Violations, string Summary);

/// <summary>
/// <c>ck chaos</c>: three <c>ck master</c> processes on a fresh PostgreSQL database, K <c>ck agent</c> processes (process
/// containerizer: tasks are real <c>sleep</c> processes, so an agent restart recovers them), a <see cref="ChaosFramework"/>
/// launching and killing tasks, and seeded random faults: SIGKILL of the leader (started again on the same ports), SIGKILL of an
/// agent (started again on the same work dir), SIGSTOP of a master for a few seconds. After a settle period the invariants of
/// <see cref="ChaosChecks"/> are checked against the framework's record, the leader's /state and the agents' own container
/// metadata (WORK_DIR/meta/process: pid + start time, checked in /proc).
/// </summary>
public sealed class ChaosRun
{
    private const string MasterHocon = """
        clusterkernel.master.allocation-interval = 200ms
        clusterkernel.master.state-snapshot-max-age = 0s
        akka.loglevel = INFO
        """;
    private const string AgentHocon = """
        clusterkernel.agent.heartbeat-interval = 1s
        clusterkernel.agent.registration-retry-interval = 500ms
        clusterkernel.agent.status-update-retry-min = 1s
        clusterkernel.agent.status-update-retry-max = 4s
        clusterkernel.agent.containerizers = "process"
        akka.loglevel = WARNING
        """;

    private readonly ChaosOptions _o;
    private readonly Random _random;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(3) };
    private readonly List<ChaosNode> _masters = new(), _agents = new();
    private readonly HashSet<string> _admittedAgents = new();
    private readonly Dictionary<string, int> _faults = new() { ["leader SIGKILL"] = 0, ["agent SIGKILL + restart"] = 0, ["master SIGSTOP/SIGCONT"] = 0 };
    private readonly List<double> _offersAgain = new(), _agentBack = new(), _frozenBack = new();
    private readonly List<string> _notes = new();
    private int _leaderChanges;
    private string? _lastLeader;

    public ChaosRun(ChaosOptions options)
    {
        _o = options;
        _random = new Random(options.Seed);
    }

    private void Log(string s) => _o.Log($"[{DateTime.UtcNow:HH:mm:ss}] {s}");

    public async Task<ChaosResult> RunAsync(CancellationToken ct)
    {
        var root = _o.DataDir ?? Path.Combine(Path.GetTempPath(), $"ck-chaos-{_o.Seed}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(root);
        var database = await CreateDatabase(_o.Postgres, ct);
        Log($"seed {_o.Seed}; data and logs under {root}; registry database {new NpgsqlConnectionStringBuilder(database).Database}");
        var masterConfig = Path.Combine(root, "master.hocon");
        var agentConfig = Path.Combine(root, "agent.hocon");
        await File.WriteAllTextAsync(masterConfig, MasterHocon, ct);
        await File.WriteAllTextAsync(agentConfig, AgentHocon, ct);
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
        var seeds = ports.SelectMany(p => new[] { "--seed", $"127.0.0.1:{p}" }).ToArray();
        for (var i = 0; i < 3; i++)
        {
            var http = $"127.0.0.1:{FreePort()}";
            var dir = Path.Combine(root, $"master-{i + 1}");
            _masters.Add(new ChaosNode($"master-{i + 1}", _o.StartInfo,
                new[] { "master", "--port", ports[i].ToString(), "--http", http, "--data-dir", dir, "--postgres", database, "--config", masterConfig }.Concat(seeds).ToArray(),
                dir, "http://" + http));
        }
        for (var i = 0; i < _o.Agents; i++)
        {
            var dir = Path.Combine(root, $"agent-{i + 1}");
            _agents.Add(new ChaosNode($"agent-{i + 1}", _o.StartInfo,
                new[] { "agent", "--port", FreePort().ToString(), "--data-dir", dir, "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31100]", "--config", agentConfig }.Concat(seeds).ToArray(),
                dir, null));
        }
        var framework = new ChaosFramework(() => _masters.Where(m => !m.Frozen).Select(m => m.HttpUrl!).ToList(), _o.Seed, Log);
        try
        {
            // The first seed forms the cluster and leads; the others join it.
            _masters[0].Start();
            await Until(async () => await Leader() is not null, TimeSpan.FromSeconds(90), "the first master to lead", ct);
            _masters[1].Start();
            _masters[2].Start();
            foreach (var a in _agents) a.Start();
            await Until(Healthy, TimeSpan.FromSeconds(120), "3 masters agreeing on a leader and every agent registered", ct);
            framework.Start();
            await Until(() => Task.FromResult(framework.FrameworkId is not null && framework.Count(s => s == TaskState.TASK_RUNNING) > 0),
                TimeSpan.FromSeconds(90), "the framework's first running task", ct);
            Log($"cluster up: leader {_lastLeader}, {_agents.Count} agents, framework {framework.FrameworkId!.Value.Value}");

            var end = DateTime.UtcNow + TimeSpan.FromMinutes(_o.Minutes);
            var nextFault = DateTime.UtcNow + TimeSpan.FromSeconds(_random.Next(5, 15));
            while (DateTime.UtcNow < end)
            {
                if (_random.NextDouble() < 0.25) framework.KillOne();
                if (DateTime.UtcNow >= nextFault)
                {
                    await InjectFault(framework, ct);
                    nextFault = DateTime.UtcNow + TimeSpan.FromSeconds(_random.Next(8, 25));
                }
                await Task.Delay(1000, ct);
            }

            Log($"faults over; settling for {_o.SettleSeconds:F0} s (no faults, no new launches)");
            framework.Target = 0;
            await Until(Healthy, TimeSpan.FromSeconds(120), "a healthy cluster before settling", ct);
            await Task.Delay(TimeSpan.FromSeconds(_o.SettleSeconds / 2), ct);
            framework.Reconcile();
            await Task.Delay(TimeSpan.FromSeconds(_o.SettleSeconds / 2), ct);
            return await Check(framework, ct);
        }
        finally
        {
            await framework.TeardownAsync();
            await framework.DisposeAsync();
            await Task.WhenAll(_masters.Concat(_agents).Select(n => n.StopAsync(TimeSpan.FromSeconds(20))));
            var leftovers = KillLeftoverTasks();
            if (leftovers > 0) Log($"killed {leftovers} task process(es) left after the teardown");
            Log($"stopped every process; logs under {root}");
        }
    }

    private async Task InjectFault(ChaosFramework framework, CancellationToken ct)
    {
        // Leader kills are the fault that matters most: 40 %, agent kills and master freezes 30 % each.
        var roll = _random.Next(10);
        var kind = roll < 4 ? 0 : roll < 7 ? 1 : 2;
        var leaderUrl = await Leader();
        var leader = _masters.FirstOrDefault(m => m.HttpUrl == leaderUrl);
        if (kind == 0 && leader is not null)
        {
            _faults["leader SIGKILL"]++;
            var sw = Stopwatch.StartNew();
            var t0 = Stopwatch.GetTimestamp();
            Log($"fault: SIGKILL leader {leader.Name} (pid {leader.Pid})");
            await leader.KillHardAsync();
            // A fresh process on the same ports (a new incarnation), once the others had time to see the old one gone.
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            leader.Start();
            if (await Until(() => Task.FromResult(framework.LastOffersAt > t0 && framework.LeaderUrl is not null && framework.LeaderUrl != leaderUrl),
                    TimeSpan.FromSeconds(120), "offers from a new leader", ct, fatal: false))
            {
                _offersAgain.Add(sw.Elapsed.TotalSeconds);
                Log($"offers flowing again {sw.Elapsed.TotalSeconds:F1} s after the leader kill (from {framework.LeaderUrl})");
            }
            else _notes.Add($"no offers within 120 s after killing {leader.Name}");
        }
        else if (kind == 1)
        {
            var agent = _agents[_random.Next(_agents.Count)];
            _faults["agent SIGKILL + restart"]++;
            Log($"fault: SIGKILL {agent.Name} (pid {agent.Pid}), restart on the same work dir");
            var sw = Stopwatch.StartNew();
            await agent.KillHardAsync();
            await Task.Delay(TimeSpan.FromSeconds(_random.Next(1, 5)), ct);
            agent.Start();
            if (await Until(Healthy, TimeSpan.FromSeconds(120), "the agent re-registered", ct, fatal: false)) _agentBack.Add(sw.Elapsed.TotalSeconds);
        }
        else
        {
            var victim = _masters[_random.Next(3)];
            var seconds = _random.Next(2, 7);
            _faults["master SIGSTOP/SIGCONT"]++;
            Log($"fault: SIGSTOP {victim.Name}{(victim.HttpUrl == leaderUrl ? " (leader)" : "")} for {seconds} s");
            var sw = Stopwatch.StartNew();
            victim.Signal(19);
            await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
            victim.Signal(18);
            if (await Until(Healthy, TimeSpan.FromSeconds(120), "a healthy cluster after SIGCONT", ct, fatal: false)) _frozenBack.Add(sw.Elapsed.TotalSeconds);
        }
        if (!await Until(Healthy, TimeSpan.FromSeconds(120), "a healthy cluster", ct, fatal: false))
            _notes.Add("cluster not healthy within 120 s after a fault");
    }

    /// <summary>The leader's HTTP URL as the first reachable master says (/master/redirect), or null.</summary>
    private async Task<string?> Leader()
    {
        foreach (var m in _masters.Where(m => !m.Frozen && m.Pid is not null))
            if (await LeaderSeenBy(m) is { } l) return l;
        return null;
    }

    private async Task<string?> LeaderSeenBy(ChaosNode m)
    {
        try
        {
            using var r = await _http.GetAsync(m.HttpUrl + "/master/redirect");
            if ((int)r.StatusCode != 307 || r.Headers.Location is null) return null;
            return "http://" + r.Headers.Location.OriginalString.TrimStart('/').Split('/')[0];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
    }

    private async Task<JsonNode?> LeaderState()
    {
        if (await Leader() is not { } leader) return null;
        try { return JsonNode.Parse(await _http.GetStringAsync(leader + "/state")); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return null; }
    }

    /// <summary>Every master agrees on one leader, and the leader lists every agent active.</summary>
    private async Task<bool> Healthy()
    {
        var seen = new HashSet<string?>();
        foreach (var m in _masters) seen.Add(await LeaderSeenBy(m));
        if (seen.Count != 1 || seen.Single() is not { } leader) return false;
        if (leader != _lastLeader) { if (_lastLeader is not null) _leaderChanges++; _lastLeader = leader; }
        JsonNode? state;
        try { state = JsonNode.Parse(await _http.GetStringAsync(leader + "/state")); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException) { return false; }
        var active = state?["slaves"]?.AsArray().Where(a => (bool?)a?["active"] == true).Select(a => (string)a!["id"]!).ToList() ?? new();
        foreach (var a in active) _admittedAgents.Add(a);
        return active.Count >= _agents.Count;
    }

    private async Task<ChaosResult> Check(ChaosFramework framework, CancellationToken ct)
    {
        var truth = ContainerTruth();
        // Updates for tasks that ended just before the snapshot may still be on their way.
        await Task.Delay(TimeSpan.FromSeconds(10), ct);
        var records = framework.Records();
        var state = await LeaderState();
        var leaderAgents = state?["slaves"]?.AsArray().Select(a => (string)a!["id"]!).ToHashSet() ?? new HashSet<string>();
        var leaderFrameworks = state?["frameworks"]?.AsArray().Select(f => (string)f!["id"]!).ToHashSet() ?? new HashSet<string>();
        var leaderRunning = state?["frameworks"]?.AsArray().SelectMany(f => f!["tasks"]!.AsArray())
            .Where(t => (string?)t?["state"] == "TASK_RUNNING").Select(t => (string)t!["id"]!).ToHashSet() ?? new HashSet<string>();
        var violations = ChaosChecks.Violations(records, truth, _admittedAgents, leaderAgents, framework.FrameworkId?.Value, leaderFrameworks);
        if (state is null) violations.Add("no leader answered /state at the end");

        var told = records.Count(r => r.Seen.Count > 0 && r.Seen[^1] == TaskState.TASK_RUNNING);
        var live = truth.Count(kv => kv.Value > 0);
        var leaderMismatch = leaderRunning.Except(truth.Where(kv => kv.Value > 0).Select(kv => kv.Key)).Count();
        string Last(TaskState s) => records.Count(r => r.Seen.Count > 0 && r.Seen[^1] == s).ToString();
        var sb = new StringBuilder();
        sb.AppendLine($"ck chaos: seed {_o.Seed}, {_o.Minutes} min of faults, {_o.Agents} agents, settle {_o.SettleSeconds:F0} s");
        sb.AppendLine($"  faults: {string.Join(", ", _faults.Select(kv => $"{kv.Key} {kv.Value}"))}");
        sb.AppendLine($"  leader changes seen: {_leaderChanges}; framework subscriptions: {framework.Subscriptions}");
        sb.AppendLine($"  leader SIGKILL -> offers again (s): {Figures(_offersAgain)}");
        sb.AppendLine($"  agent SIGKILL -> every agent active at the leader again (s): {Figures(_agentBack)}");
        sb.AppendLine($"  master SIGSTOP -> healthy again after SIGCONT (s, incl. the freeze): {Figures(_frozenBack)}");
        sb.AppendLine($"  tasks: launched {records.Count}, kills sent {framework.Killed}; last told: RUNNING {told}, FINISHED {Last(TaskState.TASK_FINISHED)}, " +
                      $"KILLED {Last(TaskState.TASK_KILLED)}, FAILED {Last(TaskState.TASK_FAILED)}, LOST {Last(TaskState.TASK_LOST)}, " +
                      $"DROPPED {Last(TaskState.TASK_DROPPED)}, nothing {records.Count(r => r.Seen.Count == 0)}");
        sb.AppendLine($"  containers alive at the end (agents' metadata + /proc): {live}; leader /state RUNNING: {leaderRunning.Count} ({leaderMismatch} without a live container)");
        sb.AppendLine($"  admitted agents {_admittedAgents.Count}, known to the leader at the end {leaderAgents.Count}");
        foreach (var (reason, count) in framework.Reasons().OrderByDescending(kv => kv.Value).Take(10)) sb.AppendLine($"  update {reason}: {count}");
        var lastOf = records.ToDictionary(r => r.TaskId, r => r.Seen.Count == 0 ? "nothing" : r.Seen[^1].ToString());
        // Against a fresh look: a task that ended between the first look and the records is not an orphan.
        var orphans = ContainerTruth().Where(kv => kv.Value > 0 && lastOf.GetValueOrDefault(kv.Key) != "TASK_RUNNING").ToList();
        sb.AppendLine($"  live containers of tasks not last told RUNNING: {orphans.Count}" +
                      (orphans.Count == 0 ? "" : $" ({string.Join(", ", orphans.Take(10).Select(o => $"{o.Key}: {lastOf.GetValueOrDefault(o.Key, "unknown task")}"))})"));
        foreach (var n in _notes) sb.AppendLine($"  note: {n}");
        sb.AppendLine($"  violations: {violations.Count}");
        foreach (var v in violations.Take(50)) sb.AppendLine($"    {v}");
        return new ChaosResult(violations.Count, sb.ToString());
    }

    private static string Figures(List<double> xs) => xs.Count == 0 ? "none" :
        $"{string.Join(", ", xs.Select(x => x.ToString("F1")))} (median {xs.OrderBy(x => x).ElementAt(xs.Count / 2):F1}, max {xs.Max():F1})";

    /// <summary>Task id → live containers, from every agent's process-containerizer metadata (pid + start time, checked in /proc).</summary>
    private Dictionary<string, int> ContainerTruth()
    {
        var truth = new Dictionary<string, int>();
        foreach (var (taskId, pid, start) in TaskProcesses())
            if (IsAlive(pid, start)) truth[taskId] = truth.GetValueOrDefault(taskId) + 1;
        return truth;
    }

    private IEnumerable<(string TaskId, int Pid, long? Start)> TaskProcesses()
    {
        foreach (var agent in _agents)
        {
            if (!Directory.Exists(agent.Dir)) continue;
            foreach (var dir in Directory.EnumerateDirectories(agent.Dir, "process", SearchOption.AllDirectories).Where(d => Path.GetFileName(Path.GetDirectoryName(d)) == "meta"))
                foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
                {
                    JsonNode? meta;
                    try { meta = JsonNode.Parse(File.ReadAllText(file)); } catch (Exception) { continue; }
                    if (meta?["TaskId"]?.GetValue<string>() is { } task && meta["Pid"]?.GetValue<int>() is { } pid)
                        yield return (task, pid, meta["StartTime"]?.GetValue<long?>());
                }
        }
    }

    /// <summary>Alive and not a zombie, with the recorded start time (field 22 of /proc/PID/stat) when there is one.</summary>
    private static bool IsAlive(int pid, long? start)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] != "Z" && (start is null || long.Parse(fields[19]) == start);
        }
        catch (Exception) { return false; }
    }

    /// <summary>Task processes (process groups) the agents' metadata still names after the nodes stopped.</summary>
    private int KillLeftoverTasks()
    {
        var n = 0;
        foreach (var (_, pid, start) in TaskProcesses())
            if (IsAlive(pid, start)) { KillGroup(pid); n++; }
        return n;
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int kill(int pid, int sig);

    private static void KillGroup(int pid)
    {
        if (kill(-pid, 9) != 0) kill(pid, 9);
    }

    private async Task<bool> Until(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct, bool fatal = true)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(250, ct);
        }
        if (fatal) throw new TimeoutException($"no {what} within {timeout.TotalSeconds:F0} s");
        Log($"warning: no {what} within {timeout.TotalSeconds:F0} s");
        return false;
    }

    internal static async Task<string> CreateDatabase(string connection, CancellationToken ct)
    {
        var name = "ck_chaos_" + Guid.NewGuid().ToString("N")[..10];
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connection) { Database = "postgres" }.ConnectionString))
        {
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        return new NpgsqlConnectionStringBuilder(connection) { Database = name }.ConnectionString;
    }

    internal static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        try { return ((IPEndPoint)l.LocalEndpoint).Port; }
        finally { l.Stop(); }
    }
}
