using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using ClusterKernel.Master;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>What <c>ck bench</c> runs.</summary>
public sealed record ScaleBenchOptions
{
    public int Agents { get; init; } = 200;
    public int Frameworks { get; init; } = 5;
    public int Tasks { get; init; } = 5000;
    /// <summary>Roles the frameworks are spread over (framework i gets role bench-(i mod Roles)).</summary>
    public int Roles { get; init; } = 3;
    public string Shape { get; init; } = "cpus:0.1;mem:32";
    public string Command { get; init; } = "sleep 30";
    public string AgentResources { get; init; } = "cpus:8;mem:32768;disk:100000;ports:[31000-32000]";
    /// <summary>Submissions are spread evenly over this time; zero = all at once.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.Zero;
    /// <summary>Give up waiting for TASK_RUNNING after this long past the last submission.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    public bool PollState { get; init; }
    /// <summary>Serve the master's HTTP API and poll GET /state and POST /api/v1 GET_STATE this often during the run; zero = no HTTP.</summary>
    public TimeSpan PollHttp { get; init; } = TimeSpan.Zero;
    /// <summary>What each HTTP poll sends (<see cref="StatePoller.Known"/>); null = /state and GET_STATE.</summary>
    public IReadOnlyList<string>? PollEndpoints { get; init; }
    /// <summary>Serve the master's HTTP API even without polling (the unpolled side of a comparison).</summary>
    public bool ServeHttp { get; init; }
    /// <summary>Keep the master alone running this long after measuring its memory (time to take a heap dump of the process).</summary>
    public TimeSpan HoldMasterAlone { get; init; } = TimeSpan.Zero;
    /// <summary>Agents started per second; 0 = all at once.</summary>
    public double RegistrationsPerSecond { get; init; }
    /// <summary>Also measure the master alone after stopping agents and frameworks (GC.GetTotalMemory).</summary>
    public bool MeasureMasterMemory { get; init; } = true;
    public string? DataDir { get; init; }
    /// <summary>Extra HOCON for every node of the bench (e.g. allocation interval).</summary>
    public string? ExtraHocon { get; init; }
    public Action<string>? Log { get; init; }
    /// <summary>Agents and frameworks in the master's own ActorSystem: no remoting, no serialization (isolates the master's own cost).</summary>
    public bool SingleSystem { get; init; }
    /// <summary>Unused offers each bench framework keeps in hand while it has nothing to launch (<see cref="BenchFramework"/>); 0 = decline them all.</summary>
    public int HoldOffers { get; init; } = DefaultHoldOffers;
    public const int DefaultHoldOffers = 100;
}

public sealed record ScaleBenchResult(
    int Agents, int Frameworks, int Tasks, int Running, int Failed,
    double AgentRegistrationSeconds, double RunSeconds,
    double OverallTasksPerSecond, double MedianTasksPerSecond, double? SlowestWindowTasksPerSecond,
    double LatencyP50Ms, double LatencyP99Ms, double LatencyMaxMs,
    IReadOnlyDictionary<string, double> AllocatorMetrics,
    long MemBaseline, long MemAfterAgents, long MemAfterTasks, long? MemMasterOnly,
    double StateFirstMs, double StateMedianMs, double StateMaxMs, int StateTasks,
    double? PolledStateMaxMs, double CpuSeconds, double RunCpuSeconds, double RunWallSeconds, double RunGcPauseSeconds, int RunGcs, string Table)
{
    /// <summary>HTTP polls during the run (<see cref="ScaleBenchOptions.PollHttp"/>); empty when not polled.</summary>
    public IReadOnlyList<StatePoll> HttpPolls { get; init; } = Array.Empty<StatePoll>();
    /// <summary>HTTP polls after the run, with every task in the state; empty without an HTTP API.</summary>
    public IReadOnlyList<StatePoll> HttpAfter { get; init; } = Array.Empty<StatePoll>();
    /// <summary>Where the latency goes: submission → ACCEPT sent (waiting for an offer), ACCEPT → TASK_STARTING seen, STARTING → RUNNING (p50 / p99 ms).</summary>
    public (double P50, double P99) OfferWaitMs { get; init; } = (double.NaN, double.NaN);
    public (double P50, double P99) AcceptToStartingMs { get; init; } = (double.NaN, double.NaN);
    public (double P50, double P99) StartingToRunningMs { get; init; } = (double.NaN, double.NaN);
    /// <summary>REVIVE calls the bench frameworks sent (new demand with no usable offer in hand).</summary>
    public int Revives { get; init; }
}

