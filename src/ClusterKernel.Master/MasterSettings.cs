using ClusterKernel.Protocol;
using Akka.Configuration;

namespace ClusterKernel.Master;

/// <summary>The master's settings, read once from <c>clusterkernel.master</c>.</summary>
public sealed record MasterSettings
{
    public TimeSpan AllocationInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Resources recovered unrefused (ended tasks, rescinds) are offered again by a cycle over just their agents this long
    /// after they come back (coalesced); null: they wait for the next interval, as in Mesos.</summary>
    public TimeSpan? RecoveredAllocationDelay { get; init; }
    public TimeSpan AgentPingTimeout { get; init; } = TimeSpan.FromSeconds(75);
    public TimeSpan AgentReregisterTimeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>Mesos' agent_removal_rate_limit, e.g. "1/10mins"; empty = unlimited.</summary>
    public string AgentRemovalRateLimit { get; init; } = "";
    public TimeSpan FrameworkHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan StateSnapshotMaxAge { get; init; } = TimeSpan.FromMilliseconds(250);
    public int MaxCompletedTasksPerFramework { get; init; } = 1000;
    /// <summary>Removed frameworks kept for /state (Mesos --max_completed_frameworks).</summary>
    public int MaxCompletedFrameworks { get; init; } = 50;
    /// <summary>Offers held longer are rescinded (Mesos --offer_timeout); null: never.</summary>
    public TimeSpan? OfferTimeout { get; init; }
    /// <summary>Role priorities for preemption (default 0): a role short of its quota guarantee may preempt lower-priority roles.</summary>
    public IReadOnlyDictionary<string, int> RolePriorities { get; init; } = new Dictionary<string, int>();
    /// <summary>Whether frameworks that declare task shapes (FrameworkInfo task_shapes) get offers cut to fit them.</summary>
    public bool ShapeAwareOffers { get; init; } = true;
    /// <summary>The registry is snapshotted once this many events were written since the last snapshot; 0: never.</summary>
    public int RegistrySnapshotEvery { get; init; } = 1000;
    public string JournalPlugin { get; init; } = "akka.persistence.journal.sql";
    public string SnapshotPlugin { get; init; } = "akka.persistence.snapshot-store.sql";

    public static Config DefaultConfig() => EmbeddedConfig.Load(typeof(MasterSettings), "ClusterKernel.Master.reference.conf");

    public static MasterSettings Create(Config config)
    {
        var c = config.WithFallback(DefaultConfig()).GetConfig("clusterkernel.master");
        // Parsed here as well, so that a malformed value stops the node at start, not the master actor at its start.
        ClusterKernel.Master.AgentRemovalRateLimit.Parse(c.GetString("agent-removal-rate-limit", ""));
        return new MasterSettings
        {
            AllocationInterval = c.GetTimeSpan("allocation-interval"),
            RecoveredAllocationDelay = c.GetString("recovered-allocation-delay", "off") is null or "" or "off" or "none" ? null : c.GetTimeSpan("recovered-allocation-delay"),
            AgentPingTimeout = c.GetTimeSpan("agent-ping-timeout"),
            AgentReregisterTimeout = c.GetTimeSpan("agent-reregister-timeout"),
            AgentRemovalRateLimit = c.GetString("agent-removal-rate-limit", ""),
            FrameworkHeartbeatInterval = c.GetTimeSpan("framework-heartbeat-interval"),
            StateSnapshotMaxAge = c.GetTimeSpan("state-snapshot-max-age"),
            MaxCompletedTasksPerFramework = c.GetInt("max-completed-tasks-per-framework"),
            MaxCompletedFrameworks = c.GetInt("max-completed-frameworks", 50),
            OfferTimeout = c.GetString("offer-timeout") is null or "" or "off" or "none" ? null : c.GetTimeSpan("offer-timeout"),
            RolePriorities = c.HasPath("role-priorities") && c.GetConfig("role-priorities") is { IsEmpty: false } priorities
                ? priorities.Root.GetObject().Items.ToDictionary(kv => kv.Key, kv => kv.Value.GetInt())
                : new Dictionary<string, int>(),
            ShapeAwareOffers = c.GetString("shape-aware-offers", "on") switch
            {
                "on" or "true" or "yes" => true,
                "off" or "false" or "no" => false,
                var v => throw new ConfigurationException($"clusterkernel.master.shape-aware-offers must be on or off, not '{v}'"),
            },
            RegistrySnapshotEvery = c.GetInt("registry-snapshot-every", 1000),
            JournalPlugin = c.GetString("journal-plugin"),
            SnapshotPlugin = c.GetString("snapshot-plugin"),
        };
    }
}
