using System.CommandLine;
using System.Globalization;
using ClusterKernel.Hosting;
using ClusterKernel.Hosting.Bench;

namespace ClusterKernel.Cli.Commands;

/// <summary><c>ck agents --simulate N</c> and <c>ck bench</c>: scale testing with simulated agents (no processes, no containers).</summary>
public static class BenchCommands
{
    public static Command Agents()
    {
        var simulate = new Option<int>("--simulate") { Description = "Number of simulated agents to run in this process (required)", Required = true };
        var resources = new Option<string>("--resources") { Description = "Resources of every agent (Mesos syntax)", DefaultValueFactory = _ => "cpus:8;mem:32768;disk:100000;ports:[31000-32000]" };
        var master = new Option<string>("--master") { Description = "HOST:PORT of a master node to join (cluster port)", Required = true };
        var host = new Option<string>("--host") { Description = "Address to bind and announce", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Cluster port of this node; 0 = any", DefaultValueFactory = _ => 0 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Agents' work directories go under DATA_DIR/agent-<i> (default: a new temp directory)" };
        var rate = new Option<double>("--registrations-per-second") { Description = "Start at most this many agents per second; 0 = all at once", DefaultValueFactory = _ => 0 };
        var config = new Option<FileInfo?>("--config") { Description = "A HOCON file layered over the agents' configuration" };
        var cmd = new Command("agents", "Run many simulated agents (scale tests and benchmarks only: tasks run in memory, `sleep N` lasts N seconds)")
        {
            simulate, resources, master, host, port, dataDir, rate, config,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var n = r.GetValue(simulate);
            if (n <= 0) { Console.Error.WriteLine("ck: --simulate must be a positive number of agents"); return 2; }
            if (!ClusterKernel.Resources.Resources.TryParse(r.GetValue(resources), out _, out var err)) { Console.Error.WriteLine($"ck: --resources: {err}"); return 2; }
            var dir = r.GetValue(dataDir) is { } d ? Path.GetFullPath(d) : Path.Combine(Path.GetTempPath(), "ck-sim-" + Guid.NewGuid().ToString("N")[..8]);
            if (r.GetValue(config) is { Exists: false } missing) { Console.Error.WriteLine($"ck: config file {missing.FullName} does not exist"); return 2; }
            var extra = r.GetValue(config) is { } file ? ScaleBench.BenchHocon + "\n" + File.ReadAllText(file.FullName) : ScaleBench.BenchHocon;
            SimulatedAgents node;
            try
            {
                node = await SimulatedAgents.StartAsync(new SimulatedAgentsOptions
                {
                    Count = n, Resources = r.GetValue(resources)!, Seeds = new[] { r.GetValue(master)! }, Host = r.GetValue(host)!,
                    Port = r.GetValue(port), DataDir = dir, RegistrationsPerSecond = r.GetValue(rate), ExtraHocon = extra,
                }, ct);
            }
            catch (OperationCanceledException) { return 130; }
            Console.WriteLine($"{n} simulated agents (agent-0..{n - 1}, hostnames sim-0..) at {node.Address}, work dirs under {dir}. Ctrl+C stops them.");
            try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { }
            await node.DisposeAsync();
            return 0;
        });
        return cmd;
    }

    public static Command Bench()
    {
        var agents = new Option<int>("--agents") { Description = "Simulated agents", DefaultValueFactory = _ => 200 };
        var frameworks = new Option<int>("--frameworks") { Description = "Frameworks", DefaultValueFactory = _ => 5 };
        var roles = new Option<int>("--roles") { Description = "Roles the frameworks are spread over", DefaultValueFactory = _ => 3 };
        var tasks = new Option<int>("--tasks") { Description = "Tasks in total", DefaultValueFactory = _ => 5000 };
        var shape = new Option<string>("--shape") { Description = "Resources of every task", DefaultValueFactory = _ => "cpus:0.1;mem:32" };
        var command = new Option<string>("--command") { Description = "Task command (simulated: `sleep N` runs N seconds)", DefaultValueFactory = _ => "sleep 30" };
        var resources = new Option<string>("--resources") { Description = "Resources of every agent", DefaultValueFactory = _ => "cpus:8;mem:32768;disk:100000;ports:[31000-32000]" };
        var duration = new Option<double>("--duration") { Description = "Spread submissions evenly over this many seconds; 0 = all at once", DefaultValueFactory = _ => 0 };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for TASK_RUNNING after the last submission", DefaultValueFactory = _ => 300 };
        var pollState = new Option<bool>("--poll-state") { Description = "Ask the master for /state (GetClusterState) every second during the run" };
        var pollHttp = new Option<double>("--poll-http") { Description = "Serve the master's HTTP API and poll GET /state and POST /api/v1 GET_STATE every this many seconds during the run; 0 = off", DefaultValueFactory = _ => 0 };
        var pollWhat = new Option<string>("--poll-endpoints") { Description = "What each HTTP poll sends, comma-separated: state, state-gzip (Accept-Encoding: gzip), get-state, get-state-gzip, get-state-pb (protobuf)", DefaultValueFactory = _ => "state,get-state" };
        var pollCompare = new Option<int>("--poll-compare") { Description = "Run N pairs of the workload without and with --poll-http (default 1 s), alternating, and report the throughput ratio", DefaultValueFactory = _ => 0 };
        var memorySplit = new Option<bool>("--memory-split") { Description = "The master alone in its own process (ck master + ck agents --simulate + frameworks here): its GC heap empty, with agents, with tasks; per agent and per task, remoting pool apart" };
        var hold = new Option<double>("--hold-master-alone") { Description = "Seconds to keep the master running alone after measuring its memory (for a heap dump)", DefaultValueFactory = _ => 0 };
        var rate = new Option<double>("--registrations-per-second") { Description = "Start at most this many agents per second; 0 = all at once", DefaultValueFactory = _ => 0 };
        var interval = new Option<string?>("--allocation-interval") { Description = "Master allocation interval (HOCON duration, default 1s)" };
        var recovered = new Option<string?>("--recovered-allocation-delay") { Description = "Offer recovered resources again after this delay by a cycle over their agents (HOCON duration; default off: next interval)" };
        var holdOffers = new Option<int>("--hold-offers") { Description = "Unused offers each bench framework keeps in hand while idle, to launch new tasks at once (0 = decline all; new demand with no offer in hand REVIVEs either way)", DefaultValueFactory = _ => ScaleBenchOptions.DefaultHoldOffers };
        var noMasterMem = new Option<bool>("--no-master-memory") { Description = "Skip measuring the master alone after agents and frameworks leave" };
        var single = new Option<bool>("--single-system") { Description = "Run agents and frameworks inside the master's ActorSystem (no remoting, no serialization)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the master's registry and the agents' work dirs go (default: a new temp directory)" };
        var cmd = new Command("bench", "In-process load test: a master, simulated agents and frameworks; prints throughput, latency, allocation time, memory and /state time")
        {
            agents, frameworks, roles, tasks, shape, command, resources, duration, timeout, pollState, pollHttp, pollWhat, pollCompare, memorySplit, hold, rate, interval, recovered, holdOffers, noMasterMem, single, dataDir,
            BenchDocker(),
            FailoverBenchCommand.Create(),
            BenchRenderStateCommand.Create(),
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(agents) <= 0 || r.GetValue(frameworks) <= 0 || r.GetValue(tasks) < 0 || r.GetValue(roles) <= 0 || r.GetValue(holdOffers) < 0)
            { Console.Error.WriteLine("ck: --agents, --frameworks and --roles must be positive, --tasks and --hold-offers not negative"); return 2; }
            foreach (var (flag, text) in new[] { ("--shape", r.GetValue(shape)!), ("--resources", r.GetValue(resources)!) })
                if (!ClusterKernel.Resources.Resources.TryParse(text, out _, out var err)) { Console.Error.WriteLine($"ck: {flag}: {err}"); return 2; }
            var options = new ScaleBenchOptions
            {
                Agents = r.GetValue(agents), Frameworks = r.GetValue(frameworks), Roles = r.GetValue(roles), Tasks = r.GetValue(tasks),
                Shape = r.GetValue(shape)!, Command = r.GetValue(command)!, AgentResources = r.GetValue(resources)!,
                Duration = TimeSpan.FromSeconds(r.GetValue(duration)), Timeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
                PollState = r.GetValue(pollState), PollHttp = TimeSpan.FromSeconds(r.GetValue(pollHttp)), RegistrationsPerSecond = r.GetValue(rate),
                HoldMasterAlone = TimeSpan.FromSeconds(r.GetValue(hold)),
                PollEndpoints = r.GetValue(pollWhat)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                MeasureMasterMemory = !r.GetValue(noMasterMem), SingleSystem = r.GetValue(single), HoldOffers = r.GetValue(holdOffers),
                DataDir = r.GetValue(dataDir) is { } dd ? Path.GetFullPath(dd) : null,
                ExtraHocon = string.Join("\n", new[]
                {
                    r.GetValue(interval) is { } i ? $"clusterkernel.master.allocation-interval = {i}" : null,
                    r.GetValue(recovered) is { } d ? $"clusterkernel.master.recovered-allocation-delay = {d}" : null,
                }.Where(x => x != null)),
                Log = s => Console.Error.WriteLine(s),
            };
            // A malformed duration would otherwise surface as the master node's stack trace.
            try { ClusterKernel.Master.MasterSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString(options.ExtraHocon ?? "")); }
            catch (Exception e) { Console.Error.WriteLine($"ck: --allocation-interval / --recovered-allocation-delay: {e.Message.Split('\n')[0]}"); return 2; }
            Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] load: {File.ReadAllText("/proc/loadavg").Trim()} (nproc {Environment.ProcessorCount}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")})");
            if (options.PollEndpoints!.FirstOrDefault(e => !StatePoller.Known.Contains(e)) is { } unknown)
            { Console.Error.WriteLine($"ck: --poll-endpoints: unknown '{unknown}' (known: {string.Join(", ", StatePoller.Known)})"); return 2; }
            if (r.GetValue(pollHttp) < 0 || r.GetValue(pollCompare) < 0) { Console.Error.WriteLine("ck: --poll-http and --poll-compare must not be negative"); return 2; }
            if (r.GetValue(pollCompare) > 0)
            {
                var every = options.PollHttp > TimeSpan.Zero ? options.PollHttp : TimeSpan.FromSeconds(1);
                Console.Write(await ScaleBenchSeries.PollComparisonAsync(options, every, r.GetValue(pollCompare), ct));
                Console.WriteLine($"  load after runs: {File.ReadAllText("/proc/loadavg").Trim()}");
                return 0;
            }
            if (r.GetValue(memorySplit))
            {
                var split = await MemorySplitBench.RunAsync(options, ct);
                Console.Write(split.Table);
                Console.WriteLine($"  load after runs: {File.ReadAllText("/proc/loadavg").Trim()}");
                return split.Running == split.Tasks ? 0 : 1;
            }
            var result = await ScaleBench.RunAsync(options, ct);
            Console.Write(result.Table);
            Console.WriteLine($"  load after run: {File.ReadAllText("/proc/loadavg").Trim()}");
            return result.Running == options.Tasks ? 0 : 1;
        });
        return cmd;
    }

    /// <summary><c>ck bench docker</c>: container launch overhead on the real Docker engine (DOCKER_HOST), ClusterKernel against a direct create + start.</summary>
    public static Command BenchDocker()
    {
        var runs = new Option<int>("--runs") { Description = "Measured runs of each path", DefaultValueFactory = _ => 50 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured rounds first", DefaultValueFactory = _ => 3 };
        var image = new Option<string>("--image") { Description = "Image (must be present on the engine; it is not pulled)", DefaultValueFactory = _ => "clusterkernel/busybox:test" };
        var command = new Option<string>("--command") { Description = "Task command (shell)", DefaultValueFactory = _ => "sleep 30" };
        var shape = new Option<string>("--shape") { Description = "Resources of the task", DefaultValueFactory = _ => "cpus:0.1;mem:32" };
        var noRevive = new Option<bool>("--no-revive") { Description = "Skip the third path (no offer in hand: revive on submission)" };
        var cli = new Option<bool>("--cli") { Description = "Also time the literal `docker run -d` + `docker inspect` (docker CLI on PATH)" };
        var interval = new Option<string?>("--allocation-interval") { Description = "Master allocation interval (HOCON duration, default 1s)" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Registry, agent work dir and sandboxes (default: a new temp directory)" };
        var cmd = new Command("docker", "Container launch overhead on real Docker: submission -> TASK_RUNNING through ClusterKernel against a direct create + start of the same container, alternating")
        {
            runs, warmup, image, command, shape, noRevive, cli, interval, dataDir,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (r.GetValue(runs) <= 0 || r.GetValue(warmup) < 0) { Console.Error.WriteLine("ck: --runs must be positive, --warmup not negative"); return 2; }
            if (!ClusterKernel.Resources.Resources.TryParse(r.GetValue(shape), out _, out var err)) { Console.Error.WriteLine($"ck: --shape: {err}"); return 2; }
            var options = new DockerBenchOptions
            {
                Runs = r.GetValue(runs), Warmup = r.GetValue(warmup), Image = r.GetValue(image)!, Command = r.GetValue(command)!,
                Shape = r.GetValue(shape)!, Revive = !r.GetValue(noRevive), Cli = r.GetValue(cli),
                DataDir = r.GetValue(dataDir) is { } dd ? Path.GetFullPath(dd) : null,
                ExtraHocon = r.GetValue(interval) is { } i ? $"clusterkernel.master.allocation-interval = {i}" : null,
                Log = s => Console.Error.WriteLine(s),
            };
            Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] load: {File.ReadAllText("/proc/loadavg").Trim()} (nproc {Environment.ProcessorCount})");
            DockerBenchResult result;
            try { result = await DockerBench.RunAsync(options, ct); }
            catch (InvalidOperationException e) { Console.Error.WriteLine($"ck: {e.Message}"); return 1; }
            Console.Write(result.Table);
            Console.WriteLine($"  load after run: {File.ReadAllText("/proc/loadavg").Trim()}");
            return result.Failures == 0 ? 0 : 1;
        });
        return cmd;
    }
}