/// <summary>
/// The in-process load generator behind <c>ck bench</c>: a master node (no HTTP), a node of simulated agents, and a node of
/// <see cref="BenchFramework"/>s, three ActorSystems joined over loopback remoting, so every message crosses a real
/// (serializing) boundary. Measures submission → TASK_RUNNING throughput and latency, the master's allocation cycle,
/// memory and /state (GetClusterState) response time.
/// </summary>
public static class ScaleBench
{
    /// <summary>Offer batches to thousands of agents exceed Akka's default 128 kB frame; see docs/benchmarks.md "Scale".</summary>
    public const string BenchHocon = """
        akka.loglevel = WARNING
        akka.remote.dot-netty.tcp.maximum-frame-size = 32MiB
        akka.remote.dot-netty.tcp.send-buffer-size = 64MiB
        akka.remote.dot-netty.tcp.receive-buffer-size = 64MiB
        # Three ActorSystems share 2 cores: a burst of launches delays cluster heartbeats by seconds, and with the production
        # settings (3 s pause, SBR down-all-when-unstable) the cluster downs itself mid-run. The bench measures throughput, so it
        # tolerates long pauses; docs/benchmarks.md "Scale" reports what happens with the production settings.
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 60s
        akka.cluster.split-brain-resolver.stable-after = 60s
        akka.cluster.split-brain-resolver.down-all-when-unstable = off
        """;

