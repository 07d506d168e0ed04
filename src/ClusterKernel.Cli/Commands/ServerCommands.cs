using System.CommandLine;
using ClusterKernel.Hosting;

namespace ClusterKernel.Cli.Commands;

/// <summary>`ck master`, `ck agent`, `ck up`: start a node and run until Ctrl+C or SIGTERM, then leave the cluster gracefully.</summary>
public static class ServerCommands
{
    public const int DefaultClusterPort = 5051;

    public static Command Master()
    {
        var o = new NodeFlags(defaultPort: DefaultClusterPort, master: true, agent: false);
        var cmd = new Command("master", "Start a master node (runs the master singleton when it is the oldest master).");
        o.AddTo(cmd);
        cmd.SetAction((r, ct) => RunAsync(o.ToOptions(r), ct));
        return cmd;
    }

    public static Command Agent()
    {
        var o = new NodeFlags(defaultPort: 0, master: false, agent: true);
        var cmd = new Command("agent", "Start an agent node that joins the master at --master HOST:PORT and runs tasks.");
        o.AddTo(cmd);
        cmd.SetAction((r, ct) => RunAsync(o.ToOptions(r), ct));
        return cmd;
    }

    public static Command Up()
    {
        var o = new NodeFlags(defaultPort: DefaultClusterPort, master: true, agent: true);
        var cmd = new Command("up", "Run a master, an agent and the built-in command framework in one process (single machine).");
        o.AddTo(cmd);
        cmd.SetAction((r, ct) => RunAsync(o.ToOptions(r), ct));
        return cmd;
    }

    private static async Task<int> RunAsync(NodeOptions? options, CancellationToken ct)
    {
        if (options is null) return 2;
        ClusterNode node;
        try
        {
            node = await ClusterNode.StartAsync(options, ct);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"ck: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or AggregateException)
        {
            Console.Error.WriteLine($"ck: cannot start the node: {e.GetBaseException().Message}");
            return 1;
        }
        var roles = string.Join("+", new[] { options.Master ? "master" : null, options.Agent ? "agent" : null }.OfType<string>());
        Console.WriteLine($"ClusterKernel {roles} node at {node.Address}" +
                          (node.HttpUrl is not null ? $", HTTP {node.HttpUrl}" : "") +
                          (options.Agent ? $", containerizers {string.Join(",", node.Containerizers)}" : "") +
                          $", data {options.DataDir}. Ctrl+C stops it.");
        // As Mesos' master, exit with one clear line when the registry cannot be recovered for a reason retrying will not fix
        // (RegistryHealth.GaveUp); the process supervisor restarts it. A database outage is retried in-process instead.
        string? gaveUp = null;
        try
        {
            while (gaveUp is null)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                gaveUp = options.Master ? ClusterKernel.Master.RegistryHealth.Get(node.System).GaveUp : null;
            }
        }
        catch (OperationCanceledException) { }
        if (gaveUp is not null) Console.Error.WriteLine($"ck: {gaveUp}");
        Console.WriteLine("ck: leaving the cluster");
        await node.DisposeAsync();
        return gaveUp is null ? 0 : 1;
    }

    /// <summary>The flags the node commands share.</summary>
    private sealed class NodeFlags
    {
        private readonly bool _master, _agent;
        private readonly Option<string> _host = new("--host") { Description = "Address to bind and announce (loopback by default)", DefaultValueFactory = _ => "127.0.0.1" };
        private readonly Option<int> _port;
        private readonly Option<string[]> _seeds = new("--seed") { Description = "Seed node HOST:PORT (repeatable); all nodes must list the same seeds in the same order" };
        private readonly Option<string> _masterAddr = new("--master") { Description = "HOST:PORT of a master node to join" };
        private readonly Option<string> _http = new("--http") { Description = "HTTP API address HOST:PORT (master)", DefaultValueFactory = _ => "127.0.0.1:5050" };
        private readonly Option<string> _dataDir = new("--data-dir") { Description = "Registry database and agent work directory", DefaultValueFactory = _ => NodeOptions.DefaultDataDir() };
        private readonly Option<string?> _postgres = new("--postgres") { Description = "Npgsql connection string: keep the registry in PostgreSQL instead of SQLite" };
        private readonly Option<string?> _resources = new("--resources") { Description = "Agent resources in Mesos syntax, e.g. 'cpus:4;mem:8192;ports:[31000-32000]' (default: detected)" };
        private readonly Option<string?> _revocable = new("--revocable-resources") { Description = "Oversubscribed agent resources offered as revocable (REVOCABLE_RESOURCES frameworks only), e.g. 'cpus:4;mem:1024'" };
        private readonly Option<string?> _attributes = new("--attributes") { Description = "Agent attributes, e.g. 'rack:r1;zone:a'" };
        private readonly Option<string?> _workDir = new("--work-dir") { Description = "Agent work directory (sandboxes); default DATA_DIR/agent" };
        private readonly Option<FileInfo?> _config = new("--config") { Description = "A HOCON file layered over the built-in configuration" };

