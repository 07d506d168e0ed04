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
public sealed record AllocatorMetrics(long AllocationRuns, double LastMs, double MeanMs, double P50Ms, double P90Ms, double P99Ms)
{
    /// <summary>Not in Mesos (allocator/ck/...): where a round's time goes and the event-triggered cycles; see AllocatorActor.</summary>
    public IReadOnlyDictionary<string, double> Extra { get; init; } = new Dictionary<string, double>();
}

/// <summary>
/// Drives the pure <see cref="IAllocator"/>: applies the master's changes in order and runs a cycle every allocation interval,
/// plus once soon after events that can make offers (agent or framework added, revive) — coalesced, as Mesos batches them.
/// With <paramref name="recoveredDelay"/> set, resources that come back unrefused (ended tasks, rescinds) are offered again by a
/// cycle over just those agents that long after the first of them (coalesced), instead of waiting for the next interval
/// (MESOS-3078); refusals wait for the next cycle (see <see cref="IIncrementalAllocator.RecoveredAgents"/>). Running in its own actor keeps allocation off the master's message loop.
/// </summary>
public sealed class AllocatorActor : ReceiveActor, IWithTimers
{
    /// <summary>The periodic cycle, due at <see cref="Due"/> (Stopwatch ticks): how late it starts is the mailbox's backlog.</summary>
    private sealed record Tick(long Due);
    private sealed record Triggered { public static readonly Triggered Instance = new(); }
    private sealed record RecoveredTick { public static readonly RecoveredTick Instance = new(); }
    private readonly IAllocator _allocator;
    private readonly IActorRef _master;
    private readonly TimeSpan _interval;
    private readonly TimeSpan? _recoveredDelay;
    private readonly Window _wall = new(), _cpu = new(), _gc = new(), _late = new(), _calls = new(), _callsMs = new(), _incremental = new(), _incrementalCpu = new();
    private long _runs, _incrementalRuns, _grants, _incrementalGrants, _callsSince;
    private double _totalMs, _lastMs, _callsMsSince;
    private bool _allocationPending, _recoveredPending;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IAllocator allocator, IActorRef master, TimeSpan interval, TimeSpan? recoveredDelay = null) =>
        Akka.Actor.Props.Create(() => new AllocatorActor(allocator, master, interval, recoveredDelay));

    public AllocatorActor(IAllocator allocator, IActorRef master, TimeSpan interval, TimeSpan? recoveredDelay = null)
    {
        _allocator = allocator;
        _master = master;
        _interval = interval;
        _recoveredDelay = allocator is IIncrementalAllocator ? recoveredDelay : null;
        Receive<AllocatorCall>(c =>
        {
            var t0 = Stopwatch.GetTimestamp();
            c.Apply(_allocator);
            _callsSince++;
            _callsMsSince += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (c.TriggersAllocation && !_allocationPending)
            {
                _allocationPending = true;
                Self.Tell(Triggered.Instance);
            }
            else if (_recoveredDelay is { } delay && !_recoveredPending && !_allocationPending && ((IIncrementalAllocator)_allocator).RecoveredAgents > 0)
            {
                _recoveredPending = true;
                if (delay <= TimeSpan.Zero) Self.Tell(RecoveredTick.Instance);
                else Timers.StartSingleTimer("recovered", RecoveredTick.Instance, delay);
            }
        });
        Receive<Tick>(t =>
        {
            _late.Add(Stopwatch.GetElapsedTime(t.Due).TotalMilliseconds);
            // The next one is due an interval after this one was due: a fixed rate, as the periodic timer gave.
            var next = t.Due + (long)(_interval.TotalSeconds * Stopwatch.Frequency);
            Timers.StartSingleTimer("allocate", new Tick(next), Max(TimeSpan.Zero, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next)));
            Allocate();
        });
        Receive<Triggered>(_ => Allocate());
        Receive<RecoveredTick>(_ => AllocateRecovered());
        Receive<GetAllocatorMetrics>(_ => Sender.Tell(Metrics()));
        var due = Stopwatch.GetTimestamp() + (long)(interval.TotalSeconds * Stopwatch.Frequency);
        Timers.StartSingleTimer("allocate", new Tick(due), interval);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void Allocate()
    {
        _allocationPending = false;
        _recoveredPending = false; // a full cycle visits the recovered agents too
        Timers.Cancel("recovered");
        _calls.Add(_callsSince);
        _callsMs.Add(_callsMsSince);
        _callsSince = 0;
        _callsMsSince = 0;
        var gc0 = GC.GetTotalPauseDuration();
        var cpu0 = ThreadCpu.NowMs();
        var sw = Stopwatch.StartNew();
        var grants = _allocator.Allocate(DateTimeOffset.UtcNow);
        _lastMs = sw.Elapsed.TotalMilliseconds;
        _cpu.Add(ThreadCpu.NowMs() - cpu0);
        _gc.Add((GC.GetTotalPauseDuration() - gc0).TotalMilliseconds);
        _runs++;
        _totalMs += _lastMs;
        _wall.Add(_lastMs);
        _grants += grants.Count;
        if (grants.Count > 0) _master.Tell(new OffersGranted(grants));
        // After the cycle: whatever free resources could do for a short guarantee has been offered; the rest needs revoking.
        if (_allocator is IPreemptingAllocator p && p.ComputePreemptions() is { Count: > 0 } decisions) _master.Tell(new PreemptionsDecided(decisions));
        _master.Tell(Metrics()); // the master serves metrics without asking its child
    }

    private void AllocateRecovered()
    {
        if (!_recoveredPending) return; // a full cycle ran meanwhile
        _recoveredPending = false;
        var cpu0 = ThreadCpu.NowMs();
        var sw = Stopwatch.StartNew();
        var grants = ((IIncrementalAllocator)_allocator).AllocateRecovered(DateTimeOffset.UtcNow);
        _incremental.Add(sw.Elapsed.TotalMilliseconds);
        _incrementalCpu.Add(ThreadCpu.NowMs() - cpu0);
        _incrementalRuns++;
        _incrementalGrants += grants.Count;
        if (grants.Count > 0) _master.Tell(new OffersGranted(grants));
    }

    private AllocatorMetrics Metrics()
    {
        var extra = new Dictionary<string, double>
        {
            ["allocator/ck/grants"] = _grants,
            ["allocator/ck/incremental_runs"] = _incrementalRuns,
            ["allocator/ck/incremental_grants"] = _incrementalGrants,
        };
        void Put(string name, Window w)
        {
            extra[name + "/p50"] = w.P(0.5);
            extra[name + "/p99"] = w.P(0.99);
            extra[name + "/max"] = w.P(1);
            extra[name + "/sum"] = w.Sum;
        }
        Put("allocator/ck/run_cpu_ms", _cpu);         // the allocator thread's own CPU in a full cycle
        Put("allocator/ck/run_gc_pause_ms", _gc);     // GC pauses (whole process) inside a full cycle
        Put("allocator/ck/tick_late_ms", _late);      // periodic cycle started this long after it was due (mailbox backlog)
        Put("allocator/ck/calls_between_runs", _calls);       // master calls applied since the previous full cycle
        Put("allocator/ck/calls_ms_between_runs", _callsMs);  // and the time spent applying them
        Put("allocator/ck/incremental_run_ms", _incremental);
        Put("allocator/ck/incremental_run_cpu_ms", _incrementalCpu);
        return new AllocatorMetrics(_runs, _lastMs, _runs == 0 ? 0 : _totalMs / _runs, _wall.P(0.5), _wall.P(0.9), _wall.P(0.99)) { Extra = extra };
    }

    /// <summary>The last 1000 samples (NaN ones skipped), for percentiles. Sorted once per change, not once per percentile: the
    /// metrics follow every cycle, and while 10,000 agents re-register cycles run back to back (24 sorts a cycle showed in the profile).</summary>
    private sealed class Window
    {
        private readonly Queue<double> _q = new();
        private double[]? _sorted;
        public double Sum { get; private set; }
        public void Add(double v)
        {
            if (double.IsNaN(v)) return;
            _q.Enqueue(v);
            Sum += v;
            if (_q.Count > 1000) _q.Dequeue();
            _sorted = null;
        }
        public double P(double q)
        {
            if (_q.Count == 0) return 0;
            if (_sorted is null) { _sorted = _q.ToArray(); Array.Sort(_sorted); }
            return _sorted[Math.Min(_sorted.Length - 1, (int)(q * _sorted.Length))];
        }
    }
}
