using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>The live HTTP subscriptions of this node: framework id to (stream id, session actor).</summary>
public sealed class SchedulerSessions
{
    public sealed record Entry(string StreamId, IActorRef Session);

    private readonly ConcurrentDictionary<FrameworkId, Entry> _byFramework = new();

    public bool TryGet(FrameworkId id, out Entry entry) => _byFramework.TryGetValue(id, out entry!);

    /// <summary>A newer subscription of the same framework replaces the older one.</summary>
    public void Register(FrameworkId id, Entry entry) => _byFramework[id] = entry;

    /// <summary>Removes the entry only while it is still <paramref name="entry"/> (a replacement stays).</summary>
    public void Unregister(FrameworkId id, Entry entry) => _byFramework.TryRemove(new KeyValuePair<FrameworkId, Entry>(id, entry));

    public int Count => _byFramework.Count;
}

/// <summary>
/// One HTTP scheduler subscription (one SUBSCRIBE stream): stands for the framework towards the master, the way a
/// <c>FrameworkActor</c> does for an actor framework. It subscribes (retrying until answered), turns master events into v1
/// JSON records written to <see cref="ChannelWriter{T}"/> (the request handler streams them as RecordIO), sends HEARTBEATs,
/// and forwards the framework's calls to the master with itself as sender. The request handler stops it when the client goes
/// away, so the master's DeathWatch sees the framework disconnect; an ERROR (e.g. a newer subscription replaced this one)
/// closes the stream and stops it.
/// </summary>
public sealed class HttpFrameworkSession : ReceiveActor, IWithTimers
{
    /// <summary>A call of the framework, already validated and translated, to forward to the master.</summary>
    public sealed record Forward(IClusterMessage Call);
    /// <summary>UPDATE_FRAMEWORK, answered synchronously (200 or 400): the master's <see cref="FrameworkUpdateResult"/> goes to the asker.</summary>
    public sealed record ForwardUpdate(UpdateFramework Call);
    /// <summary>The client went away (or the handler gave up): stop.</summary>
    public sealed record ClientGone { public static readonly ClientGone Instance = new(); }

    private sealed record SubscribeTick { public static readonly SubscribeTick Instance = new(); }
    private sealed record HeartbeatTick { public static readonly HeartbeatTick Instance = new(); }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _master;
    private readonly ChannelWriter<string> _out;
    private readonly SchedulerSessions _sessions;
    private readonly string _streamId;
    private readonly TimeSpan? _heartbeatOverride;
    private readonly IReadOnlyList<string>? _suppressedRoles;
    private FrameworkInfo _info;
    private SchedulerSessions.Entry? _registered;
    private bool _subscribing;
    // The master answers UPDATE_FRAMEWORK calls in order; the session keeps the new FrameworkInfo for re-subscribing after a master change.
    private readonly Queue<(IActorRef Asker, FrameworkInfo Info)> _pendingUpdates = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(FrameworkInfo info, IReadOnlyList<string>? suppressedRoles, IActorRef master, ChannelWriter<string> output,
        SchedulerSessions sessions, string streamId, TimeSpan? heartbeatInterval) =>
        Akka.Actor.Props.Create(() => new HttpFrameworkSession(info, suppressedRoles, master, output, sessions, streamId, heartbeatInterval));

    public HttpFrameworkSession(FrameworkInfo info, IReadOnlyList<string>? suppressedRoles, IActorRef master, ChannelWriter<string> output,
        SchedulerSessions sessions, string streamId, TimeSpan? heartbeatInterval)
    {
        _info = info;
        _suppressedRoles = suppressedRoles;
        _master = master;
        _out = output;
        _sessions = sessions;
        _streamId = streamId;
        _heartbeatOverride = heartbeatInterval;

        Receive<SubscribeTick>(_ => SendSubscribe());
        Receive<FrameworkSubscribed>(OnSubscribed);
        Receive<ResubscribeRequired>(m =>
        {
            // The master lost this connection (e.g. a new master took over): subscribe again with the same id; the stream stays
            // open and gets a fresh SUBSCRIBED, after which a scheduler should reconcile.
            _log.Info("Master asks HTTP framework {0} to re-subscribe: {1}", _info.Id, m.Reason);
            Subscribe();
        });
        Receive<FrameworkError>(m =>
        {
            _log.Info("HTTP framework {0} ({1}) gets ERROR: {2}", _info.Id, _info.Name, m.Message);
            Write(m);
            Context.Stop(Self);
        });
        Receive<ResourceOffers>(m => Write(m));
        Receive<OfferRescinded>(m => Write(m));
        Receive<TaskStatusUpdate>(m => Write(m));
        Receive<OperationStatusUpdate>(m => Write(m));
        Receive<InverseOffers>(m => Write(m));
        Receive<InverseOfferRescinded>(m => Write(m));
        Receive<ExecutorToFrameworkMessage>(m => Write(m));
        Receive<FrameworkFailure>(m => Write(m));
        Receive<ForwardUpdate>(m =>
        {
            _pendingUpdates.Enqueue((Sender, m.Call.Info));
            _master.Tell(m.Call with { ReplyTo = Self }, Self);
        });
        Receive<FrameworkUpdateResult>(m =>
        {
            if (!_pendingUpdates.TryDequeue(out var pending)) return;
            if (m.Ok) _info = pending.Info;
            pending.Asker.Tell(m);
        });
        // One UPDATE event per status on the stream, as Mesos; the batch is only between actors.
        Receive<TaskStatusUpdates>(m => { foreach (var status in m.Statuses) Write(new TaskStatusUpdate(status)); });
        Receive<HeartbeatTick>(_ => Write(SchedulerHeartbeat.Instance));
        Receive<Forward>(m => _master.Tell(m.Call, Self));
        Receive<ClientGone>(_ => Context.Stop(Self));
    }

    protected override void PreStart() => Subscribe();

    protected override void PostStop()
    {
        _out.TryComplete();
        if (_registered is { } entry && _info.Id is { } id) _sessions.Unregister(id, entry);
    }

    private void Subscribe()
    {
        _subscribing = true;
        SendSubscribe();
        Timers.StartPeriodicTimer("subscribe", SubscribeTick.Instance, TimeSpan.FromSeconds(2));
    }

    private void SendSubscribe() => _master.Tell(new SubscribeFramework(_info, Self, _suppressedRoles));

    private void OnSubscribed(FrameworkSubscribed m)
    {
        if (!_subscribing) return; // an answer to a retry
        _subscribing = false;
        Timers.Cancel("subscribe");
        _info = _info with { Id = m.FrameworkId };
        if (_registered is null)
        {
            _registered = new SchedulerSessions.Entry(_streamId, Self);
            _sessions.Register(m.FrameworkId, _registered);
        }
        var heartbeat = _heartbeatOverride ?? TimeSpan.FromSeconds(m.HeartbeatIntervalSeconds > 0 ? m.HeartbeatIntervalSeconds : 15);
        Write(m, heartbeat.TotalSeconds);
        Timers.StartPeriodicTimer("heartbeat", HeartbeatTick.Instance, heartbeat);
    }

    private void Write(object message, double? heartbeatSeconds = null)
    {
        if (SchedulerJson.WriteEvent(message, heartbeatSeconds) is { } record && !_out.TryWrite(record.ToJsonString()))
        {
            // The handler completed the channel: the stream is gone.
            Context.Stop(Self);
        }
    }
}