    public static async Task<ScaleBenchResult> RunAsync(ScaleBenchOptions o, CancellationToken ct = default)
    {
        void Log(string s) => o.Log?.Invoke($"[{DateTime.UtcNow:HH:mm:ss}] {s}");
        var shape = Res.Parse(o.Shape);
        var dataDir = o.DataDir ?? Path.Combine(Path.GetTempPath(), "ck-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var hocon = BenchHocon + "\n" + (o.ExtraHocon ?? "");
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;

        await using var master = await ClusterNode.StartAsync(new NodeOptions
        {
            Master = true, Port = 0, DataDir = Path.Combine(dataDir, "master"),
            HttpUrl = o.PollHttp > TimeSpan.Zero || o.ServeHttp ? "http://127.0.0.1:0" : null, ExtraHocon = hocon,
        }, ct);
        await master.WhenUp(TimeSpan.FromSeconds(60));
        var seeds = new[] { $"{master.Address.Host}:{master.Address.Port}" };
        // The master singleton answers once it has recovered.
        await Until(async () => (await master.MasterProxy.Ask<MetricsSnapshot>(GetMetrics.Instance, TimeSpan.FromSeconds(5))).Values.Count > 0,
            TimeSpan.FromSeconds(60), "master singleton up");
        var memBaseline = Mem();
        Log($"master up at {master.Address}; managed heap {memBaseline / 1e6:F1} MB");

        ClusterNode? fwNode = null;
        if (!o.SingleSystem)
        {
            fwNode = await ClusterNode.StartAsync(new NodeOptions { Port = 0, Seeds = seeds, DataDir = Path.Combine(dataDir, "frameworks"), HttpUrl = null, ExtraHocon = hocon }, ct);
            await fwNode.WhenUp(TimeSpan.FromSeconds(60));
        }
        var fwSystem = fwNode?.System ?? master.System;
        var fwProxy = fwNode?.MasterProxy ?? master.MasterProxy;
        var frameworks = new List<IActorRef>();
        var share = Enumerable.Range(0, o.Frameworks).Select(i => o.Tasks / o.Frameworks + (i < o.Tasks % o.Frameworks ? 1 : 0)).ToArray();
        for (var i = 0; i < o.Frameworks; i++)
            frameworks.Add(fwSystem.ActorOf(BenchFramework.Props(fwProxy, $"bench{i}", $"bench-{i % Math.Max(1, o.Roles)}", share[i], shape, o.Command, o.HoldOffers), $"bench{i}"));
        await Until(async () => (await Stats(frameworks)).All(s => s.Subscribed), TimeSpan.FromSeconds(60), "frameworks subscribed");
        Log($"{o.Frameworks} frameworks subscribed");

        var regWatch = Stopwatch.StartNew();
        var agentOptions = new SimulatedAgentsOptions
        {
            Count = o.Agents, Resources = o.AgentResources, Seeds = seeds, DataDir = Path.Combine(dataDir, "agents"),
            RegistrationsPerSecond = o.RegistrationsPerSecond, ExtraHocon = hocon,
        };
        var agents = o.SingleSystem
            ? await SimulatedAgents.StartInAsync(master.System, master.MasterProxy, master.System.Settings.Config, agentOptions, ct)
            : await SimulatedAgents.StartAsync(agentOptions, ct);
        await Until(async () =>
        {
            var m = await master.MasterProxy.Ask<MetricsSnapshot>(GetMetrics.Instance, TimeSpan.FromSeconds(30));
            return m.Values.GetValueOrDefault("master/slaves_connected") >= o.Agents;
        }, TimeSpan.FromSeconds(Math.Max(120, o.Agents / 50.0)), $"{o.Agents} agents registered", TimeSpan.FromMilliseconds(250));
        var registration = regWatch.Elapsed.TotalSeconds;
        var memAgents = Mem();
        Log($"{o.Agents} agents registered in {registration:F1} s; managed heap {memAgents / 1e6:F1} MB");

        // State poller (optional): one GetClusterState per second during the run.
        using var pollCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var polled = new List<double>();
        var poller = o.PollState ? Task.Run(async () =>
        {
            while (!pollCts.IsCancellationRequested)
            {
                var sw = Stopwatch.StartNew();
                try { await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(30)); lock (polled) polled.Add(sw.Elapsed.TotalMilliseconds); }
                catch (Exception) when (!pollCts.IsCancellationRequested) { lock (polled) polled.Add(double.PositiveInfinity); }
                try { await Task.Delay(1000, pollCts.Token); } catch (OperationCanceledException) { }
            }
        }) : Task.CompletedTask;
        await using var httpPoller = master.HttpUrl is { } url ? new StatePoller(url, o.PollHttp > TimeSpan.Zero ? o.PollHttp : TimeSpan.FromSeconds(1), o.PollEndpoints) : null;
        if (o.PollHttp > TimeSpan.Zero) httpPoller?.Start();

        // Submission: evenly over Duration, round-robin over frameworks by their shares.
        var runCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var runPause0 = GC.GetTotalPauseDuration();
        var runGcs0 = GC.CollectionCount(0);
        var start = Stopwatch.GetTimestamp();
        var sent = new int[o.Frameworks];
        var total = 0;
        while (total < o.Tasks)
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            var due = o.Duration <= TimeSpan.Zero ? o.Tasks : (int)Math.Min(o.Tasks, o.Tasks * (elapsed / o.Duration));
            for (var i = 0; i < o.Frameworks && total < due; i++)
            {
                var target = due == o.Tasks ? share[i] : (int)((long)share[i] * due / o.Tasks);
                var want = target - sent[i];
                if (want <= 0) continue;
                frameworks[i].Tell(new SubmitTasks(want));
                sent[i] += want;
                total += want;
            }
            if (total < o.Tasks) await Task.Delay(20, ct);
        }
        var submittedBy = Stopwatch.GetElapsedTime(start);
        Log($"{o.Tasks} tasks submitted in {submittedBy.TotalSeconds:F1} s");

