using ClusterKernel.Protocol;
using Akka.Configuration;
using ClusterKernel.Resources;

namespace ClusterKernel.Agent;

/// <summary>The agent's settings, read once from <c>clusterkernel.agent</c>.</summary>
public sealed record AgentSettings
{
    public required string WorkDir { get; init; }
    public required Resources.Resources Resources { get; init; }
    /// <summary>Oversubscribed resources the agent reports on top of <see cref="Resources"/>, each marked revocable (Mesos'
    /// fixed resource estimator, <c>--oversubscribed_resources</c>): offered only to frameworks with REVOCABLE_RESOURCES.</summary>
    public Resources.Resources RevocableResources { get; init; } = ClusterKernel.Resources.Resources.Empty;
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    public required string Hostname { get; init; }
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RegistrationRetryInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan StatusUpdateRetryMin { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan StatusUpdateRetryMax { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan KillGracePeriod { get; init; } = TimeSpan.FromSeconds(3);
    public IReadOnlyList<string> Containerizers { get; init; } = new[] { "docker", "process" };
    /// <summary>An agent-only node that sees no member with the master role for this long restarts its ActorSystem and joins its seeds again.</summary>
    public TimeSpan MasterLostRejoinAfter { get; init; } = TimeSpan.FromSeconds(15);

    public static Config DefaultConfig() => EmbeddedConfig.Load(typeof(AgentSettings), "ClusterKernel.Agent.reference.conf");

    /// <summary>Reads <c>clusterkernel.agent</c>; a malformed resources or attributes string throws <see cref="FormatException"/>.</summary>
    public static AgentSettings Create(Config config)
    {
        var c = config.WithFallback(DefaultConfig()).GetConfig("clusterkernel.agent");
        var workDir = Path.GetFullPath(c.GetString("work-dir"));
        var text = c.GetString("resources", "");
        var resources = string.IsNullOrWhiteSpace(text) ? Detect(workDir) : WithDefaults(ClusterKernel.Resources.Resources.Parse(text), workDir);
        var host = c.GetString("hostname", "");
        return new AgentSettings
        {
            WorkDir = workDir,
            Resources = resources,
            RevocableResources = ParseRevocable(c.GetString("revocable-resources", "")),
            Attributes = ParseAttributes(c.GetString("attributes", "")),
            Hostname = string.IsNullOrWhiteSpace(host) ? System.Net.Dns.GetHostName() : host,
            HeartbeatInterval = c.GetTimeSpan("heartbeat-interval"),
            RegistrationRetryInterval = c.GetTimeSpan("registration-retry-interval"),
            StatusUpdateRetryMin = c.GetTimeSpan("status-update-retry-min"),
            StatusUpdateRetryMax = c.GetTimeSpan("status-update-retry-max"),
            KillGracePeriod = c.GetTimeSpan("kill-grace-period"),
            MasterLostRejoinAfter = c.GetTimeSpan("master-lost-rejoin-after"),
            Containerizers = c.GetString("containerizers").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
    }

    /// <summary>Mesos --resources syntax for the oversubscribed (revocable) resources, e.g. "cpus:4;mem:1024"; empty = none.
    /// They must be unreserved (Mesos offers revocable resources as "*").</summary>
    public static Resources.Resources ParseRevocable(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return ClusterKernel.Resources.Resources.Empty;
        var parsed = ClusterKernel.Resources.Resources.Parse(text);
        if (parsed.FirstOrDefault(r => r.IsReserved) is { } reserved)
            throw new FormatException($"revocable resource '{reserved}' is reserved; revocable resources must be unreserved");
        return ClusterKernel.Resources.Resources.From(parsed.Select(r => r with { Revocable = true }));
    }

    /// <summary>Mesos --attributes: "rack:r1;zone:a".</summary>
    public static IReadOnlyDictionary<string, string> ParseAttributes(string text)
    {
        var d = new Dictionary<string, string>();
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var i = part.IndexOf(':');
            if (i <= 0) throw new FormatException($"attribute '{part}' is not NAME:VALUE (e.g. 'rack:r1;zone:a')");
            d[part[..i].Trim()] = part[(i + 1)..].Trim();
        }
        return d;
    }

    /// <summary>What this machine has, as Mesos detects it: all cores, memory less what the OS needs, free disk of the work dir, ports 31000-32000.</summary>
    public static Resources.Resources Detect(string workDir) => WithDefaults(ClusterKernel.Resources.Resources.Empty, workDir);

    private static Resources.Resources WithDefaults(Resources.Resources given, string workDir)
    {
        var list = given.ToList();
        bool Has(string name) => given.Any(r => r.Name == name);
        if (!Has("cpus")) list.Add(Resource.OfScalar("cpus", Environment.ProcessorCount));
        if (!Has("mem"))
        {
            var totalMb = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024.0);
            // Mesos leaves min(1 GB, half) to the OS.
            list.Add(Resource.OfScalar("mem", Math.Floor(totalMb - Math.Min(1024, totalMb / 2))));
        }
        if (!Has("disk"))
        {
            Directory.CreateDirectory(workDir);
            var freeMb = new DriveInfo(Path.GetPathRoot(workDir) ?? "/").AvailableFreeSpace / (1024.0 * 1024.0);
            list.Add(Resource.OfScalar("disk", Math.Floor(Math.Max(0, freeMb - Math.Min(5120, freeMb / 2)))));
        }
        if (!Has("ports")) list.Add(Resource.OfRanges("ports", new[] { new ValueRange(31000, 32000) }));
        return ClusterKernel.Resources.Resources.From(list);
    }
}
