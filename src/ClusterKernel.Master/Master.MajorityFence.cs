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
/// A tie (half of an even number) counts as kept only on the side of the lowest-address master, as keep-majority decides it.
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
        var (reachable, masters, lost) = MasterMajority.Of(_cluster);
        if (lost != _majorityLost)
        {
            _majorityLost = lost;
            if (lost) _log.Warning("Master sees only {0} of {1} masters reachable: holding offers back until a majority is reachable again", reachable, masters);
            else _log.Info("Master sees {0} of {1} masters reachable again: offering", reachable, masters);
        }
        return lost;
    }
}

/// <summary>This node's view of the master-role members (Up, Leaving, Exiting): how many it sees reachable, itself included.</summary>
public static class MasterMajority
{
    /// <summary>Lost: no strict majority reachable, or exactly half without the lowest-address master (keep-majority's tie-break).
    /// Not lost while this node counts no master at all (not yet Up in its own view).</summary>
    public static (int Reachable, int Masters, bool Lost) Of(Cluster cluster)
    {
        var state = cluster.State;
        return Of(state.Members.Where(m => m.HasRole("master") && m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting)
            .Select(m => (m.Address, !state.Unreachable.Contains(m))));
    }

    /// <summary>The rule itself, over the master-role members' addresses and whether each is reachable.</summary>
    public static (int Reachable, int Masters, bool Lost) Of(IEnumerable<(Address Address, bool Reachable)> masters)
    {
        var all = masters.ToList();
        var reachable = all.Count(m => m.Reachable);
        var lost = all.Count > 0 && (reachable * 2 < all.Count
            || (reachable * 2 == all.Count && !all.OrderBy(m => m.Address, Member.AddressOrdering).First().Reachable));
        return (reachable, all.Count, lost);
    }
}
