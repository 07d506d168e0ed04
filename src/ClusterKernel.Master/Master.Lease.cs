using Akka.Event;

namespace ClusterKernel.Master;

/// <summary>
/// Leader lease fence (<see cref="LeaderLease"/>): with the registry in a SQL database, the master offers only while its node holds
/// the lease, unexpired on this process's monotonic clock. It asks for the lease when it starts (the wait for the previous holder's
/// lease to expire overlaps registry recovery and agents' re-registration) and gives it up when it stops. A leader that was frozen
/// (SIGSTOP, GC pause) or cut off from the database finds its lease expired on its own clock and holds offers back, whatever its
/// failure detector still believes; a new master offers only after the old one's lease ran out. Grants go back to the allocator,
/// as with the other fences. Without a SQL registry (unit tests) the pause fence (Master.PauseFence.cs) stands in for it.
/// </summary>
public sealed partial class Master
{
    private LeaderLease? _lease;
    private bool _leaseFenced;

    private void LeaseStart()
    {
        _lease = LeaderLease.Get(Context.System);
        if (_lease.Enabled) _lease.Acquire();
    }

    private void LeaseStop()
    {
        if (_lease is { Enabled: true }) _lease.Release();
    }

    /// <summary>
    /// An ACCEPT reaching a master whose lease is no longer valid: its offers may already be the new master's to hand out, so they
    /// are rescinded first and the ACCEPT then finds them gone (its tasks TASK_LOST, REASON_INVALID_OFFERS, as after a failover).
    /// </summary>
    private void RescindIfLeaseLost(IReadOnlyList<OfferId> offerIds)
    {
        if (_lease is not { Enabled: true } || _lease.IsValid) return;
        foreach (var id in offerIds)
            if (_state.Offers.TryGetValue(id, out var offer)) Rescind(offer);
        _log.Warning("Master {0} holds no valid leader lease ({1}): ACCEPT of {2} offer(s) refused", _epoch, _lease.Describe(), offerIds.Count);
    }

    /// <summary>
    /// Offers were held back for want of the lease and it is valid now: allocate at once rather than at the next interval (after a
    /// failover the new master's first offers came up to an allocation interval after it took the lease).
    /// </summary>
    private void LeaseCameBack()
    {
        if (!_leaseFenced || !_lease!.IsValid) return;
        LeaseFenced();
        Allocator(_ => { }, allocate: true);
    }

    /// <summary>True while offers must be held back for want of a valid lease (or, with no lease, after a pause).</summary>
    private bool LeaseFenced()
    {
        if (_lease is not { Enabled: true }) return OfferFenced();
        var fenced = !_lease.IsValid;
        if (fenced != _leaseFenced)
        {
            _leaseFenced = fenced;
            if (fenced) _log.Warning("Master {0} holds no valid leader lease ({1}): holding offers back", _epoch, _lease.Describe());
            else _log.Info("Master {0} holds the leader lease ({1}): offering", _epoch, _lease.Describe());
        }
        return fenced;
    }
}
