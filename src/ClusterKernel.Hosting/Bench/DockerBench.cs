using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Akka.Actor;
using ClusterKernel.Agent;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Master;
using ClusterKernel.Protocol;
using Docker.DotNet;
using Docker.DotNet.Models;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>What <c>ck bench docker</c> runs.</summary>
public sealed record DockerBenchOptions
{
    public int Runs { get; init; } = 50;
    /// <summary>Unmeasured rounds first (JIT, Docker client connections, engine caches).</summary>
    public int Warmup { get; init; } = 3;
    public string Image { get; init; } = "clusterkernel/busybox:test";
    public string Command { get; init; } = "sleep 30";
    public string Shape { get; init; } = "cpus:0.1;mem:32";
    /// <summary>Also measure submissions that find no offer in hand (framework suppressed, revives on submission).</summary>
    public bool Revive { get; init; } = true;
    /// <summary>Also measure the literal <c>docker run -d</c> + <c>docker inspect</c> through the docker CLI (needs it on PATH).</summary>
    public bool Cli { get; init; }
    public string? DataDir { get; init; }
    public string? ExtraHocon { get; init; }
    public Action<string>? Log { get; init; }
}

/// <summary>Milliseconds per run (in run order) for each path, and per-phase medians of the ClusterKernel in-hand path.</summary>
public sealed record DockerBenchResult(
    double[] DirectMs, double[] InHandMs, double[] ReviveMs, double[] CliMs,
    IReadOnlyList<(string Phase, double MedianMs, double P90Ms)> Phases,
    IReadOnlyList<(string Phase, double MedianMs, double P90Ms)> DirectPhases,
    int Failures, string Table)
{
    public double Ratio => Pct(InHandMs, 0.5) / Pct(DirectMs, 0.5);
    public static double Pct(double[] values, double q)
    {
        if (values.Length == 0) return double.NaN;
        var s = values.OrderBy(x => x).ToArray();
        return s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
    }
}

/// <summary>
/// Container launch overhead: one in-process master + agent node with only the Docker containerizer, and a
/// <see cref="DockerBenchFramework"/>. Each round, in rotating order: (a) direct — create + start the same container
/// (same <see cref="DockerContainerizer.BuildCreateParameters"/>: host network, sandbox bind mount, init, limits) through
/// Docker.DotNet, then inspect until <c>State.Running</c> — what <c>docker run -d</c> followed by <c>docker inspect</c>
/// does, minus the CLI's process start; (b) ClusterKernel with an offer in hand — submission to the framework until
/// TASK_RUNNING reaches it; (c) optionally ClusterKernel with no offer in hand (suppressed, revive on submission).
/// Every container is killed and removed (and its removal awaited) before the next one starts.
/// </summary>
public static class DockerBench
{
    private const string Hocon = """
        akka.loglevel = WARNING
        clusterkernel.agent.containerizers = "docker"
        """;

    /// <summary>Phases of the ClusterKernel path, in order: (name, from mark, to mark).</summary>
    private static readonly (string Name, string From, string To)[] PhaseMarks =
    {
        ("submit -> ACCEPT sent (framework)", "fw.submitted", "fw.accepted"),
        ("ACCEPT -> agent RunTasks (master, 2 hops)", "fw.accepted", "agent.run-tasks"),
        ("RunTasks -> containerizer called (STARTING, checkpoint)", "agent.run-tasks", "agent.launch"),
        ("containerizer called -> created", "agent.launch", "docker.created"),
        ("created -> started", "docker.created", "docker.started"),
        ("started -> container inspected", "docker.started", "docker.inspected"),
        ("inspected -> agent handles Launched", "docker.inspected", "agent.launched"),
        ("Launched -> RUNNING sent (checkpoint)", "agent.launched", "agent.running-sent"),
        ("RUNNING sent -> framework (master, 2 hops)", "agent.running-sent", "fw.running"),
    };

    public static async Task<DockerBenchResult> RunAsync(DockerBenchOptions o, CancellationToken ct = default)
    {
        void Log(string s) => o.Log?.Invoke($"[{DateTime.UtcNow:HH:mm:ss}] {s}");
        var shape = Res.Parse(o.Shape);
        var dataDir = o.DataDir ?? Path.Combine(Path.GetTempPath(), "ck-dbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var endpoint = DockerContainerizer.ResolveEndpoint();
        using var docker = new DockerClientConfiguration(new Uri(endpoint)).CreateClient();
        try { await docker.Images.InspectImageAsync(o.Image, ct).WaitAsync(TimeSpan.FromSeconds(30), ct); }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"bench docker: image '{o.Image}' is not available at {endpoint}: {e.GetBaseException().Message}", e);
        }

