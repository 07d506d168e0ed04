using ClusterKernel.Protocol;
using Akka.Configuration;

namespace ClusterKernel.Master;

/// <summary>The master's settings, read once from <c>clusterkernel.master</c>.</summary>
public sealed record MasterSettings
{
    public TimeSpan AllocationInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan AgentPingTimeout { get; init; } = TimeSpan.FromSeconds(75);
    public TimeSpan AgentReregisterTimeout { get; init; } = TimeSpan.FromMinutes(10);
    public TimeSpan FrameworkHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan StateSnapshotMaxAge { get; init; } = TimeSpan.FromMilliseconds(250);
    public int MaxCompletedTasksPerFramework { get; init; } = 1000;
    public string JournalPlugin { get; init; } = "akka.persistence.journal.sql";
    public string SnapshotPlugin { get; init; } = "akka.persistence.snapshot-store.sql";

    public static Config DefaultConfig() => EmbeddedConfig.Load(typeof(MasterSettings), "ClusterKernel.Master.reference.conf");

    public static MasterSettings Create(Config config)
    {
        var c = config.WithFallback(DefaultConfig()).GetConfig("clusterkernel.master");
        return new MasterSettings
        {
            AllocationInterval = c.GetTimeSpan("allocation-interval"),
            AgentPingTimeout = c.GetTimeSpan("agent-ping-timeout"),
            AgentReregisterTimeout = c.GetTimeSpan("agent-reregister-timeout"),
            FrameworkHeartbeatInterval = c.GetTimeSpan("framework-heartbeat-interval"),
            StateSnapshotMaxAge = c.GetTimeSpan("state-snapshot-max-age"),
            MaxCompletedTasksPerFramework = c.GetInt("max-completed-tasks-per-framework"),
            JournalPlugin = c.GetString("journal-plugin"),
            SnapshotPlugin = c.GetString("snapshot-plugin"),
        };
    }
}