        public NodeFlags(int defaultPort, bool master, bool agent)
        {
            _master = master;
            _agent = agent;
            _port = new Option<int>("--port") { Description = "Cluster (Akka remoting) port; 0 = any free port", DefaultValueFactory = _ => defaultPort };
        }

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { _host, _port, _seeds, _dataDir, _config }) cmd.Options.Add(o);
            if (_master) { cmd.Options.Add(_http); cmd.Options.Add(_postgres); }
            if (_agent) { cmd.Options.Add(_resources); cmd.Options.Add(_revocable); cmd.Options.Add(_attributes); cmd.Options.Add(_workDir); }
            if (_agent && !_master) cmd.Options.Add(_masterAddr);
        }

        public NodeOptions? ToOptions(ParseResult r)
        {
            var seeds = (r.GetValue(_seeds) ?? Array.Empty<string>()).ToList();
            if (_agent && !_master)
            {
                var m = r.GetValue(_masterAddr);
                if (string.IsNullOrWhiteSpace(m) && seeds.Count == 0) return Fail("ck agent needs --master HOST:PORT (the master's cluster port, 5051 by default)");
                if (!string.IsNullOrWhiteSpace(m)) seeds.Insert(0, m);
            }
            foreach (var s in seeds)
                if (!IsHostPort(s)) return Fail($"'{s}' is not HOST:PORT");
            string? extra = null;
            if (r.GetValue(_config) is { } file)
            {
                if (!file.Exists) return Fail($"config file {file.FullName} does not exist");
                extra = File.ReadAllText(file.FullName);
            }
            // Checked here too so the message names the flag (the node reports the same error without saying where it came from).
            if (_agent && r.GetValue(_resources) is { } res && !ClusterKernel.Resources.Resources.TryParse(res, out _, out var resError))
                return Fail($"--resources: {resError}");
            if (_agent && r.GetValue(_revocable) is { } rev)
            {
                try { ClusterKernel.Agent.AgentSettings.ParseRevocable(rev); }
                catch (FormatException e) { return Fail($"--revocable-resources: {e.Message}"); }
            }
            string? http = null;
            if (_master)
            {
                var h = r.GetValue(_http)!;
                if (!IsHostPort(h)) return Fail($"--http '{h}' is not HOST:PORT");
                http = "http://" + h;
            }
            return new NodeOptions
            {
                Master = _master, Agent = _agent, Host = r.GetValue(_host)!, Port = r.GetValue(_port), Seeds = seeds,
                DataDir = Path.GetFullPath(r.GetValue(_dataDir)!), HttpUrl = http,
                PostgresConnection = _master ? r.GetValue(_postgres) : null,
                AgentResources = _agent ? r.GetValue(_resources) : null,
                AgentAttributes = _agent ? r.GetValue(_attributes) : null,
                AgentRevocableResources = _agent ? r.GetValue(_revocable) : null,
                AgentWorkDir = _agent ? r.GetValue(_workDir) : null,
                ExtraHocon = extra,
            };
        }

        private static bool IsHostPort(string s)
        {
            var i = s.LastIndexOf(':');
            return i > 0 && int.TryParse(s[(i + 1)..], out var p) && p is >= 0 and < 65536;
        }

        private static NodeOptions? Fail(string message)
        {
            Console.Error.WriteLine($"ck: {message}");
            return null;
        }
    }
}
