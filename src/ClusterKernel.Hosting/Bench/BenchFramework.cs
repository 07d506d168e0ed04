using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>Local only (bench driver → its frameworks): submit <paramref name="Count"/> more tasks now.</summary>
public sealed record SubmitTasks(int Count);
public sealed record GetBenchStats { public static readonly GetBenchStats Instance = new(); }
/// <summary>Stopwatch timestamps per task (0 = not yet); index = task number within the framework.</summary>
public sealed record BenchStats(bool Subscribed, int Submitted, int Launched, int Running, int Failed, long[] SubmittedAt, long[] LaunchedAt, long[] StartingAt, long[] RunningAt);

/// <summary>
/// A framework for <c>ck bench</c>: keeps a queue of submitted tasks of one shape, packs as many as fit into each offer
/// (one ACCEPT per offer), declines offers it cannot use, suppresses when its queue is empty and revives when tasks arrive.
/// Status updates are acknowledged by <see cref="FrameworkActor"/>. Records submission and first TASK_RUNNING times.
/// </summary>
public sealed class BenchFramework : FrameworkActor
{
    private static readonly Filters DeclineFilters = new() { RefuseSeconds = 1 };
    private readonly string _prefix;
    private readonly Res _shape;
    private readonly double _cpus, _mem, _disk;
    private readonly CommandInfo _command;
    private readonly long[] _submittedAt, _launchedAt, _startingAt, _runningAt;
    private readonly Queue<int> _pending = new();
    private int _submitted, _launched, _running, _failed;
    private bool _suppressed;

    public static Props Props(IActorRef master, string name, string role, int capacity, Res shape, string command) =>
        Akka.Actor.Props.Create(() => new BenchFramework(master, name, role, capacity, shape, command));

    public BenchFramework(IActorRef master, string name, string role, int capacity, Res shape, string command)
        : base(new FrameworkInfo { Name = name, Roles = new[] { role }, FailoverTimeout = 3600 }, master)
    {
        _prefix = name + "-";
        _shape = shape;
        _cpus = shape.Scalar("cpus");
        _mem = shape.Scalar("mem");
        _disk = shape.Scalar("disk");
        _command = new CommandInfo { Value = command, Shell = true };
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
            if (_suppressed && IsSubscribed) { Revive(); _suppressed = false; }
        });
        Receive<GetBenchStats>(_ => Sender.Tell(new BenchStats(IsSubscribed, _submitted, _launched, _running, _failed,
            (long[])_submittedAt.Clone(), (long[])_launchedAt.Clone(), (long[])_startingAt.Clone(), (long[])_runningAt.Clone())));
    }

    protected override void OnResourceOffers(IReadOnlyList<Offer> offers)
    {
        var unused = new List<OfferId>();
        foreach (var offer in offers)
        {
            var fit = Fit(offer.Resources.Unreserved());
            var n = Math.Min(fit, _pending.Count);
            if (n <= 0) { unused.Add(offer.Id); continue; }
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
        if (unused.Count > 0) Decline(unused, DeclineFilters);
        if (_pending.Count == 0 && !_suppressed && _submitted == _submittedAt.Length) { Suppress(); _suppressed = true; }
    }

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
        if (status.State == TaskState.TASK_STARTING && _startingAt[index] == 0) _startingAt[index] = Stopwatch.GetTimestamp();
        if (status.State == TaskState.TASK_RUNNING && _runningAt[index] == 0) { _runningAt[index] = Stopwatch.GetTimestamp(); _running++; }
        else if (status.State is TaskState.TASK_FAILED or TaskState.TASK_LOST or TaskState.TASK_ERROR or TaskState.TASK_DROPPED && _runningAt[index] == 0)
        {
            _failed++;
            Log.Warning("Bench task {0}: {1} {2}", id, status.State, status.Message);
        }
    }
}
