using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using Akka.Actor;
using ClusterKernel.Hosting.Chaos;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>
/// <c>ck bench --memory-split</c>: the master's memory per agent and per task, with the master alone in its own process.
/// Three processes: <c>ck master</c> (with <see cref="MemoryProbe"/> enabled), <c>ck agents --simulate N</c>, and this one
/// running the <see cref="BenchFramework"/>s. The master's managed heap after a full blocking, compacting collection is read
/// (<c>GET /debug/memory</c>) empty, with the frameworks subscribed, with every agent registered, and with every task running
/// and acknowledged; the differences are divided by agents and tasks. Akka remoting's pooled DotNetty buffer chunks (allocated
/// by traffic peaks and kept) are read separately and taken out of the per-agent and per-task figures.
/// </summary>
/// <summary>The rendered table, tasks RUNNING of all submitted, and the master's reading at each stage.</summary>
public sealed record MemorySplitResult(string Table, int Running, int Tasks, IReadOnlyList<(string Stage, MemoryReading Reading)> Stages);

public static class MemorySplitBench
{
    private sealed record Stage(string Name, MemoryReading M, double Load);

    public static async Task<MemorySplitResult> RunAsync(ScaleBenchOptions o, CancellationToken ct = default)
    {
        void Log(string s) => o.Log?.Invoke($"[{DateTime.UtcNow:HH:mm:ss}] {s}");
        var dataDir = o.DataDir ?? Path.Combine(Path.GetTempPath(), "ck-memsplit-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var hoconFile = Path.Combine(dataDir, "bench.hocon");
        await File.WriteAllTextAsync(hoconFile, ScaleBench.BenchHocon + "\n" + (o.ExtraHocon ?? ""), ct);
        int clusterPort = ChaosRun.FreePort(), httpPort = ChaosRun.FreePort();
        var stages = new List<Stage>();
        var processes = new List<Process>();
        ClusterNode? fwNode = null;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromMinutes(5) };
        async Task<MemoryReading> Read() => (await http.GetFromJsonAsync<MemoryReading>("/debug/memory", ct))!;
        async Task Measure(string name)
        {
            var m = await Read();
            stages.Add(new Stage(name, m, Load()));
            Log($"{name}: master heap {m.HeapBytes / 1e6:F1} MB (remoting pool {m.PoolChunks} chunks, {m.PoolChunkBytes / 1e6:F1} MB), " +
                $"{m.AgentsConnected} agents, {m.TasksRunning} tasks running, master CPU {m.CpuSeconds:F1} s");
        }
        try
        {
            var master = Start(processes, dataDir, "master", new[] { "master", "--port", clusterPort.ToString(CultureInfo.InvariantCulture),
                "--http", $"127.0.0.1:{httpPort}", "--data-dir", Path.Combine(dataDir, "master"), "--config", hoconFile });
            await ScaleBench.Until(async () => (await Read()).CpuSeconds > 0, TimeSpan.FromSeconds(120), "master up", TimeSpan.FromMilliseconds(500));
            Log($"master pid {master.Id} at 127.0.0.1:{clusterPort}, HTTP {httpPort}");
            await Task.Delay(2000, ct);
            await Measure("empty master");

            var seeds = new[] { $"127.0.0.1:{clusterPort}" };
            fwNode = await ClusterNode.StartAsync(new NodeOptions { Port = 0, Seeds = seeds, DataDir = Path.Combine(dataDir, "frameworks"), HttpUrl = null, ExtraHocon = ScaleBench.BenchHocon + "\n" + o.ExtraHocon }, ct);
            await fwNode.WhenUp(TimeSpan.FromSeconds(60));
            var shape = Res.Parse(o.Shape);
            var share = Enumerable.Range(0, o.Frameworks).Select(i => o.Tasks / o.Frameworks + (i < o.Tasks % o.Frameworks ? 1 : 0)).ToArray();
            var frameworks = Enumerable.Range(0, o.Frameworks).Select(i => fwNode.System.ActorOf(
                BenchFramework.Props(fwNode.MasterProxy, $"bench{i}", $"bench-{i % Math.Max(1, o.Roles)}", share[i], shape, o.Command, o.HoldOffers), $"bench{i}")).ToList();
            await ScaleBench.Until(async () => (await ScaleBench.Stats(frameworks)).All(s => s.Subscribed), TimeSpan.FromSeconds(60), "frameworks subscribed");
            await Measure($"+ {o.Frameworks} frameworks");

            var regWatch = Stopwatch.StartNew();
            var agents = Start(processes, dataDir, "agents", new[] { "agents", "--simulate", o.Agents.ToString(CultureInfo.InvariantCulture),
                "--resources", o.AgentResources, "--master", seeds[0], "--data-dir", Path.Combine(dataDir, "agents"),
                "--registrations-per-second", o.RegistrationsPerSecond.ToString(CultureInfo.InvariantCulture), "--config", hoconFile });
            Log($"agents pid {agents.Id}");
            await ScaleBench.Until(async () => (await http.GetFromJsonAsync<Dictionary<string, double>>("/metrics/snapshot", ct))!
                .GetValueOrDefault("master/slaves_connected") >= o.Agents, TimeSpan.FromSeconds(Math.Max(180, o.Agents / 20.0)), $"{o.Agents} agents registered", TimeSpan.FromSeconds(1));
            var registration = regWatch.Elapsed.TotalSeconds;
            Log($"{o.Agents} agents registered in {registration:F1} s");
            await Task.Delay(3000, ct);
            await Measure($"+ {o.Agents} agents");

            var cpuBefore = stages[^1].M.CpuSeconds;
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < o.Frameworks; i++) frameworks[i].Tell(new SubmitTasks(share[i]));
            var deadline = DateTime.UtcNow + o.Timeout;
            BenchStats[] stats;
            while (true)
            {
                stats = await ScaleBench.Stats(frameworks);
                if (stats.Sum(s => s.Running + s.Failed) >= o.Tasks || DateTime.UtcNow > deadline) break;
                await Task.Delay(500, ct);
            }
            var summary = ScaleBench.Summarise(stats, start);
            var failed = stats.Sum(s => s.Failed);
            stats = Array.Empty<BenchStats>();
            Log($"{summary.Running}/{o.Tasks} running after {summary.RunSeconds:F1} s ({summary.Overall:F0}/s), {failed} failed");
            await Task.Delay(5000, ct); // the last acknowledgements reach the master
            await Measure($"+ {summary.Running} tasks running");
            var runCpu = stages[^1].M.CpuSeconds - cpuBefore;
            // A /state request makes the master build and keep the tasks' published views (TaskTable chunks): measured apart.
            var sw = Stopwatch.StartNew();
            var bytes = (await http.GetByteArrayAsync("/state", ct)).Length;
            var stateMs = sw.Elapsed.TotalMilliseconds;
            Log($"GET /state: {bytes / 1e6:F1} MB in {stateMs:F0} ms");
            await Measure("+ views after GET /state");
            return new MemorySplitResult(Render(o, stages, registration, summary, failed, runCpu, bytes, stateMs), summary.Running, o.Tasks,
                stages.Select(x => (x.Name, x.M)).ToList());
        }
        finally
        {
            if (fwNode is not null) await fwNode.DisposeAsync();
            foreach (var p in Enumerable.Reverse(processes))
            {
                try { if (!p.HasExited) { p.Kill(); await p.WaitForExitAsync(CancellationToken.None); } } catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }

    private static string Render(ScaleBenchOptions o, List<Stage> s, double registration, ScaleBench.Summary run, int failed, double runMasterCpu, int stateBytes, double stateMs)
    {
        string F(double v, string f = "F1") => v.ToString(f, CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"ck bench --memory-split: master alone in its own process; {o.Agents} simulated agents (`ck agents --simulate`, own process), " +
                      $"{o.Frameworks} frameworks (this process), {o.Tasks} tasks of {o.Shape} `{o.Command}`; GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} here, the master as `ck master` runs it");
        sb.AppendLine("  stage                      load(1m)  heap MB  remoting pool MB (chunks)  heap-pool MB  LOH MB  fragmented MB  working set MB  master CPU s");
        foreach (var x in s)
            sb.AppendLine($"  {x.Name,-26} {F(x.Load, "F2"),8}  {F(x.M.HeapBytes / 1e6),7}  {F(x.M.PoolChunkBytes / 1e6),10} ({x.M.PoolChunks,2})             {F((x.M.HeapBytes - x.M.PoolChunkBytes) / 1e6),12}  {F(x.M.LohBytes / 1e6),6}  {F(x.M.FragmentedBytes / 1e6),13}  {F(x.M.WorkingSetBytes / 1e6),14}  {F(x.M.CpuSeconds),12}");
        long Net(int i) => s[i].M.HeapBytes - s[i].M.PoolChunkBytes;
        var perFw = (Net(1) - Net(0)) / 1024.0 / Math.Max(1, o.Frameworks);
        var perAgent = (Net(2) - Net(1)) / 1024.0 / Math.Max(1, o.Agents);
        var perTask = (Net(3) - Net(2)) / 1024.0 / Math.Max(1, run.Running);
        sb.AppendLine($"  per framework: {F(perFw, "F2")} KB; per agent: {F(perAgent, "F2")} KB (target <= 20 KB); per task: {F(perTask, "F2")} KB (target <= 2 KB) -- heap without the remoting pool");
        if (s.Count > 4)
            sb.AppendLine($"  after one GET /state ({F(stateBytes / 1e6)} MB, {F(stateMs, "F0")} ms) the master also keeps the tasks' published views: per task {F((Net(4) - Net(2)) / 1024.0 / Math.Max(1, run.Running), "F2")} KB");
        sb.AppendLine($"  with the pool counted: per agent {F((s[2].M.HeapBytes - s[1].M.HeapBytes) / 1024.0 / Math.Max(1, o.Agents), "F2")} KB, per task {F((s[3].M.HeapBytes - s[2].M.HeapBytes) / 1024.0 / Math.Max(1, run.Running), "F2")} KB; remoting pool at the end {F(s[^1].M.PoolChunkBytes / 1e6)} MB ({F(s[^1].M.PoolUsedBytes / 1e6)} MB in use)");
        sb.AppendLine($"  load: {o.Agents} agents registered in {F(registration)} s; {run.Running}/{o.Tasks} tasks RUNNING in {F(run.RunSeconds)} s ({F(run.Overall, "F0")}/s overall), {failed} failed; " +
                      $"master CPU while scheduling {F(runMasterCpu)} s ({F(runMasterCpu * 1e6 / Math.Max(1, run.Running), "F0")} us per task)");
        return sb.ToString();
    }

    /// <summary>Runs this same ck (the entry assembly) with <paramref name="args"/>, output to DATA_DIR/NAME.log.</summary>
    private static Process Start(List<Process> started, string dataDir, string name, string[] args)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (name == "master") psi.Environment[MemoryProbe.EnableVariable] = "1";
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start ck {name}");
        started.Add(p);
        var log = new StreamWriter(Path.Combine(dataDir, name + ".log")) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static double Load() =>
        File.Exists("/proc/loadavg") ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) : double.NaN;
}
