using System.Diagnostics;
using Akka.Actor;
using ClusterKernel.Allocation;
using ClusterKernel.Allocation.Preemption;

namespace ClusterKernel.Master;

/// <summary>A change for the allocator, from the master. Local only (a closure over immutable values), never crosses a node.</summary>
public sealed record AllocatorCall(Action<IAllocator> Apply, bool TriggersAllocation = false);
/// <summary>The allocator's grants of one cycle, for the master to turn into offers.</summary>
public sealed record OffersGranted(IReadOnlyList<OfferGrant> Grants);
public sealed record GetAllocatorMetrics { public static readonly GetAllocatorMetrics Instance = new(); }
/// <summary>Local only: allocations the allocator's preemption policy wants revoked, for the master to carry out.</summary>
public sealed record PreemptionsDecided(IReadOnlyList<PreemptionDecision> Decisions);
/// <summary>Local only: the allocator actor sends it to the master after every cycle.</summary>
public sealed record AllocatorMetrics(long AllocationRuns, double LastMs, double MeanMs, double P50Ms, double P90Ms, double P99Ms);

/// <summary>
/// Drives the pure <see cref="IAllocator"/>: applies the master's changes in order and runs a cycle every allocation interval,
/// plus once soon after events that can make offers (agent or framework added, revive) — coalesced, as Mesos batches them.
/// Running in its own actor keeps allocation off the master's message loop.
/// </summary>
public sealed class AllocatorActor : ReceiveActor, IWithTimers
{
    private sealed record Tick { public static readonly Tick Instance = new(); }
    private readonly IAllocator _allocator;
    private readonly IActorRef _master;
    private readonly Queue<double> _recent = new();
    private long _runs;
    private double _totalMs, _lastMs;
    private bool _allocationPending;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IAllocator allocator, IActorRef master, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new AllocatorActor(allocator, master, interval));

    public AllocatorActor(IAllocator allocator, IActorRef master, TimeSpan interval)
    {
        _allocator = allocator;
        _master = master;
        Receive<AllocatorCall>(c =>
        {
            c.Apply(_allocator);
            if (c.TriggersAllocation && !_allocationPending)
            {
                _allocationPending = true;
                Self.Tell(Tick.Instance);
            }
        });
        Receive<Tick>(_ => Allocate());
        Receive<GetAllocatorMetrics>(_ => Sender.Tell(Metrics()));
        Timers.StartPeriodicTimer("allocate", Tick.Instance, interval);
    }

    private void Allocate()
    {
        _allocationPending = false;
        var sw = Stopwatch.StartNew();
        var grants = _allocator.Allocate(DateTimeOffset.UtcNow);
        _lastMs = sw.Elapsed.TotalMilliseconds;
        _runs++;
        _totalMs += _lastMs;
        _recent.Enqueue(_lastMs);
        if (_recent.Count > 1000) _recent.Dequeue();
        if (grants.Count > 0) _master.Tell(new OffersGranted(grants));
        // After the cycle: whatever free resources could do for a short guarantee has been offered; the rest needs revoking.
        if (_allocator is IPreemptingAllocator p && p.ComputePreemptions() is { Count: > 0 } decisions) _master.Tell(new PreemptionsDecided(decisions));
        _master.Tell(Metrics()); // the master serves metrics without asking its child
    }

    private AllocatorMetrics Metrics()
    {
        var sorted = _recent.OrderBy(x => x).ToArray();
        double P(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return new AllocatorMetrics(_runs, _lastMs, _runs == 0 ? 0 : _totalMs / _runs, P(0.5), P(0.9), P(0.99));
    }
}
