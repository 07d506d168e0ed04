using System.Runtime.CompilerServices;
using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// Where the master of this ActorSystem leaves its latest <see cref="ClusterState"/> for /state readers in the same process,
/// so a read does not queue behind the scheduling traffic in the master's mailbox (an Ask waited seconds during a burst).
/// The master publishes on a timer only while someone reads (a read in the last <see cref="ReaderWindow"/>); a reader that
/// finds no recent publication asks the master instead. Plain fields, no actors.
/// </summary>
public sealed class ClusterStateBoard
{
    public static readonly TimeSpan ReaderWindow = TimeSpan.FromSeconds(60);
    private static readonly ConditionalWeakTable<ActorSystem, ClusterStateBoard> Boards = new();

    private readonly object _gate = new();
    private object? _owner;
    private ClusterState? _latest;
    private long _lastReadTicks = long.MinValue / 2;

    public static ClusterStateBoard For(ActorSystem system) => Boards.GetValue(system, _ => new ClusterStateBoard());

    /// <summary>Whether a reader came within <see cref="ReaderWindow"/> (the master publishes only then).</summary>
    public bool ReadersActive(DateTimeOffset now) => now.UtcTicks - Interlocked.Read(ref _lastReadTicks) <= ReaderWindow.Ticks;

    public void Publish(object owner, ClusterState state)
    {
        lock (_gate) { _owner = owner; _latest = state; }
    }

    /// <summary>A stopping master takes its state down (a later master of this system publishes its own).</summary>
    public void Withdraw(object owner)
    {
        lock (_gate) if (ReferenceEquals(_owner, owner)) { _owner = null; _latest = null; }
    }

    /// <summary>The latest published state (null when none), not counting as a read: for renderers working ahead of readers.</summary>
    public ClusterState? Peek()
    {
        lock (_gate) return _latest;
    }

    /// <summary>The latest published state, or null when there is none or readers were away (so the master was not publishing
    /// and the state may be old): then ask the master. Either way this counts as a read.</summary>
    public ClusterState? TryRead(DateTimeOffset now)
    {
        var wasActive = ReadersActive(now);
        Interlocked.Exchange(ref _lastReadTicks, now.UtcTicks);
        lock (_gate) return wasActive ? _latest : null;
    }
}
