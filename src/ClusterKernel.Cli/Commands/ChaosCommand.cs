using System.CommandLine;
using System.Diagnostics;
using ClusterKernel.Hosting.Chaos;

namespace ClusterKernel.Cli.Commands;

/// <summary><c>ck chaos --minutes N --postgres CONN</c>: a soak run with random faults on real processes, then the invariants.</summary>
public static class ChaosCommand
{
    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "Minutes of load and faults (a settle period and the checks follow)", DefaultValueFactory = _ => 5 };
        var agents = new Option<int>("--agents") { Description = "ck agent processes", DefaultValueFactory = _ => 3 };
        var seed = new Option<int?>("--seed") { Description = "Seed of the random faults and load (default: random, printed)" };
        var postgres = new Option<string?>("--postgres") { Description = "Npgsql connection string of a PostgreSQL server (required); the run creates its own database there" };
        var settle = new Option<double>("--settle") { Description = "Seconds without faults before the checks", DefaultValueFactory = _ => 30 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where the nodes' directories and logs go (default: a new temp directory)" };
        var cmd = new Command("chaos", "Soak test: 3 ck master + K ck agent processes, a framework launching and killing tasks, random leader kills, agent kills and master freezes; checks the invariants at the end (exit 0 ok, 1 violated)")
        {
            minutes, agents, seed, postgres, settle, dataDir,
        };
        cmd.SetAction(async (r, ct) =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValue(postgres)))
            { Console.Error.WriteLine("ck: chaos needs --postgres 'Host=127.0.0.1;Port=5432;Username=postgres' (a PostgreSQL server; a fresh database is created there)"); return 2; }
            if (r.GetValue(minutes) <= 0 || r.GetValue(agents) <= 0 || r.GetValue(settle) < 0)
            { Console.Error.WriteLine("ck: --minutes and --agents must be positive, --settle not negative"); return 2; }
            try { _ = new Npgsql.NpgsqlConnectionStringBuilder(r.GetValue(postgres)); }
            catch (ArgumentException e) { Console.Error.WriteLine($"ck: --postgres: {e.Message}"); return 2; }
            var s = r.GetValue(seed) ?? Random.Shared.Next(1, 1_000_000);
            Console.WriteLine($"ck chaos: seed {s} (repeat with --seed {s})");
            var options = new ChaosOptions
            {
                Minutes = r.GetValue(minutes), Agents = r.GetValue(agents), Seed = s, Postgres = r.GetValue(postgres)!,
                SettleSeconds = r.GetValue(settle), StartInfo = Self,
                DataDir = r.GetValue(dataDir) is { } d ? Path.GetFullPath(d) : null,
                Log = line => Console.Error.WriteLine(line),
            };
            try
            {
                var result = await new ChaosRun(options).RunAsync(ct);
                Console.Write(result.Summary);
                return result.Violations == 0 ? 0 : 1;
            }
            catch (OperationCanceledException) { Console.Error.WriteLine("ck: chaos interrupted; every process it started was stopped"); return 130; }
            catch (Exception e) when (e is TimeoutException or Npgsql.NpgsqlException or System.Net.Sockets.SocketException)
            { Console.Error.WriteLine($"ck: chaos: {e.Message}"); return 1; }
        });
        return cmd;
    }

    /// <summary>This same ck: the apphost directly, or `dotnet ck.dll`.</summary>
    internal static ProcessStartInfo Self(string[] args)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(typeof(ChaosCommand).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }
}
