using System.Diagnostics;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// A PostgreSQL server of the test's own (initdb into a temp dir, a free port on 127.0.0.1, run as user postgres), for tests
/// that stop and start the database — never the shared server of CK_TEST_POSTGRES.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    public const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;
    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5;Command Timeout=10";
    /// <summary>Through its unix socket: reachable from processes in other network namespaces (a socket file is not in one).</summary>
    public string SocketConnectionString => $"Host={_dir};Port={Port};Username=postgres;Database=postgres;Timeout=5;Command Timeout=10";

    private PrivatePostgres(string dir, int port) { _dir = dir; Port = port; }

    public static bool Available => File.Exists(Path.Combine(BinDir, "initdb")) && File.Exists("/usr/sbin/runuser") && Environment.UserName == "root";

    public static async Task<PrivatePostgres> Start()
    {
        var dir = TestCluster.TempDir("private-pg");
        await Run("chown", "-R", "postgres", dir);
        var pg = new PrivatePostgres(dir, Ck.FreePort());
        await pg.AsPostgres(Path.Combine(BinDir, "initdb"), "-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres");
        await pg.StartServer();
        return pg;
    }

    public Task StartServer() => AsPostgres(Path.Combine(BinDir, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-w", "-l", Path.Combine(_dir, "server.log"),
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1", "start");

    public Task StopServer() => AsPostgres(Path.Combine(BinDir, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-w", "-m", "fast", "stop");

    private Task AsPostgres(params string[] args) => Run("runuser", new[] { "-u", "postgres", "--" }.Concat(args).ToArray());

    private static async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}\n{await stdout}{await stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopServer(); } catch (Exception) { /* already stopped */ }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
