using Akka.Event;

namespace ClusterKernel.Master;

/// <summary>
/// Offers are held back after this process was paused (SIGSTOP, a stalled VM): the majority may have replaced this master
/// meanwhile, and on resume the allocator's overdue tick would offer the agents' resources again — a second master offering them
/// (MasterPartitionTests caught one such offer) — in the ~0.2 s before a peer's "you were quarantined" makes this node down itself.
/// A 250 ms tick notices a gap of more than <see cref="PauseThreshold"/>; offers granted then, or for <see cref="FenceAfterPause"/>
/// after, go back to the allocator. Threshold: being replaced needs far longer (heartbeat pause 5 s + stable-after 7 s), so a
/// busy mailbox is rarely taken for a pause. Fence: longer than this node's own resolver needs (stable-after 7 s + 2 s margin)
/// to down it if no peer tells it first. Price: after a real pause of 4–12 s, offers from the rightful leader wait 10 s.
/// </summary>
public sealed partial class Master
{
    internal static readonly TimeSpan PauseThreshold = TimeSpan.FromSeconds(4);
    internal static readonly TimeSpan FenceAfterPause = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PauseTickInterval = TimeSpan.FromMilliseconds(250);
    private long _lastPauseTickMs = Environment.TickCount64;
    private long _fencedUntilMs;

    private sealed class PauseTick
    {
        public static readonly PauseTick Instance = new();
    }

    // With a leader lease the lease judges pauses (Master.Lease.cs): the tick then only keeps its bookkeeping, without the warning,
    // and looks whether a lease the master waited for has come.
    private void PauseFenceCommands() => Command<PauseTick>(_ =>
    {
        if (_lease is not { Enabled: true }) OfferFenced();
        else LeaseCameBack();
        _lastPauseTickMs = Environment.TickCount64;
    });

    /// <summary>From recovery on: recovery itself may take seconds and is no pause.</summary>
    private void StartPauseFence()
    {
        _lastPauseTickMs = Environment.TickCount64;
        Timers.StartPeriodicTimer("pause-tick", PauseTick.Instance, PauseTickInterval);
    }

    /// <summary>True while offers must be held back; notices a pause the tick has not seen yet (the allocator's message may come first).</summary>
    private bool OfferFenced()
    {
        var now = Environment.TickCount64;
        var gap = now - _lastPauseTickMs;
        if (gap > PauseThreshold.TotalMilliseconds)
        {
            if (now >= _fencedUntilMs)
                _log.Warning("Master paused for {0:F1} s (process stopped or starved): holding offers back for {1} s in case another master took over",
                    gap / 1000.0, FenceAfterPause.TotalSeconds);
            _fencedUntilMs = now + (long)FenceAfterPause.TotalMilliseconds;
            _lastPauseTickMs = now;
        }
        return now < _fencedUntilMs;
    }
}
