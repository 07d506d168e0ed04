using System.CommandLine;
using ClusterKernel.Hosting.Bench;

namespace ClusterKernel.Cli.Commands;

/// <summary><c>ck bench failover</c>: SIGKILL the leading <c>ck master</c> under N simulated agents and T running tasks; time until all are back.</summary>
public static class FailoverBenchCommand
{
    public static Command Create()
    {
        var agents = new Option<int>("--agents") { Description = "Simulated agents (one ck agents process)", DefaultValueFactory = _ => 500 };
        var tasks = new Option<int>("--tasks") { Description = "Long-running tasks, spread evenly over the agents", DefaultValueFactory = _ => 5000 };
        var masters = new Option<int>("--masters") { Description = "ck master processes (2 or more)", DefaultValueFactory = _ => 3 };
        var postgres = new Option<string?>("--postgres") { Description = "Npgsql connection string of a PostgreSQL server (required); the run creates and drops its own database there" };
        var shape = new Option<string>("--shape") { Description = "Resources of every task", DefaultValueFactory = _ => "cpus:0.1;mem:32" };
        var resources = new Option<string>("--resources") { Description = "Resources of every agent", DefaultValueFactory = _ => "cpus:8;mem:32768;disk:100000;ports:[31000-32000]" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for each phase (registration, launch, recovery)", DefaultValueFactory = _ => 300 };
        var masterConfig = new Option<FileInfo?>("--master-config") { Description = "A HOCON file layered over the masters' configuration" };
        var agentConfig = new Option<FileInfo?>("--agent-config") { Description = "A HOCON file layered over the simulated agents' configuration" };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the nodes' directories and logs go (default: a new temp directory)" };
        var cmd = new Command("failover", "Leader failover at scale: M ck master processes, N simulated agents, T running tasks; SIGKILL the leader and time the new master's singleton start, every agent re-registered with its tasks, and offers flowing again")
        {
            agents, tasks, masters, postgres, shape, resources, timeout, masterConfig, agentConfig, dataDir,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValue(postgres)))
            { Console.Error.WriteLine("ck: bench failover needs --postgres 'Host=127.0.0.1;Port=5432;Username=postgres' (a fresh database is created there)"); return 2; }
            if (r.GetValue(agents) <= 0 || r.GetValue(tasks) < 0 || r.GetValue(masters) < 2)
            { Console.Error.WriteLine("ck: --agents must be positive, --tasks not negative, --masters at least 2"); return 2; }
            foreach (var (flag, text) in new[] { ("--shape", r.GetValue(shape)!), ("--resources", r.GetValue(resources)!) })
                if (!ClusterKernel.Resources.Resources.TryParse(text, out _, out var err)) { Console.Error.WriteLine($"ck: {flag}: {err}"); return 2; }
            foreach (var f in new[] { r.GetValue(masterConfig), r.GetValue(agentConfig) })
                if (f is { Exists: false }) { Console.Error.WriteLine($"ck: config file {f.FullName} does not exist"); return 2; }
            try { _ = new Npgsql.NpgsqlConnectionStringBuilder(r.GetValue(postgres)); }
            catch (ArgumentException e) { Console.Error.WriteLine($"ck: --postgres: {e.Message}"); return 2; }
            var options = new FailoverBenchOptions
            {
                Agents = r.GetValue(agents), Tasks = r.GetValue(tasks), Masters = r.GetValue(masters), Postgres = r.GetValue(postgres)!,
                Shape = r.GetValue(shape)!, AgentResources = r.GetValue(resources)!, Timeout = TimeSpan.FromSeconds(r.GetValue(timeout)),
                MasterHocon = r.GetValue(masterConfig) is { } mc ? File.ReadAllText(mc.FullName) : null,
                AgentHocon = r.GetValue(agentConfig) is { } ac ? File.ReadAllText(ac.FullName) : null,
                DataDir = r.GetValue(dataDir) is { } d ? Path.GetFullPath(d) : null,
                StartInfo = ChaosCommand.Self, Log = line => Console.Error.WriteLine(line),
            };
            Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] load: {File.ReadAllText("/proc/loadavg").Trim()} (nproc {Environment.ProcessorCount})");
            try
            {
                var result = await FailoverBench.RunAsync(options, ct);
                Console.Write(result.Table);
                return result.Ok ? 0 : 1;
            }
            catch (OperationCanceledException) { Console.Error.WriteLine("ck: bench failover interrupted; every process it started was stopped"); return 130; }
            catch (Exception e) when (e is TimeoutException or Akka.Actor.AskTimeoutException or Npgsql.NpgsqlException or System.Net.Sockets.SocketException)
            { Console.Error.WriteLine($"ck: bench failover: {e.Message}"); return 1; }
        });
        return cmd;
    }
}