        var marks = new ConcurrentDictionary<string, ConcurrentDictionary<string, long>>();
        void Mark(string task, string phase, long at) => marks.GetOrAdd(task, _ => new()).TryAdd(phase, at);
        LaunchTrace.Observer = (task, phase, at) => { if (task.StartsWith("dbench-", StringComparison.Ordinal)) Mark(task, phase, at); };
        try
        {
            await using var node = await ClusterNode.StartAsync(new NodeOptions
            {
                Master = true, Agent = true, Port = 0, DataDir = dataDir, HttpUrl = null,
                AgentResources = "cpus:2;mem:2048;disk:1000;ports:[31000-31100]",
                ExtraHocon = Hocon + "\n" + (o.ExtraHocon ?? ""),
            }, ct);
            if (!node.Containerizers.Contains("docker"))
                throw new InvalidOperationException($"bench docker: no Docker engine answers at {endpoint}");
            await node.WhenUp(TimeSpan.FromSeconds(60));
            var framework = node.System.ActorOf(DockerBenchFramework.Props(node.MasterProxy, shape, o.Image, o.Command), "docker-bench");
            var offerTimeout = TimeSpan.FromSeconds(60);
            await framework.Ask<OfferInHand>(AwaitOffer.Instance, offerTimeout, ct);
            Log($"master + agent up (docker at {endpoint}), framework holds an offer");

            var direct = new List<double>();
            var inHand = new List<double>();
            var revive = new List<double>();
            var cliRuns = new List<double>();
            var directPhases = new List<double[]>();
            var failures = 0;
            var n = 0;

            async Task<double> Direct(int round)
            {
                var id = $"dbench-direct-{round}";
                var containerId = "direct" + Guid.NewGuid().ToString("N");
                var sandbox = Path.Combine(dataDir, "direct", containerId);
                var launch = new ContainerLaunch(containerId, "bench-direct", "bench-direct", id, id, o.Image, o.Command, Array.Empty<string>(), true,
                    new Dictionary<string, string>(), shape.Scalar("cpus"), shape.Scalar("mem"), sandbox);
                var t0 = Stopwatch.GetTimestamp();
                Directory.CreateDirectory(sandbox);
                var created = await docker.Containers.CreateContainerAsync(DockerContainerizer.BuildCreateParameters(launch, sandbox), ct);
                var t1 = Stopwatch.GetTimestamp();
                await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), ct);
                var t2 = Stopwatch.GetTimestamp();
                while (!(await docker.Containers.InspectContainerAsync(created.ID, ct)).State.Running) { }
                var t3 = Stopwatch.GetTimestamp();
                directPhases.Add(new[] { Ms(t0, t1), Ms(t1, t2), Ms(t2, t3) });
                await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, ct);
                return Ms(t0, t3);
            }

            // The literal `docker run -d` + `docker inspect` (CLI processes), with the flags that make the same container.
            async Task<double> Cli(int round)
            {
                var id = $"dbench-cli-{round}";
                var containerId = "cli" + Guid.NewGuid().ToString("N");
                var sandbox = Path.Combine(dataDir, "cli", containerId);
                var launch = new ContainerLaunch(containerId, "bench-cli", "bench-cli", id, id, o.Image, o.Command, Array.Empty<string>(), true,
                    new Dictionary<string, string>(), shape.Scalar("cpus"), shape.Scalar("mem"), sandbox);
                var p = DockerContainerizer.BuildCreateParameters(launch, sandbox);
                var args = new List<string> { "run", "-d", "--name", p.Name, "--network", p.HostConfig.NetworkMode, "--init",
                    "--memory", p.HostConfig.Memory.ToString(CultureInfo.InvariantCulture), "--memory-swap", p.HostConfig.MemorySwap.ToString(CultureInfo.InvariantCulture),
                    "--cpus", (p.HostConfig.NanoCPUs / 1e9).ToString(CultureInfo.InvariantCulture), "-w", p.WorkingDir, "--entrypoint", p.Entrypoint[0] };
                foreach (var b in p.HostConfig.Binds) { args.Add("-v"); args.Add(b); }
                foreach (var e in p.Env) { args.Add("-e"); args.Add(e); }
                foreach (var (k, v) in p.Labels) { args.Add("--label"); args.Add($"{k}={v}"); }
                args.Add(p.Image);
                args.AddRange(p.Entrypoint.Skip(1));
                args.AddRange(p.Cmd);
                var t0 = Stopwatch.GetTimestamp();
                Directory.CreateDirectory(sandbox);
                var (code, output) = await RunDocker(args, ct);
                if (code != 0) throw new InvalidOperationException($"bench docker: `docker run` failed ({code}): {output.Trim()}");
                while ((await RunDocker(new[] { "inspect", "-f", "{{.State.Running}}", p.Name }, ct)).Output.Trim() != "true") { }
                var t1 = Stopwatch.GetTimestamp();
                await docker.Containers.RemoveContainerAsync(p.Name, new ContainerRemoveParameters { Force = true }, ct);
                return Ms(t0, t1);
            }

            async Task<double?> ViaClusterKernel(bool withOffer)
            {
                var id = $"dbench-{(withOffer ? "h" : "r")}-{n++}";
                if (withOffer) await framework.Ask<OfferInHand>(AwaitOffer.Instance, offerTimeout, ct);
                else await framework.Ask<OffersDropped>(DropOffers.Instance, offerTimeout, ct);
                var r = await framework.Ask<LaunchOutcome>(new LaunchOne(id), TimeSpan.FromSeconds(120), ct);
                Mark(id, "fw.submitted", r.SubmittedAt);
                if (r.AcceptedAt != 0) Mark(id, "fw.accepted", r.AcceptedAt);
                if (r.RunningAt != 0) Mark(id, "fw.running", r.RunningAt);
                await framework.Ask<TaskEnded>(new KillOne(id), TimeSpan.FromSeconds(120), ct);
                await WhenContainerGone(docker, id, ct);
                if (r.Error is not null) { failures++; Log($"task {id} failed: {r.Error}"); return null; }
                return Ms(r.SubmittedAt, r.RunningAt);
            }

            var kinds = new List<int> { 0, 1 };
            if (o.Revive) kinds.Add(2);
            if (o.Cli) kinds.Add(3);
            var paths = kinds.Count;
            for (var round = -o.Warmup; round < o.Runs; round++)
            {
                var measured = round >= 0;
                var order = Enumerable.Range(0, paths).Select(i => kinds[(i + Math.Max(0, round)) % paths]).ToArray(); // rotate who goes first
                foreach (var p in order)
                {
                    switch (p)
                    {
                        case 0:
                            var d = await Direct(round);
                            if (measured) direct.Add(d);
                            break;
                        case 1:
                            if (await ViaClusterKernel(withOffer: true) is { } h && measured) inHand.Add(h);
                            break;
                        case 2:
                            if (await ViaClusterKernel(withOffer: false) is { } v && measured) revive.Add(v);
                            break;
                        default:
                            var c = await Cli(round);
                            if (measured) cliRuns.Add(c);
                            break;
                    }
                }
                if (!measured && round == -1) { marks.Clear(); directPhases.Clear(); }
                if (measured && (round + 1) % 10 == 0)
                    Log($"{round + 1}/{o.Runs}: median direct {DockerBenchResult.Pct(direct.ToArray(), 0.5):F1} ms, ClusterKernel {DockerBenchResult.Pct(inHand.ToArray(), 0.5):F1} ms");
            }

            var handMarks = marks.Where(kv => kv.Key.StartsWith("dbench-h-", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
            var phases = PhaseMarks.Select(p =>
            {
                var d = handMarks.Where(m => m.ContainsKey(p.From) && m.ContainsKey(p.To)).Select(m => Ms(m[p.From], m[p.To])).ToArray();
                return (p.Name, DockerBenchResult.Pct(d, 0.5), DockerBenchResult.Pct(d, 0.9));
            }).ToList();
            var dp = new[] { "create", "start", "inspect until State.Running" }.Select((name, i) =>
            {
                var d = directPhases.Select(x => x[i]).ToArray();
                return (name, DockerBenchResult.Pct(d, 0.5), DockerBenchResult.Pct(d, 0.9));
            }).ToList();
            // With no offer in hand the difference is the wait for an offer: submission (revive) -> ACCEPT sent.
            var waits = marks.Where(kv => kv.Key.StartsWith("dbench-r-", StringComparison.Ordinal) && kv.Value.ContainsKey("fw.accepted"))
                .Select(kv => Ms(kv.Value["fw.submitted"], kv.Value["fw.accepted"])).ToArray();
            if (o.Revive) phases.Add(("no offer in hand: submit (revive) -> ACCEPT sent", DockerBenchResult.Pct(waits, 0.5), DockerBenchResult.Pct(waits, 0.9)));
            // ClusterKernel's own share of each launch: everything but the containerizer's call (agent.launch -> docker.inspected).
            var own = handMarks.Where(m => new[] { "fw.submitted", "fw.running", "agent.launch", "docker.inspected" }.All(m.ContainsKey))
                .Select(m => Ms(m["fw.submitted"], m["fw.running"]) - Ms(m["agent.launch"], m["docker.inspected"])).ToArray();
            phases.Add(("ClusterKernel's own time (total minus the containerizer call)", DockerBenchResult.Pct(own, 0.5), DockerBenchResult.Pct(own, 0.9)));
            // The paths alternate, so round i of each ran under the same load: the per-round difference is steadier than two medians.
            if (inHand.Count == direct.Count)
            {
                var diff = inHand.Zip(direct, (a, b) => a - b).ToArray();
                phases.Add(("paired difference per round: in hand - direct", DockerBenchResult.Pct(diff, 0.5), DockerBenchResult.Pct(diff, 0.9)));
            }
            var result = new DockerBenchResult(direct.ToArray(), inHand.ToArray(), revive.ToArray(), cliRuns.ToArray(), phases, dp, failures, "");
            return result with { Table = Render(result, o, endpoint) };
        }
        finally
        {
            LaunchTrace.Observer = null;
        }
    }

    /// <summary>The agent removes a container after its task ended, asynchronously: wait for that, so the next launch does not overlap it.</summary>
    private static async Task WhenContainerGone(DockerClient docker, string taskId, CancellationToken ct)
    {
        var filter = new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"{DockerContainerizer.TaskLabel}={taskId}"] = true } },
        };
        var deadline = Stopwatch.GetTimestamp() + 60 * Stopwatch.Frequency;
        while ((await docker.Containers.ListContainersAsync(filter, ct)).Count > 0)
        {
            if (Stopwatch.GetTimestamp() > deadline) throw new TimeoutException($"bench docker: the container of {taskId} was not removed within 60 s");
            await Task.Delay(20, ct);
        }
    }

    private static async Task<(int Code, string Output)> RunDocker(IEnumerable<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("bench docker: cannot start the docker CLI");
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return (p.ExitCode, await stdout + await stderr);
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static string Render(DockerBenchResult r, DockerBenchOptions o, string endpoint)
    {
        string F(double v) => double.IsFinite(v) ? v.ToString("F1", CultureInfo.InvariantCulture) : "n/a";
        string Row(double[] x) => $"median {F(DockerBenchResult.Pct(x, 0.5))} ms, p90 {F(DockerBenchResult.Pct(x, 0.9))} ms, min {F(x.Length > 0 ? x.Min() : double.NaN)} ms ({x.Length} runs)";
        var sb = new StringBuilder();
        sb.AppendLine($"ck bench docker: {o.Runs} runs each (+{o.Warmup} warm-up), image {o.Image}, `{o.Command}`, {o.Shape}, host network, engine {endpoint}");
        sb.AppendLine($"  direct (Docker.DotNet create + start + inspect until Running)   {Row(r.DirectMs)}");
        sb.AppendLine($"  ClusterKernel, offer in hand: submit -> TASK_RUNNING           {Row(r.InHandMs)}");
        if (o.Revive) sb.AppendLine($"  ClusterKernel, no offer in hand (revive): submit -> TASK_RUNNING {Row(r.ReviveMs)}");
        if (o.Cli) sb.AppendLine($"  docker CLI: `docker run -d` + `docker inspect` until running   {Row(r.CliMs)}");
        sb.AppendLine($"  ratio of medians (offer in hand / direct): {r.Ratio.ToString("F3", CultureInfo.InvariantCulture)}   failures: {r.Failures}");
        sb.AppendLine("  direct phases (median / p90 ms):");
        foreach (var (name, m, p) in r.DirectPhases) sb.AppendLine($"    {name,-58} {F(m),7} {F(p),7}");
        sb.AppendLine("  ClusterKernel phases, offer in hand (median / p90 ms):");
        foreach (var (name, m, p) in r.Phases) sb.AppendLine($"    {name,-58} {F(m),7} {F(p),7}");
        return sb.ToString();
    }
}
