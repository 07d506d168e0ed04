using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote;

namespace ClusterKernel.Hosting;

/// <summary>Settings of the confirmed-dead fast path (<c>clusterkernel.cluster.confirmed-dead</c> in hocon/base.hocon).</summary>
public sealed record ConfirmedDeadSettings(bool Enabled, TimeSpan ProbeWindow, TimeSpan ProbeInterval, TimeSpan ConnectTimeout)
{
    public static ConfirmedDeadSettings Create(Config config)
    {
        var c = config.GetConfig("clusterkernel.cluster.confirmed-dead");
        if (c is null || c.IsEmpty) return new ConfirmedDeadSettings(false, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500));
        return new ConfirmedDeadSettings(c.GetBoolean("enabled", true), c.GetTimeSpan("probe-window", TimeSpan.FromSeconds(1)),
            c.GetTimeSpan("probe-interval", TimeSpan.FromMilliseconds(200)), c.GetTimeSpan("connect-timeout", TimeSpan.FromMilliseconds(500)));
    }
}

/// <summary>
/// A fast path beside the split-brain resolver: downs a member whose process is confirmed dead. When a member becomes
/// unreachable, or remoting loses or fails an association with its address (a killed process closes its sockets, which is
/// noticed long before the phi failure detector gives up), this actor probes the member's remoting TCP port. Only if every
/// connection attempt over the probe window is actively refused — nothing listens on the port, so no ActorSystem of that
/// incarnation is running there and it cannot hold the master singleton — it quarantines that incarnation and downs it. A frozen process
/// (SIGSTOP: the kernel still accepts connections), a partitioned or dead host (timeouts) or any accepted connection
/// leave the decision to the split-brain resolver.
/// <para>Self-fencing (every node): a member that tells this node it has quarantined it (the others downed and removed this
/// node while it was frozen or cut off) has cut it off for good — this incarnation can never talk to it again. The node then
/// downs itself at once, so that a resumed old leader stops its master singleton within a moment instead of serving stale
/// state until its own resolver decides (stable-after); <see cref="ClusterNode"/> starts a new incarnation that rejoins.</para>
/// </summary>
public sealed class ConfirmedDeadDowning : ReceiveActor
{
    public enum ProbeOutcome { Refused, Accepted, TimedOut }

    private sealed record ProbeDone(UniqueAddress Member, bool AllRefused, int Probes);

    private readonly ConfirmedDeadSettings _settings;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<UniqueAddress> _probing = new();

    private readonly bool _probe;
    private bool _fenced;

    /// <param name="probe">Probe and down dead members (master nodes); self-fencing runs on every node.</param>
    public static Props Props(ConfirmedDeadSettings settings, bool probe) => Akka.Actor.Props.Create(() => new ConfirmedDeadDowning(settings, probe));

    public ConfirmedDeadDowning(ConfirmedDeadSettings settings, bool probe)
    {
        _settings = settings;
        _probe = probe;
        Receive<ClusterEvent.UnreachableMember>(m => Consider(m.Member.Address));
        Receive<DisassociatedEvent>(e => Consider(e.RemoteAddress));
        Receive<ThisActorSystemQuarantinedEvent>(e => Fence(e.RemoteAddress));
        Receive<AssociationErrorEvent>(e =>
        {
            // Akka.Remote reports "the remote system has quarantined this system" as an association error on the reading side.
            if (e.Cause?.Message.Contains("quarantined this system", StringComparison.OrdinalIgnoreCase) == true) Fence(e.RemoteAddress);
            else Consider(e.RemoteAddress);
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ProbeDone>(Done);
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.UnreachableMember));
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Context.System.EventStream.Subscribe(Self, typeof(AssociationErrorEvent));
        Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
    }

    private void Fence(Address? by)
    {
        if (_fenced || by is null) return;
        var self = _cluster.SelfMember;
        if (self.Status is MemberStatus.Down or MemberStatus.Removed or MemberStatus.Exiting or MemberStatus.Leaving) return;
        _fenced = true;
        _log.Warning("{0} has quarantined this node (it was downed while frozen or cut off): downing itself to restart as a new incarnation", by);
        _cluster.Down(_cluster.SelfAddress);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    /// <summary>Members that are up (or on their way up); leaving and exiting members are going away by themselves.</summary>
    private Member? Candidate(Address address)
    {
        if (address == _cluster.SelfAddress) return null;
        return _cluster.State.Members.FirstOrDefault(m => m.Address == address
            && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining);
    }

    private void Consider(Address? address)
    {
        if (!_probe || address is null || address.Host is null || address.Port is not { } port) return;
        var member = Candidate(address);
        if (member is null || !_probing.Add(member.UniqueAddress)) return;
        var who = member.UniqueAddress;
        var s = _settings;
        ProbeAsync(address.Host, port, s.ProbeWindow, s.ProbeInterval, s.ConnectTimeout)
            .ContinueWith(t => new ProbeDone(who, t.IsCompletedSuccessfully && t.Result.AllRefused, t.IsCompletedSuccessfully ? t.Result.Probes : 0))
            .PipeTo(Self);
    }

    private void Done(ProbeDone done)
    {
        _probing.Remove(done.Member);
        if (!done.AllRefused) return;
        // Still the same incarnation, still a live member: nobody downed it meanwhile and it did not leave.
        var member = Candidate(done.Member.Address);
        if (member is null || !member.UniqueAddress.Equals(done.Member)) return;
        _log.Warning("Quarantining and downing {0}: its remoting port refused all {1} connection attempts over {2} (process gone)",
            done.Member.Address, done.Probes, _settings.ProbeWindow);
        // Down alone is not enough: a Down member that is still "reachable" is only removed once the failure detector calls it
        // unreachable (~6 s). Quarantining its incarnation makes the cluster daemon mark it TERMINATED at once (what Akka does
        // when a new incarnation joins on the same host:port), so the leader removes it on the next convergence.
        var provider = (IRemoteActorRefProvider)((ExtendedActorSystem)Context.System).Provider;
        provider.Quarantine(done.Member.Address, done.Member.Uid);
        _cluster.Down(done.Member.Address);
    }

    /// <summary>Connects to host:port repeatedly over <paramref name="window"/>; AllRefused only if every attempt (at least
    /// two) was refused. Stops at the first attempt that is accepted or times out.</summary>
    public static async Task<(bool AllRefused, int Probes)> ProbeAsync(string host, int port, TimeSpan window, TimeSpan interval, TimeSpan connectTimeout)
    {
        var deadline = DateTime.UtcNow + window;
        var probes = 0;
        while (true)
        {
            var outcome = await ConnectAsync(host, port, connectTimeout);
            probes++;
            if (outcome != ProbeOutcome.Refused) return (false, probes);
            if (DateTime.UtcNow >= deadline) return (probes >= 2, probes);
            await Task.Delay(interval);
        }
    }

    public static async Task<ProbeOutcome> ConnectAsync(string host, int port, TimeSpan timeout)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(host, port, cts.Token);
            return ProbeOutcome.Accepted;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { return ProbeOutcome.Refused; }
        catch (Exception) { return ProbeOutcome.TimedOut; } // timeout, unreachable host, anything else: not a confirmation
    }
}
