using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ClusterKernel.Master;

/// <summary>
/// Majority fence: before each offer round the master checks, in its own node's view of the cluster, that it still sees a strict
/// majority of the master-role members as reachable (itself included). A leader cut off from the others sees them unreachable
/// once its failure detector gives up (~5 s) and holds its offers back from then on, while the majority starts a new master only
/// after its resolver's stable-after and removal margin (~9 s more): the two never offer at the same time, even when the cut
/// leader's own resolver is late (a loaded machine) to down it. Complements the pause fence (a resumed process still sees stale,
/// "reachable" members). Grants go back to the allocator, as with the pause fence. No cluster (unit tests): no fence.
/// Price: with two masters, losing one holds offers back until the resolver has removed it (keep-majority decides the tie).
/// </summary>
public sealed partial class Master
{
    private Cluster? _cluster;
    private bool _clusterLooked;
    private bool _majorityLost;

    /// <summary>True while this node sees no strict majority of master-role members reachable.</summary>
    private bool MajorityUnseen()
    {
        if (!_clusterLooked)
        {
            _clusterLooked = true;
            if (((ExtendedActorSystem)Context.System).Provider is ClusterActorRefProvider) _cluster = Cluster.Get(Context.System);
        }
        if (_cluster is null) return false;
        var state = _cluster.State;
        int masters = 0, reachable = 0;
        foreach (var m in state.Members)
        {
            if (!m.HasRole("master") || m.Status is not (MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting)) continue;
            masters++;
            if (!state.Unreachable.Contains(m)) reachable++;
        }
        // Not (yet) an Up member in its own view: nothing to count, do not fence (the singleton only runs on an Up member).
        var lost = masters > 0 && reachable * 2 <= masters;
        if (lost != _majorityLost)
        {
            _majorityLost = lost;
            if (lost) _log.Warning("Master sees only {0} of {1} masters reachable: holding offers back until a majority is reachable again", reachable, masters);
            else _log.Info("Master sees {0} of {1} masters reachable again: offering", reachable, masters);
        }
        return lost;
    }
}
