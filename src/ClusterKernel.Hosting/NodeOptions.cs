namespace ClusterKernel.Hosting;

/// <summary>What a ClusterKernel node runs and where: set from `ck` flags, or by a service embedding ClusterKernel.</summary>
public sealed record NodeOptions
{
    /// <summary>Run the master singleton (and HTTP, and the built-in command framework) on this node.</summary>
    public bool Master { get; init; }
    /// <summary>Run an agent on this node.</summary>
    public bool Agent { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Akka remoting port; 0 = any free port.</summary>
    public int Port { get; init; }
    /// <summary>"host:port" of seed nodes. Empty on a master = it seeds itself.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = Array.Empty<string>();
    /// <summary>Registry database and agent work directory live here unless set apart.</summary>
    public string DataDir { get; init; } = DefaultDataDir();
    /// <summary>Master HTTP API address; null = no HTTP.</summary>
    public string? HttpUrl { get; init; } = "http://127.0.0.1:5050";
    /// <summary>Npgsql connection string; null = SQLite in <see cref="DataDir"/>.</summary>
    public string? PostgresConnection { get; init; }
    /// <summary>Mesos --resources for the agent; null = detect.</summary>
    public string? AgentResources { get; init; }
    public string? AgentAttributes { get; init; }
    /// <summary>Oversubscribed resources the agent reports as revocable (clusterkernel.agent.revocable-resources).</summary>
    public string? AgentRevocableResources { get; init; }
    public string? AgentWorkDir { get; init; }
    /// <summary>Extra HOCON layered over everything else (tests use it to shorten intervals).</summary>
    public string? ExtraHocon { get; init; }
    /// <summary>Name of the Akka ActorSystem; all nodes of a cluster must agree.</summary>
    public string SystemName { get; init; } = "clusterkernel";

    public static string DefaultDataDir() =>
        Path.Combine(Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : Path.GetTempPath(), ".clusterkernel");
}
