using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;

namespace ClusterKernel.Framework;

/// <summary>
/// Base class for frameworks written as actors: Mesos' scheduler driver folded into an actor. It subscribes (retrying
/// until the master answers), turns master events into the scheduler callbacks and sends the scheduler calls.
/// Handlers are registered in the constructor, so a subclass adds its own <c>Receive&lt;T&gt;</c> handlers in its own.
/// </summary>
public abstract partial class FrameworkActor : ReceiveActor, IWithTimers
{
    private sealed record SubscribeTick { public static readonly SubscribeTick Instance = new(); }
    // Carries the framework id across a restart (a fresh instance would otherwise subscribe as a new framework and orphan its tasks).
    private sealed record RestoreFrameworkId(FrameworkId? Id);

    private const string SubscribeTimer = "subscribe";
    private FrameworkInfo _info;
    private bool _subscribing;
    private bool _everSubscribed;
    private const int MaxAcksPerMessage = 500;
    private readonly List<StatusAck> _pendingAcks = new();

    protected FrameworkActor(FrameworkInfo info, IActorRef master)
    {
        _info = info;
        Master = master;

        Receive<SubscribeTick>(_ => SendSubscribe());
        Receive<RestoreFrameworkId>(m =>
        {
            if (m.Id is { } id) _info = _info with { Id = id };
            Subscribe();
        });
        Receive<FrameworkSubscribed>(OnSubscribed);
        Receive<ResubscribeRequired>(m =>
        {
            Log.Info("Master asks framework {0} to re-subscribe: {1}", FrameworkId, m.Reason);
            Subscribe();
        });
        Receive<FrameworkError>(m =>
        {
            Log.Warning("Master reports an error for framework {0}: {1}", FrameworkId, m.Message);
            OnError(m.Message);
        });
        Receive<ResourceOffers>(m => OnResourceOffers(m.Offers));
        Receive<OfferRescinded>(m => OnOfferRescinded(m.OfferId));
        Receive<TaskStatusUpdate>(m => Deliver(m.Status));
        Receive<TaskStatusUpdates>(m => { foreach (var status in m.Statuses) Deliver(status); });
        OperationReceives();
        ExtensionHandlers();
    }

    private void Deliver(TaskStatus status)
    {
        OnStatusUpdate(status);
        // The Mesos driver acknowledges after the callback returns, so an update is never acknowledged unhandled.
        if (!ExplicitAcknowledgements && status.Uuid is not null && status.AgentId is not null) Acknowledge(status);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The master, or the singleton proxy in front of it: every call goes here.</summary>
    protected IActorRef Master { get; }

    /// <summary>The id the master gave (or the one this framework fails over with); null before the first subscription.</summary>
    protected FrameworkId? FrameworkId => _info.Id;

    protected FrameworkInfo Info => _info;

    /// <summary>True between <c>FrameworkSubscribed</c> and the next (re-)subscription attempt.</summary>
    protected bool IsSubscribed => _everSubscribed && !_subscribing;

    /// <summary>When true, status updates with a uuid are not acknowledged automatically: call <see cref="Acknowledge"/>.</summary>
    protected bool ExplicitAcknowledgements { get; set; }

    /// <summary>How often SUBSCRIBE is repeated until the master answers.</summary>
    protected virtual TimeSpan SubscribeRetryInterval => TimeSpan.FromSeconds(2);

    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    protected override void PreStart() => Subscribe();

    protected override void PreRestart(Exception reason, object message)
    {
        base.PreRestart(reason, message);
        Self.Tell(new RestoreFrameworkId(_info.Id));
    }

    // The new instance subscribes when RestoreFrameworkId arrives, with the old id.
    protected override void PostRestart(Exception reason) { }

    // ---- Callbacks (Mesos Scheduler) ----
    protected virtual void OnRegistered(FrameworkId frameworkId) { }
    protected virtual void OnReregistered(FrameworkId frameworkId) { }
    protected virtual void OnResourceOffers(IReadOnlyList<Offer> offers) { }
    protected virtual void OnOfferRescinded(OfferId offerId) { }
    protected virtual void OnStatusUpdate(TaskStatus status) { }
    protected virtual void OnError(string message) { }

    // ---- Calls ----
    protected void Accept(IReadOnlyList<OfferId> offerIds, IReadOnlyList<OfferOperation> operations, Filters? filters = null) =>
        Call(id => new AcceptOffers(id, offerIds, operations, filters));

    /// <summary>ACCEPT with one LAUNCH of <paramref name="tasks"/>; whatever of the offer they leave is declined with <paramref name="filters"/>.</summary>
    protected void Launch(Offer offer, IReadOnlyList<TaskInfo> tasks, Filters? filters = null) =>
        Accept(new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(tasks) }, filters);

