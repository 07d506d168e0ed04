using System.Diagnostics;
using Akka.Actor;
using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>Local only (failover bench → its framework): what the framework has seen so far.</summary>
public sealed record GetFailoverStats { public static readonly GetFailoverStats Instance = new(); }

/// <summary>Stopwatch timestamps (0 = not yet). <see cref="FirstOfferAfterResubscribe"/>: the first offer after the latest re-subscription.</summary>
public sealed record FailoverStats(
    bool Subscribed, int Launched, int Running, int Resubscriptions, long LastResubscribedAt, long FirstOfferAfterResubscribe,
    int TerminalAfterRunning, int RunningOnTwoAgents, IReadOnlyDictionary<string, int> NonRunningUpdates);

/// <summary>
/// The framework of <c>ck bench failover</c>: launches <c>capacity</c> tasks (at most <c>perOffer</c> per offer), suppresses once all are
/// launched, and records per task the agent that reported it RUNNING. After a re-subscription (a new master asked for it) it
/// records the first offer it gets, declines it and suppresses again, so offers are measured without launching anything new.
/// A task reported RUNNING from a second agent, or terminal after RUNNING, is counted (a failover must cause neither).
/// </summary>
public sealed class FailoverBenchFramework : FrameworkActor
{
    private static readonly Filters LongDecline = new() { RefuseSeconds = 3600 };
    private readonly string _prefix;
    private readonly Res _shape;
    private readonly double _cpus, _mem;
    private readonly CommandInfo _command;
    private readonly int _capacity, _perOffer;
    private readonly Dictionary<string, string> _runningOn = new();
    private readonly Dictionary<string, int> _nonRunning = new();
    private int _launched, _resubscriptions, _terminalAfterRunning, _twoAgents;
    private long _resubscribedAt, _firstOfferAfter;
    private bool _suppressed;

    /// <param name="perOffer">At most this many tasks per offer (one offer per agent and cycle), so tasks spread over every agent.</param>
    public static Props Props(IActorRef master, string name, int capacity, int perOffer, Res shape, string command) =>
        Akka.Actor.Props.Create(() => new FailoverBenchFramework(master, name, capacity, perOffer, shape, command));

    public FailoverBenchFramework(IActorRef master, string name, int capacity, int perOffer, Res shape, string command)
        : base(new FrameworkInfo { Name = name, Roles = new[] { "bench" }, FailoverTimeout = 3600 }, master)
    {
        _prefix = name + "-";
        _shape = shape;
        _cpus = shape.Scalar("cpus");
        _mem = shape.Scalar("mem");
        _command = new CommandInfo { Value = command, Shell = true };
        _capacity = capacity;
        _perOffer = Math.Max(1, perOffer);
        Receive<GetFailoverStats>(_ => Sender.Tell(new FailoverStats(IsSubscribed, _launched, _runningOn.Count, _resubscriptions,
            _resubscribedAt, _firstOfferAfter, _terminalAfterRunning, _twoAgents, new Dictionary<string, int>(_nonRunning))));
    }

    protected override void OnReregistered(FrameworkId frameworkId)
    {
        _resubscriptions++;
        _resubscribedAt = Stopwatch.GetTimestamp();
        _firstOfferAfter = 0;
        _suppressed = false; // a re-subscription without suppressed roles is active again (Mesos)
    }

    protected override void OnResourceOffers(IReadOnlyList<Offer> offers)
    {
        if (_resubscriptions > 0 && _firstOfferAfter == 0) _firstOfferAfter = Stopwatch.GetTimestamp();
        var unused = new List<OfferId>();
        foreach (var offer in offers)
        {
            var n = Math.Min(Math.Min(_capacity - _launched, _perOffer), Fit(offer.Resources.Unreserved()));
            if (n <= 0) { unused.Add(offer.Id); continue; }
            var tasks = new List<TaskInfo>(n);
            for (var i = 0; i < n; i++, _launched++)
                tasks.Add(new TaskInfo
                {
                    TaskId = new TaskId(_prefix + _launched), Name = _prefix + _launched, AgentId = offer.AgentId, Resources = _shape, Command = _command,
                });
            Launch(offer, tasks, LongDecline);
        }
        if (unused.Count > 0) Decline(unused, LongDecline);
        if (_launched >= _capacity && !_suppressed) { Suppress(); _suppressed = true; }
    }

    private int Fit(Res offered)
    {
        var n = int.MaxValue;
        if (_cpus > 0) n = Math.Min(n, (int)Math.Floor(offered.Scalar("cpus") / _cpus + 1e-9));
        if (_mem > 0) n = Math.Min(n, (int)Math.Floor(offered.Scalar("mem") / _mem + 1e-9));
        return n == int.MaxValue ? 0 : n;
    }

    protected override void OnStatusUpdate(TaskStatus status)
    {
        var id = status.TaskId.Value;
        if (status.State == TaskState.TASK_RUNNING)
        {
            var agent = status.AgentId?.Value ?? "";
            if (_runningOn.TryGetValue(id, out var before) && before != agent) _twoAgents++;
            else _runningOn[id] = agent;
            return;
        }
        if (status.State == TaskState.TASK_STARTING) return;
        var key = $"{status.State} {status.Reason}".Trim();
        _nonRunning[key] = _nonRunning.GetValueOrDefault(key) + 1;
        if (status.State.IsTerminal() && _runningOn.ContainsKey(id)) _terminalAfterRunning++;
    }
}
