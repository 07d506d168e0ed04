using System.Threading.Channels;
using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>
/// One operator SUBSCRIBE stream's actor: subscribes to the master's pushed events and hands them, with HEARTBEATs, to the HTTP
/// response through a channel, in arrival order. The stream ends (channel completed) when the master it subscribed to
/// terminates (failover: the client subscribes again, as with Mesos), when the master does not answer, or when the buffer of a
/// client that stopped reading overflows.
/// </summary>
internal sealed class OperatorEventSubscriber : ReceiveActor, IWithTimers
{
    /// <summary>Written to the channel for each heartbeat interval.</summary>
    public sealed record Heartbeat { public static readonly Heartbeat Instance = new(); }
    private sealed record SubscribeTimedOut { public static readonly SubscribeTimedOut Instance = new(); }

    private readonly ChannelWriter<object> _out;
    private IActorRef? _master;
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef master, ChannelWriter<object> output, TimeSpan heartbeat, TimeSpan timeout) =>
        Akka.Actor.Props.Create(() => new OperatorEventSubscriber(master, output, heartbeat, timeout));

    public OperatorEventSubscriber(IActorRef master, ChannelWriter<object> output, TimeSpan heartbeat, TimeSpan timeout)
    {
        _out = output;
        master.Tell(new SubscribeOperatorEvents(Self));
        Timers.StartSingleTimer("subscribe", SubscribeTimedOut.Instance, timeout);
        Receive<OperatorSubscribed>(m =>
        {
            if (_master is not null) return; // a duplicate answer (the proxy buffered a retry): the first one stands
            Timers.Cancel("subscribe");
            _master = m.Master;
            Context.Watch(m.Master);
            Write(m);
            Timers.StartPeriodicTimer("heartbeat", Heartbeat.Instance, heartbeat);
        });
        Receive<IOperatorEvent>(e => { if (_master is not null && Sender.Equals(_master)) Write(e); });
        Receive<Heartbeat>(h => Write(h));
        Receive<Terminated>(_ => End(null));
        Receive<SubscribeTimedOut>(_ => End(new TimeoutException("master not reachable")));
    }

    private void Write(object item)
    {
        if (!_out.TryWrite(item)) End(new InvalidOperationException("the subscriber does not keep up"));
    }

    private void End(Exception? error)
    {
        _out.TryComplete(error);
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _master?.Tell(new UnsubscribeOperatorEvents(Self));
        _out.TryComplete();
    }
}
