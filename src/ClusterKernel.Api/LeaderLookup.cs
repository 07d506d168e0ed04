using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>
/// The leading master as the master singleton names it (<see cref="GetLeaderInfo"/>), asked at most once a second per node:
/// the Ask queues in the master's mailbox behind scheduling traffic, and redirects and /state are asked for far more often.
/// Throws <see cref="AskTimeoutException"/> (or <see cref="TaskCanceledException"/>) when the singleton does not answer.
/// </summary>
public sealed class LeaderLookup(IActorRef master, TimeSpan timeout)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);
    private (LeaderInfo Info, DateTime At)? _cached;

    public async Task<LeaderInfo> GetAsync()
    {
        if (_cached is { } c && DateTime.UtcNow - c.At < CacheFor) return c.Info;
        var info = await master.Ask<LeaderInfo>(GetLeaderInfo.Instance, timeout);
        _cached = (info, DateTime.UtcNow);
        return info;
    }
}