        BenchStats[] stats = Array.Empty<BenchStats>();
        var deadline = DateTime.UtcNow + o.Timeout;
        var lastLog = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline)
        {
            stats = await Stats(frameworks, times: false);
            var running = stats.Sum(s => s.Running);
            if (running + stats.Sum(s => s.Failed) >= o.Tasks) break;
            if (DateTime.UtcNow - lastLog > TimeSpan.FromSeconds(5))
            {
                Log($"running {running}/{o.Tasks}, launched {stats.Sum(s => s.Launched)}, failed {stats.Sum(s => s.Failed)}");
                lastLog = DateTime.UtcNow;
            }
            await Task.Delay(200, ct);
        }
        var runCpu = (Process.GetCurrentProcess().TotalProcessorTime - runCpu0).TotalSeconds;
        var runPause = (GC.GetTotalPauseDuration() - runPause0).TotalSeconds;
        var runGcs = GC.CollectionCount(0) - runGcs0;
        var runWall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        stats = await Stats(frameworks); // with the per-task timestamps, once, outside the measured CPU
        pollCts.Cancel();
        await poller;
        if (httpPoller is not null) await httpPoller.StopAsync();

        // Throughput and latency from the per-task timestamps.
        var summary = Summarise(stats, start);
        var failed = stats.Sum(s => s.Failed);
        var revives = stats.Sum(s => s.Revives);
        stats = Array.Empty<BenchStats>(); // the timestamps must not count as the master's memory below
        Log($"{summary.Running}/{o.Tasks} running after {summary.RunSeconds:F1} s; TASK_RUNNING per second: {summary.PerSecond}");

        // Allocator, /state, memory.
        var metrics = (await master.MasterProxy.Ask<MetricsSnapshot>(GetMetrics.Instance, TimeSpan.FromSeconds(60))).Values
            .Where(kv => kv.Key.StartsWith("allocator/", StringComparison.Ordinal) || kv.Key.StartsWith("master/tasks_", StringComparison.Ordinal) || kv.Key.StartsWith("master/slaves_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var stateTimes = new List<double>();
        var stateTasks = 0;
        for (var i = 0; i < 5; i++)
        {
            await Task.Delay(300, ct); // older than state-snapshot-max-age (250 ms by default): every Ask rebuilds the snapshot
            var sw = Stopwatch.StartNew();
            var st = await master.MasterProxy.Ask<ClusterState>(GetClusterState.Instance, TimeSpan.FromSeconds(60));
            stateTimes.Add(sw.Elapsed.TotalMilliseconds);
            stateTasks = st.Tasks.Count;
        }
        var httpAfter = new List<StatePoll>();
        if (httpPoller is not null)
            for (var i = 0; i < 3; i++) { await Task.Delay(300, ct); httpAfter.AddRange(await httpPoller.PollOnceAsync()); }
        var memTasks = Mem();
        Log($"/state {string.Join(", ", stateTimes.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))} ms; managed heap {memTasks / 1e6:F1} MB");
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;

        long? memMasterOnly = null;
        foreach (var f in frameworks) if (o.SingleSystem) await f.GracefulStop(TimeSpan.FromSeconds(10));
        await agents.DisposeAsync();
        if (fwNode is not null) await fwNode.DisposeAsync();
        agents = null!;
        fwNode = null;
        frameworks.Clear();
        if (o.MeasureMasterMemory && !o.SingleSystem)
        {
            await Task.Delay(3000, ct); // let the master notice both nodes left
            memMasterOnly = Mem();
            Log($"agents and frameworks stopped; managed heap {memMasterOnly / 1e6:F1} MB");
            if (o.HoldMasterAlone > TimeSpan.Zero)
            {
                Log($"holding the master alone for {o.HoldMasterAlone.TotalSeconds:F0} s: pid {Environment.ProcessId} (e.g. dotnet-gcdump collect -p {Environment.ProcessId})");
                await Task.Delay(o.HoldMasterAlone, ct);
            }
        }

        var sortedState = stateTimes.OrderBy(x => x).ToArray();
        double? polledMax = polled.Count > 0 ? polled.Max() : null;
        var result = new ScaleBenchResult(o.Agents, o.Frameworks, o.Tasks, summary.Running, failed, registration, summary.RunSeconds,
            summary.Overall, summary.Median, summary.Slowest, summary.P50, summary.P99, summary.Max,
            metrics, memBaseline, memAgents, memTasks, memMasterOnly, stateTimes[0], sortedState[sortedState.Length / 2], sortedState[^1], stateTasks,
            polledMax, cpu, runCpu, runWall, runPause, runGcs, "");
        result = result with
        {
            HttpPolls = httpPoller?.Polls ?? Array.Empty<StatePoll>(), HttpAfter = httpAfter,
            OfferWaitMs = summary.OfferWait, AcceptToStartingMs = summary.AcceptToStarting, StartingToRunningMs = summary.StartingToRunning,
            Revives = revives,
        };
        return result with { Table = Render(result, o) };
    }

    internal sealed record Summary(int Running, double RunSeconds, double Overall, double Median, double? Slowest, double P50, double P99, double Max, string PerSecond)
    {
        public (double, double) OfferWait { get; init; }
        public (double, double) AcceptToStarting { get; init; }
        public (double, double) StartingToRunning { get; init; }
    }

    internal static Summary Summarise(BenchStats[] stats, long start)
    {
        var subs = stats.SelectMany(s => s.SubmittedAt.Select((at, i) => (First: at, Second: s.RunningAt[i]))).Where(p => p.First != 0 && p.Second != 0).ToList();
        var latencies = subs.Select(p => (p.Second - p.First) * 1000.0 / Stopwatch.Frequency).OrderBy(x => x).ToArray();
        var runTimes = subs.Select(p => (p.Second - start) / (double)Stopwatch.Frequency).OrderBy(x => x).ToArray();
        var runSeconds = runTimes.Length > 0 ? runTimes[^1] : 0;
        var (median, slowest) = Rates(runTimes);
        var perSecond = string.Join(" ", runTimes.GroupBy(t => (int)Math.Floor(t)).Select(g => $"{g.Key}s:{g.Count()}"));
        // Where the time goes: submission -> ACCEPT sent (offers), ACCEPT -> TASK_STARTING seen (master + agent + 2 hops), STARTING -> RUNNING.
        (double, double) Split(Func<BenchStats, long[]> from, Func<BenchStats, long[]> to)
        {
            var d = stats.SelectMany(s => from(s).Select((a, i) => (a, b: to(s)[i]))).Where(p => p.a != 0 && p.b != 0)
                .Select(p => (p.b - p.a) * 1000.0 / Stopwatch.Frequency).OrderBy(x => x).ToArray();
            return (Pct(d, 0.5), Pct(d, 0.99));
        }
        static string Phase((double P50, double P99) x) => double.IsNaN(x.P50) ? "n/a" : $"p50 {x.P50:F0} / p99 {x.P99:F0} ms";
        var offerWait = Split(s => s.SubmittedAt, s => s.LaunchedAt);
        var acceptToStarting = Split(s => s.LaunchedAt, s => s.StartingAt);
        var startingToRunning = Split(s => s.StartingAt, s => s.RunningAt);
        perSecond += $"; submit->accept {Phase(offerWait)}, accept->STARTING {Phase(acceptToStarting)}, STARTING->RUNNING {Phase(startingToRunning)}";
        return new Summary(subs.Count, runSeconds, runSeconds > 0 ? subs.Count / runSeconds : 0, median, slowest,
            Pct(latencies, 0.5), Pct(latencies, 0.99), latencies.Length > 0 ? latencies[^1] : double.NaN, perSecond)
        { OfferWait = offerWait, AcceptToStarting = acceptToStarting, StartingToRunning = startingToRunning };
    }

    internal static async Task<BenchStats[]> Stats(IReadOnlyList<IActorRef> frameworks, bool times = true) =>
        await Task.WhenAll(frameworks.Select(f => f.Ask<BenchStats>(times ? GetBenchStats.Instance : GetBenchStats.CountsOnly, TimeSpan.FromSeconds(30))));

    private static long Mem()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(true);
    }

    private static double Pct(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>Median of per-second TASK_RUNNING counts from the first to the last second with any, and the slowest 10 s window.</summary>
    internal static (double Median, double? Slowest10s) Rates(double[] runTimesSeconds)
    {
        if (runTimesSeconds.Length == 0) return (0, null);
        var first = (int)Math.Floor(runTimesSeconds[0]);
        var last = (int)Math.Floor(runTimesSeconds[^1]);
        var buckets = new int[last - first + 1];
        foreach (var t in runTimesSeconds) buckets[(int)Math.Floor(t) - first]++;
        var median = buckets.OrderBy(x => x).ElementAt(buckets.Length / 2);
        if (buckets.Length < 10) return (median, null);
        var window = buckets.Take(10).Sum();
        var min = window;
        for (var i = 10; i < buckets.Length; i++) { window += buckets[i] - buckets[i - 10]; min = Math.Min(min, window); }
        return (median, min / 10.0);
    }

    internal static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? every = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try { if (await condition()) return; }
            catch (Exception) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"bench: timed out after {timeout} waiting for {what}");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(200));
        }
    }

    public static string Render(ScaleBenchResult r, ScaleBenchOptions o)
    {
        string F(double? v, string fmt = "F1") => v is { } x && double.IsFinite(x) ? x.ToString(fmt, CultureInfo.InvariantCulture) : "n/a";
        double A(string k) => r.AllocatorMetrics.GetValueOrDefault(k);
        var perAgent = (r.MemAfterAgents - r.MemBaseline) / (double)Math.Max(1, r.Agents);
        var perTask = (r.MemAfterTasks - r.MemAfterAgents) / (double)Math.Max(1, r.Running);
        var sb = new StringBuilder();
        sb.AppendLine($"ck bench: {r.Agents} agents ({o.AgentResources}), {r.Frameworks} frameworks in {o.Roles} roles, {r.Tasks} tasks of {o.Shape} `{o.Command}`, " +
                      $"submitted over {o.Duration.TotalSeconds:F0} s{(o.SingleSystem ? ", all in the master's ActorSystem (no remoting)" : ", three ActorSystems over loopback remoting")}{(o.PollState ? ", /state polled every 1 s" : "")}" +
                      (o.PollHttp > TimeSpan.Zero ? $", HTTP /state + GET_STATE polled every {o.PollHttp.TotalSeconds:F1} s" : ""));
        var rows = new List<(string, string)>
        {
            ("tasks RUNNING / failed", $"{r.Running} / {r.Failed}"),
            ("agent registration (all)", $"{F(r.AgentRegistrationSeconds)} s"),
            ("first submission -> last RUNNING", $"{F(r.RunSeconds, "F2")} s"),
            ("tasks/s overall", F(r.OverallTasksPerSecond, "F0")),
            ("tasks/s median per second", F(r.MedianTasksPerSecond, "F0")),
            ("tasks/s slowest 10 s window", F(r.SlowestWindowTasksPerSecond, "F0")),
            ("latency submit->RUNNING p50 / p99 / max", $"{F(r.LatencyP50Ms, "F0")} / {F(r.LatencyP99Ms, "F0")} / {F(r.LatencyMaxMs, "F0")} ms"),
            ("  offer wait: submit->ACCEPT sent p50 / p99", $"{F(r.OfferWaitMs.P50, "F0")} / {F(r.OfferWaitMs.P99, "F0")} ms"),
            ("  frameworks: offers held when idle (each) / REVIVEs sent", $"{o.HoldOffers} / {r.Revives}"),
            ("  launch: ACCEPT->STARTING seen p50 / p99", $"{F(r.AcceptToStartingMs.P50, "F0")} / {F(r.AcceptToStartingMs.P99, "F0")} ms"),
            ("  STARTING->RUNNING seen p50 / p99", $"{F(r.StartingToRunningMs.P50, "F0")} / {F(r.StartingToRunningMs.P99, "F0")} ms"),
            ("allocation_run_ms p50 / p99 / mean (runs)", $"{F(A("allocator/mesos/allocation_run_ms/p50"), "F2")} / {F(A("allocator/mesos/allocation_run_ms/p99"), "F2")} / {F(A("allocator/mesos/allocation_run_ms/mean"), "F2")} ({A("allocator/mesos/allocation_runs"):F0})"),
            ("  full cycle: allocator-thread CPU p50 / p99 / max", $"{F(A("allocator/ck/run_cpu_ms/p50"), "F2")} / {F(A("allocator/ck/run_cpu_ms/p99"), "F2")} / {F(A("allocator/ck/run_cpu_ms/max"), "F2")} ms (sum {F(A("allocator/ck/run_cpu_ms/sum"), "F0")} ms)"),
            ("  full cycle: GC paused inside p99 / max (sum)", $"{F(A("allocator/ck/run_gc_pause_ms/p99"), "F1")} / {F(A("allocator/ck/run_gc_pause_ms/max"), "F1")} ms ({F(A("allocator/ck/run_gc_pause_ms/sum"), "F0")} ms)"),
            ("  periodic cycle started late (mailbox) p50 / p99 / max", $"{F(A("allocator/ck/tick_late_ms/p50"), "F1")} / {F(A("allocator/ck/tick_late_ms/p99"), "F1")} / {F(A("allocator/ck/tick_late_ms/max"), "F1")} ms"),
            ("  master calls applied between cycles p50 / p99 (ms p99)", $"{F(A("allocator/ck/calls_between_runs/p50"), "F0")} / {F(A("allocator/ck/calls_between_runs/p99"), "F0")} ({F(A("allocator/ck/calls_ms_between_runs/p99"), "F1")} ms)"),
            ("  grants: full cycles / recovered-agent cycles (runs)", $"{A("allocator/ck/grants"):F0} / {A("allocator/ck/incremental_grants"):F0} ({A("allocator/ck/incremental_runs"):F0} runs, p50 {F(A("allocator/ck/incremental_run_ms/p50"), "F2")} / p99 {F(A("allocator/ck/incremental_run_ms/p99"), "F2")} ms, CPU sum {F(A("allocator/ck/incremental_run_cpu_ms/sum"), "F0")} ms)"),
            ("/state (GetClusterState) first / median / max", $"{F(r.StateFirstMs, "F0")} / {F(r.StateMedianMs, "F0")} / {F(r.StateMaxMs, "F0")} ms ({r.StateTasks} tasks)"),
            ("/state polled during run, max", r.PolledStateMaxMs is null ? "not polled" : $"{F(r.PolledStateMaxMs, "F0")} ms"),
            ("HTTP polled during run", r.HttpPolls.Count == 0 ? "not polled" : StatePoller.Summarise(r.HttpPolls)),
            ("HTTP after run (3 each)", r.HttpAfter.Count == 0 ? "no HTTP" : StatePoller.Summarise(r.HttpAfter)),
            ("heap: master only", $"{F(r.MemBaseline / 1e6)} MB"),
            ("heap: + agents (all nodes, per agent)", $"{F(r.MemAfterAgents / 1e6)} MB ({F(perAgent / 1024)} KB/agent)"),
            ("heap: + tasks (all nodes, per task)", $"{F(r.MemAfterTasks / 1e6)} MB ({F(perTask / 1024, "F2")} KB/task)"),
            ("heap: master alone after agents+frameworks left", r.MemMasterOnly is { } m
                ? $"{F(m / 1e6)} MB (+{F((m - r.MemBaseline) / 1e6)} MB = {F((m - r.MemBaseline) / 1024.0 / Math.Max(1, r.Agents))} KB/agent or {F((m - r.MemBaseline) / 1024.0 / Math.Max(1, r.Running), "F2")} KB/task if all of it were one kind)"
                : "not measured"),
            ("process CPU, whole bench", $"{F(r.CpuSeconds)} s"),
            ("process CPU during the run (all nodes)", $"{F(r.RunCpuSeconds, "F2")} s in {F(r.RunWallSeconds, "F2")} s wall = {F(r.RunCpuSeconds / Math.Max(1e-9, r.RunWallSeconds), "F2")} cores; {F(r.RunCpuSeconds * 1e6 / Math.Max(1, r.Running), "F0")} us CPU per task"),
            ("  => tasks/s if 2 cores were ours (CPU-bound estimate)", F(r.Running / Math.Max(1e-9, r.RunCpuSeconds) * Environment.ProcessorCount, "F0")),
            ("GC during the run", $"{r.RunGcs} gen0+ collections, {F(r.RunGcPauseSeconds * 1000, "F0")} ms paused"),
        };
        var w = rows.Max(x => x.Item1.Length);
        foreach (var (k, v) in rows) sb.AppendLine($"  {k.PadRight(w)}  {v}");
        return sb.ToString();
    }
}