    protected void Decline(IReadOnlyList<OfferId> offerIds, Filters? filters = null) =>
        Call(id => new DeclineOffers(id, offerIds, filters));

    protected void Kill(TaskId taskId, AgentId? agentId = null) => Call(id => new KillTask(id, taskId, agentId));

    /// <summary>RECONCILE: an empty list asks for every task the master knows for this framework.</summary>
    protected void Reconcile(IReadOnlyList<ReconcileTask> tasks) => Call(id => new ReconcileTasks(id, tasks));

    protected void Suppress(IReadOnlyList<string>? roles = null) => Call(id => new SuppressOffers(id, roles));

    protected void Revive(IReadOnlyList<string>? roles = null) => Call(id => new ReviveOffers(id, roles));

    /// <summary>ACKNOWLEDGE an update; updates without a uuid or an agent id (master-made) need none and are ignored.
    /// The acknowledgements made while handling one message go to the master together (<see cref="AcknowledgeStatuses"/>),
    /// after the handler, or before the next other call.</summary>
    protected void Acknowledge(TaskStatus status)
    {
        if (status.Uuid is not { } uuid || status.AgentId is not { } agentId) return;
        if (_info.Id is null) { Log.Warning("Framework {0} is not subscribed yet; acknowledgement dropped", _info.Name); return; }
        _pendingAcks.Add(new StatusAck(agentId, status.TaskId, uuid));
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        FlushAcknowledgements();
        return handled;
    }

    private void FlushAcknowledgements()
    {
        if (_pendingAcks.Count == 0 || _info.Id is not { } id) return;
        if (_pendingAcks.Count == 1) Master.Tell(new AcknowledgeStatus(id, _pendingAcks[0].AgentId, _pendingAcks[0].TaskId, _pendingAcks[0].Uuid));
        else foreach (var chunk in _pendingAcks.Chunk(MaxAcksPerMessage)) Master.Tell(new AcknowledgeStatuses(id, chunk));
        _pendingAcks.Clear();
    }

    /// <summary>TEARDOWN: the master kills every task of this framework and forgets it. Subscription retries stop.</summary>
    protected void Teardown()
    {
        Timers.Cancel(SubscribeTimer);
        _subscribing = false;
        Call(id => new TeardownFramework(id));
    }

    private void Call(Func<FrameworkId, IClusterMessage> call)
    {
        FlushAcknowledgements(); // calls reach the master in the order they were made
        if (_info.Id is not { } id)
        {
            Log.Warning("Framework {0} is not subscribed yet; call dropped", _info.Name);
            return;
        }
        Master.Tell(call(id));
    }

    private void Subscribe()
    {
        _subscribing = true;
        SendSubscribe();
        Timers.StartPeriodicTimer(SubscribeTimer, SubscribeTick.Instance, SubscribeRetryInterval);
    }

    private void SendSubscribe() => Master.Tell(new SubscribeFramework(_info, Self));

    private void OnSubscribed(FrameworkSubscribed m)
    {
        // Retries may draw several answers: only the first one after a subscription attempt counts.
        if (!_subscribing) return;
        Timers.Cancel(SubscribeTimer);
        _subscribing = false;
        _info = _info with { Id = m.FrameworkId };
        var first = !_everSubscribed;
        _everSubscribed = true;
        Log.Info("Framework {0} subscribed as {1}", _info.Name, m.FrameworkId);
        if (first) OnRegistered(m.FrameworkId); else OnReregistered(m.FrameworkId);
    }
}
