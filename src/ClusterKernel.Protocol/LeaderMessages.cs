namespace ClusterKernel.Protocol;

/// <summary>HTTP layer to the master singleton (through the proxy): which node leads, and where its HTTP API listens.</summary>
public sealed record GetLeaderInfo : IClusterMessage
{
    public static readonly GetLeaderInfo Instance = new();
}

/// <param name="NodeAddress">The leading node's Akka address (Address.ToString()).</param>
/// <param name="HttpUrl">Its HTTP API ("http://host:port"), null when that node serves none.</param>
public sealed record LeaderInfo(string NodeAddress, string? HttpUrl) : IClusterMessage;
