using System.Diagnostics;
using Akka.Actor;
using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Bench;

/// <summary>Local only (docker bench driver → its framework): answer <see cref="OfferInHand"/> once an offer that fits one task is held.</summary>
public sealed record AwaitOffer { public static readonly AwaitOffer Instance = new(); }
public sealed record OfferInHand(long At);
/// <summary>Give back every held offer and suppress, so the next <see cref="LaunchOne"/> has to revive and wait for an offer.</summary>
public sealed record DropOffers { public static readonly DropOffers Instance = new(); }
public sealed record OffersDropped { public static readonly OffersDropped Instance = new(); }
/// <summary>Launch one task now (with a held offer, else revive and launch on the next offer); answered with <see cref="LaunchOutcome"/> at TASK_RUNNING or failure.</summary>
public sealed record LaunchOne(string TaskId);
/// <summary>Stopwatch timestamps: submitted to the framework, ACCEPT sent, TASK_STARTING and TASK_RUNNING received.</summary>
public sealed record LaunchOutcome(string TaskId, long SubmittedAt, long AcceptedAt, long StartingAt, long RunningAt, string? Error);
/// <summary>Kill the task; answered with <see cref="TaskEnded"/> at its terminal update.</summary>
public sealed record KillOne(string TaskId);
public sealed record TaskEnded(string TaskId, TaskState State);

/// <summary>
/// The framework of <c>ck bench docker</c>: launches one Docker task at a time, as soon as it has both the task and an offer.
/// Holds offers it has no task for (instead of declining them), so a submission can be launched at once; launches with a
/// zero refuse filter so the rest of the offer comes straight back. Kills with a zero grace period.
/// </summary>
public sealed class DockerBenchFramework : FrameworkActor
{
    private static readonly Filters NoRefusal = new() { RefuseSeconds = 0 };
    private readonly Res _shape;
    private readonly CommandInfo _command;
    private readonly ContainerInfo _container;
    private readonly Dictionary<OfferId, Offer> _held = new();
    private readonly List<IActorRef> _offerWaiters = new();
    private (LaunchOne Task, IActorRef ReplyTo, long SubmittedAt)? _pending;
    private readonly Dictionary<string, (IActorRef ReplyTo, long SubmittedAt, long AcceptedAt, long StartingAt)> _launching = new();
    private readonly Dictionary<string, IActorRef> _killing = new();
    private bool _suppressed;

    public static Props Props(IActorRef master, Res shape, string image, string command) =>
        Akka.Actor.Props.Create(() => new DockerBenchFramework(master, shape, image, command));

    public DockerBenchFramework(IActorRef master, Res shape, string image, string command)
        : base(new FrameworkInfo { Name = "docker-bench", Roles = new[] { "*" }, FailoverTimeout = 0 }, master)
    {
        _shape = shape;
        _command = new CommandInfo { Value = command, Shell = true };
        _container = new ContainerInfo { DockerImage = image };
        Receive<AwaitOffer>(_ =>
        {
            if (HasFittingOffer()) Sender.Tell(new OfferInHand(Stopwatch.GetTimestamp()));
            else _offerWaiters.Add(Sender);
        });
        Receive<DropOffers>(_ =>
        {
            if (_held.Count > 0) Decline(_held.Keys.ToList(), new Filters { RefuseSeconds = 3600 });
            _held.Clear();
            if (!_suppressed) { Suppress(); _suppressed = true; }
            Sender.Tell(OffersDropped.Instance);
        });
        Receive<LaunchOne>(m =>
        {
            var now = Stopwatch.GetTimestamp();
            if (_pending is not null) { Sender.Tell(new LaunchOutcome(m.TaskId, now, 0, 0, 0, "another launch is pending")); return; }
            _pending = (m, Sender, now);
            if (!TryLaunchPending() && _suppressed) { Revive(); _suppressed = false; }
        });
        Receive<KillOne>(m =>
        {
            _killing[m.TaskId] = Sender;
            Kill(new TaskId(m.TaskId));
        });
    }

    private bool HasFittingOffer() => _held.Values.Any(o => o.Resources.Unreserved().Contains(_shape));

    private bool TryLaunchPending()
    {
        if (_pending is not { } p) return false;
        var offer = _held.Values.FirstOrDefault(o => o.Resources.Unreserved().Contains(_shape));
        if (offer is null) return false;
        _held.Remove(offer.Id);
        _pending = null;
        var task = new TaskInfo
        {
            TaskId = new TaskId(p.Task.TaskId), Name = p.Task.TaskId, AgentId = offer.AgentId, Resources = _shape,
            Command = _command, Container = _container, KillGracePeriodSeconds = 0,
        };
        var accepted = Stopwatch.GetTimestamp();
        Launch(offer, new[] { task }, NoRefusal);
        _launching[p.Task.TaskId] = (p.ReplyTo, p.SubmittedAt, accepted, 0);
        return true;
    }

    protected override void OnResourceOffers(IReadOnlyList<Offer> offers)
    {
        if (_suppressed) { Decline(offers.Select(o => o.Id).ToList(), NoRefusal); return; }
        foreach (var o in offers) _held[o.Id] = o;
        TryLaunchPending();
        if (_offerWaiters.Count > 0 && HasFittingOffer())
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var w in _offerWaiters) w.Tell(new OfferInHand(now));
            _offerWaiters.Clear();
        }
    }

    protected override void OnOfferRescinded(OfferId offerId) => _held.Remove(offerId);

    protected override void OnStatusUpdate(TaskStatus status)
    {
        var id = status.TaskId.Value;
        var now = Stopwatch.GetTimestamp();
        if (_launching.TryGetValue(id, out var l))
        {
            if (status.State == TaskState.TASK_STARTING) _launching[id] = l with { StartingAt = now };
            else if (status.State == TaskState.TASK_RUNNING)
            {
                _launching.Remove(id);
                l.ReplyTo.Tell(new LaunchOutcome(id, l.SubmittedAt, l.AcceptedAt, l.StartingAt, now, null));
            }
            else if (status.State.IsTerminal())
            {
                _launching.Remove(id);
                l.ReplyTo.Tell(new LaunchOutcome(id, l.SubmittedAt, l.AcceptedAt, l.StartingAt, 0, $"{status.State}: {status.Message}"));
            }
        }
        if (status.State.IsTerminal() && _killing.Remove(id, out var k)) k.Tell(new TaskEnded(id, status.State));
    }
}
