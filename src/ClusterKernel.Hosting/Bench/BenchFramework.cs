using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>Local only (bench driver → its frameworks): submit <paramref name="Count"/> more tasks now.</summary>
public sealed record SubmitTasks(int Count);
/// <param name="Times">False: counts only, empty timestamp arrays (the driver's progress poll, 5 a second: copying every
/// framework's four timestamp arrays each time was the bench's own largest allocation).</param>
public sealed record GetBenchStats(bool Times = true)
{
    public static readonly GetBenchStats Instance = new();
    public static readonly GetBenchStats CountsOnly = new(false);
}
/// <summary>Stopwatch timestamps per task (0 = not yet); index = task number within the framework.</summary>
public sealed record BenchStats(bool Subscribed, int Submitted, int Launched, int Running, int Failed, long[] SubmittedAt, long[] LaunchedAt, long[] StartingAt, long[] RunningAt)
{
    /// <summary>REVIVE calls sent (new demand with no offer in hand that fits).</summary>
    public int Revives { get; init; }
}

/// <summary>
/// A framework for <c>ck bench</c>, written as a Mesos framework should be for latency: keeps a queue of submitted tasks of one
/// shape and packs as many as fit into each offer (one ACCEPT per offer); holds up to <c>holdOffers</c> unused offers so new
/// tasks launch at once (Aurora holds offers for minutes by default; Mesos' offer timeout is off by default) and declines the
/// rest; when tasks arrive with no offer in hand it REVIVEs (once until offers come: the master runs one cycle for a burst);
/// when everything is launched it declines what it holds and SUPPRESSes. Status updates are acknowledged by
/// <see cref="FrameworkActor"/>. Records submission, ACCEPT, first TASK_STARTING and TASK_RUNNING times.
/// </summary>
public sealed class BenchFramework : FrameworkActor
{
    private static readonly Filters DeclineFilters = new() { RefuseSeconds = 1 };
    private readonly string _prefix;
    private readonly Res _shape;
    private readonly double _cpus, _mem, _disk;
    private readonly CommandInfo _command;
    private readonly int _holdOffers;
    private readonly long[] _submittedAt, _launchedAt, _startingAt, _runningAt;
    private readonly Queue<int> _pending = new();
    private readonly List<Offer> _held = new();
    private int _submitted, _launched, _running, _failed, _revives;
    private bool _suppressed, _revived;

    public static Props Props(IActorRef master, string name, string role, int capacity, Res shape, string command, int holdOffers = 0) =>
        Akka.Actor.Props.Create(() => new BenchFramework(master, name, role, capacity, shape, command, holdOffers));

