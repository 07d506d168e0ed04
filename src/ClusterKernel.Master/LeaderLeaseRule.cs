namespace ClusterKernel.Master;

/// <summary>The lease row as read from the registry's database: who holds it (null: released) and its version, which every
/// write (take, renew, release) increments.</summary>
public sealed record LeaseRow(string? Owner, long Version);

/// <summary>
/// The leader lease's rule, pure (Chubby/Mesos style): no clock is shared between masters, each judges on its own monotonic
/// clock (CLOCK_MONOTONIC keeps counting while the process is stopped, so a SIGSTOPped holder knows on resume).
/// <list type="bullet">
/// <item>The holder's lease is valid until the time it <em>sent</em> its last successful write (take or renewal) plus the TTL:
/// the database applied that write after it was sent, so no one else can have seen it earlier.</item>
/// <item>Another master may take the row only when it is free (released, never written, or written by itself), or after it
/// saw the same version unchanged for TTL + margin counted from when it first <em>received</em> that version — by then the
/// holder's validity from that write (sent before it was read) has run out, whatever the holder's state; the margin covers
/// clock rate differences. The take itself is a compare-and-set on the version, so a renewal in between wins.</item>
/// </list>
/// Times are monotonic <see cref="TimeSpan"/>s of one process (e.g. <c>Stopwatch.GetElapsedTime(start)</c>).
/// </summary>
public sealed class LeaderLeaseRule(string self, TimeSpan ttl, TimeSpan margin)
{
    private TimeSpan? _validUntil;
    private (string? Owner, long Version, TimeSpan FirstSeen)? _seen;

    public string Self => self;
    public TimeSpan Ttl => ttl;
    public TimeSpan Margin => margin;

    /// <summary>Is this process's lease valid at <paramref name="now"/>?</summary>
    public bool IsValid(TimeSpan now) => _validUntil is { } until && now < until;

    /// <summary>How long the lease stays valid from <paramref name="now"/> (zero when not held).</summary>
    public TimeSpan Remaining(TimeSpan now) => _validUntil is { } until && now < until ? until - now : TimeSpan.Zero;

    /// <summary>A take or renewal sent at <paramref name="sentAt"/> succeeded.</summary>
    public void Written(TimeSpan sentAt)
    {
        // A slow answer to an earlier write must not shorten a later one's validity.
        var until = sentAt + ttl;
        if (_validUntil is not { } current || until > current) _validUntil = until;
    }

    /// <summary>Someone else wrote the row (our compare-and-set failed), or we released it: no lease from now on.</summary>
    public void Lost() => _validUntil = null;

    /// <summary>The row (null: no row yet) as an answer received at <paramref name="receivedAt"/> showed it.</summary>
    public void Observed(LeaseRow? row, TimeSpan receivedAt)
    {
        var owner = row?.Owner;
        var version = row?.Version ?? 0;
        if (_seen is not { } s || s.Owner != owner || s.Version != version) _seen = (owner, version, receivedAt);
    }

    /// <summary>When the row last observed may be taken: now if free or ours, else TTL + margin after its version was first seen;
    /// null before any observation.</summary>
    public TimeSpan? TakeableAt => _seen is not { } s ? null : s.Owner is null || s.Owner == self ? s.FirstSeen : s.FirstSeen + ttl + margin;

    /// <summary>May this process take the row it last observed at <paramref name="now"/>?</summary>
    public bool MayTake(TimeSpan now) => TakeableAt is { } at && now >= at;

    /// <summary>The version the take's compare-and-set expects (0: no row yet).</summary>
    public long ObservedVersion => _seen?.Version ?? 0;

    /// <summary>The holder last observed (null: free).</summary>
    public string? ObservedOwner => _seen?.Owner;
}
