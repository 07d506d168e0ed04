using Akka.Actor;
using Akka.Cluster;
using ClusterKernel.Protocol;

namespace ClusterKernel.Agent;

/// <summary>
/// Noticing a new master soon after a failover. The agent otherwise learns of a new master only from the answer to its next
/// heartbeat (every heartbeat-interval, 5 s), and heartbeats sent while the old leader was dying are lost: after a leader SIGKILL
/// 500 agents took up to 10.7 s past the new master's start to re-register. Mesos' agents learn of a new leader from ZooKeeper
/// and re-register after a random backoff of up to 1 s; here cluster membership plays ZooKeeper's part: when a master-role member
/// is removed (the singleton moves, if it was the leader), the agent probes at once with a heartbeat (after a small random delay,
/// to spread thousands of agents of one node) and again with backoff until some master answers. The answer is either an ack
/// (the leader did not change) or <see cref="ReregistrationRequired"/> from the new master, which makes the agent re-register
/// with its tasks as before. Regular heartbeats pause while probing (the proxy's buffer holds at most 10,000 messages).
/// </summary>
public sealed partial class Agent
{
    private sealed record ProbeTick { public static readonly ProbeTick Instance = new(); }
    private const string ProbeTimer = "master-probe";
    private static readonly TimeSpan FirstProbeRetry = TimeSpan.FromSeconds(2);
    private TimeSpan _probeDelay;
    private bool _probing;

    private void SubscribeToMasterChanges()
    {
        // Only in a cluster (unit tests run the agent on a local ActorSystem).
        if (((ExtendedActorSystem)Context.System).Provider is not Akka.Cluster.ClusterActorRefProvider) return;
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
    }

    private void MasterChangeReceives()
    {
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            if (!m.Member.HasRole("master") || _agentId is null || _masterEpoch is null || _probing) return;
            _probing = true;
            _probeDelay = FirstProbeRetry;
            Timers.StartSingleTimer(ProbeTimer, ProbeTick.Instance, TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)));
        });
        Receive<ProbeTick>(_ =>
        {
            if (!_probing) return;
            if (_agentId is { } id) _masterProxy.Tell(new AgentHeartbeat(id, _masterEpoch ?? ""));
            Timers.StartSingleTimer(ProbeTimer, ProbeTick.Instance, _probeDelay);
            _probeDelay = TimeSpan.FromTicks(Math.Min(_probeDelay.Ticks * 2, _settings.HeartbeatInterval.Ticks));
        });
    }

    /// <summary>Any answer from a master ends the probe.</summary>
    private void ProbeAnswered()
    {
        if (!_probing) return;
        _probing = false;
        Timers.Cancel(ProbeTimer);
    }
}