    public BenchFramework(IActorRef master, string name, string role, int capacity, Res shape, string command, int holdOffers = 0)
        : base(new FrameworkInfo { Name = name, Roles = new[] { role }, FailoverTimeout = 3600 }, master)
    {
        _prefix = name + "-";
        _shape = shape;
        _cpus = shape.Scalar("cpus");
        _mem = shape.Scalar("mem");
        _disk = shape.Scalar("disk");
        _command = new CommandInfo { Value = command, Shell = true };
        _holdOffers = Math.Max(0, holdOffers);
        _submittedAt = new long[capacity];
        _runningAt = new long[capacity];
        _launchedAt = new long[capacity];
        _startingAt = new long[capacity];
        Receive<SubmitTasks>(m =>
        {
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < m.Count && _submitted < _submittedAt.Length; i++)
            {
                _submittedAt[_submitted] = now;
                _pending.Enqueue(_submitted++);
            }
            if (!IsSubscribed) return;
            Place();
            // New demand that the offers in hand cannot take: ask for offers now instead of at the next interval (this also
            // clears our filters). One REVIVE until offers arrive; the master coalesces a burst of them into one cycle.
            ReviveIfWanted();
        });
        Receive<GetBenchStats>(m => Sender.Tell(m.Times
            ? new BenchStats(IsSubscribed, _submitted, _launched, _running, _failed,
                (long[])_submittedAt.Clone(), (long[])_launchedAt.Clone(), (long[])_startingAt.Clone(), (long[])_runningAt.Clone()) { Revives = _revives }
            : new BenchStats(IsSubscribed, _submitted, _launched, _running, _failed, [], [], [], []) { Revives = _revives }));
    }

    protected override void OnResourceOffers(IReadOnlyList<Offer> offers)
    {
        _revived = false;
        _held.AddRange(offers);
        Place();
    }

    protected override void OnOfferRescinded(OfferId offerId) => _held.RemoveAll(o => o.Id == offerId);

    // Offers made before a re-subscription are void (the master rescinds a disconnected framework's offers without telling it).
    protected override void OnReregistered(FrameworkId frameworkId) { _held.Clear(); _revived = false; }

    /// <summary>Launches pending tasks on the offers in hand, then keeps at most the hold limit and declines the rest.</summary>
    private void Place()
    {
        var used = 0;
        var unused = new List<OfferId>();
        var keep = new List<Offer>();
        foreach (var offer in _held)
        {
            var n = _pending.Count == 0 ? 0 : Math.Min(Fit(offer.Resources.Unreserved()), _pending.Count);
            if (n <= 0)
            {
                // An offer too small for the shape is declined even with tasks pending (a filter on those resources only).
                if (_pending.Count > 0 || keep.Count >= _holdOffers || Done) unused.Add(offer.Id); else keep.Add(offer);
                continue;
            }
            used++;
            var tasks = new List<TaskInfo>(n);
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                var index = _pending.Dequeue();
                _launchedAt[index] = now;
                tasks.Add(new TaskInfo
                {
                    TaskId = new TaskId(_prefix + index), Name = _prefix + index, AgentId = offer.AgentId, Resources = _shape, Command = _command,
                });
            }
            _launched += n;
            Launch(offer, tasks, DeclineFilters);
        }
        if (used == 0 && unused.Count == 0) return; // nothing changed: everything in hand is kept
        _held.Clear();
        _held.AddRange(keep);
        if (unused.Count > 0) Decline(unused, DeclineFilters);
        if (Done && !_suppressed) { Suppress(); _suppressed = true; }
    }

    private void ReviveIfWanted()
    {
        if (_pending.Count > 0 && !_revived) { Revive(); _revived = true; _suppressed = false; _revives++; }
    }

    private bool Done => _pending.Count == 0 && _submitted == _submittedAt.Length;

    private int Fit(Res offered)
    {
        var n = int.MaxValue;
        if (_cpus > 0) n = Math.Min(n, (int)Math.Floor(offered.Scalar("cpus") / _cpus + 1e-9));
        if (_mem > 0) n = Math.Min(n, (int)Math.Floor(offered.Scalar("mem") / _mem + 1e-9));
        if (_disk > 0) n = Math.Min(n, (int)Math.Floor(offered.Scalar("disk") / _disk + 1e-9));
        return n == int.MaxValue ? 0 : n;
    }

    protected override void OnStatusUpdate(TaskStatus status)
    {
        var id = status.TaskId.Value;
        if (!id.StartsWith(_prefix, StringComparison.Ordinal) || !int.TryParse(id.AsSpan(_prefix.Length), out var index) ||
            index < 0 || index >= _runningAt.Length) return;
        if (status.State == TaskState.TASK_LOST && status.Reason == Reasons.InvalidOffers && _runningAt[index] == 0 && _startingAt[index] == 0)
        {
            // Launched on an offer that was no longer valid (e.g. a held one the master dropped): the task never started, so it
            // goes back to the queue and on to the next offer, as a Mesos scheduler retries it.
            _pending.Enqueue(index);
            _launched--;
            if (IsSubscribed) { Place(); ReviveIfWanted(); }
            return;
        }
        if (status.State == TaskState.TASK_STARTING && _startingAt[index] == 0) _startingAt[index] = Stopwatch.GetTimestamp();
        if (status.State == TaskState.TASK_RUNNING && _runningAt[index] == 0) { _runningAt[index] = Stopwatch.GetTimestamp(); _running++; }
        else if (status.State is TaskState.TASK_FAILED or TaskState.TASK_LOST or TaskState.TASK_ERROR or TaskState.TASK_DROPPED && _runningAt[index] == 0)
        {
            _failed++;
            Log.Warning("Bench task {0}: {1} {2}", id, status.State, status.Message);
        }
    }
}
