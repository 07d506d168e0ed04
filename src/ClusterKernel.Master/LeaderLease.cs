using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace ClusterKernel.Master;

/// <summary>Leader lease settings (<c>clusterkernel.master.leader-lease</c>, see reference.conf for the trade-off).</summary>
public sealed record LeaderLeaseSettings(bool Enabled, TimeSpan RenewInterval, TimeSpan Ttl, TimeSpan Margin)
{
    public static LeaderLeaseSettings Create(Config config)
    {
        var c = config.WithFallback(MasterSettings.DefaultConfig()).GetConfig("clusterkernel.master.leader-lease");
        var s = new LeaderLeaseSettings(c.GetBoolean("enabled", true), c.GetTimeSpan("renew-interval"), c.GetTimeSpan("ttl"), c.GetTimeSpan("margin"));
        if (s.RenewInterval <= TimeSpan.Zero || s.Ttl <= s.RenewInterval || s.Margin < TimeSpan.Zero)
            throw new ConfigurationException("clusterkernel.master.leader-lease: renew-interval must be > 0, ttl > renew-interval, margin >= 0");
        return s;
    }
}

/// <summary>
/// The master's leader lease, one per ActorSystem on master nodes (an extension, started with the node so that a standby watches
/// the row before it becomes leader): a row in the registry's database that the master singleton must hold, unexpired, to hand
/// out offers. A background loop, independent of the master's mailbox, every <c>renew-interval</c>: while held, renews it
/// (compare-and-set on its version); while wanted and not held, takes it once <see cref="LeaderLeaseRule"/> allows (free, or the
/// previous holder's version unchanged for TTL + margin since this node first saw it); otherwise only reads it, so that the
/// wait of a standby that becomes leader counts from when the old leader stopped renewing, not from when the singleton moved.
/// Disabled (always valid) when the registry is not in a SQL database (unit tests' in-memory journal) or by configuration.
/// </summary>
public sealed class LeaderLease : IExtension
{
    private static readonly long Start = Stopwatch.GetTimestamp();
    private readonly LeaderLeaseStore? _store;
    private readonly LeaderLeaseRule _rule;
    private readonly LeaderLeaseSettings _settings;
    private readonly ILoggingAdapter _log;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private bool _wanted, _held;
    private long _version;
    private TimeSpan? _wantedSince;
    private string? _lastError;

    public LeaderLease(ExtendedActorSystem system)
    {
        _settings = LeaderLeaseSettings.Create(system.Settings.Config);
        _log = Logging.GetLogger(system, "leader-lease");
        var journal = MasterSettings.Create(system.Settings.Config).JournalPlugin;
        var config = system.Settings.Config;
        _store = _settings.Enabled
            ? LeaderLeaseStore.For(config.GetString(journal + ".provider-name", ""), config.GetString(journal + ".connection-string", ""))
            : null;
        // Unique per ActorSystem incarnation: a restarted node is a new holder that waits like any other.
        var self = system.Provider.DefaultAddress;
        Owner = $"{self.Host}:{self.Port}#{Guid.NewGuid().ToString("N")[..8]}";
        _rule = new LeaderLeaseRule(Owner, _settings.Ttl, _settings.Margin);
        if (_store is null) return;
        system.WhenTerminated.ContinueWith(_ => _stop.Cancel());
        _ = Task.Run(Loop);
    }

    public static LeaderLease Get(ActorSystem system) => system.WithExtension<LeaderLease, LeaderLeaseProvider>();

    /// <summary>False when there is no lease to hold (no SQL registry, or disabled): offers need none.</summary>
    public bool Enabled => _store is not null;
    public string Owner { get; }
    public LeaderLeaseSettings Settings => _settings;

    private static TimeSpan Now() => Stopwatch.GetElapsedTime(Start);

    /// <summary>May this node's master offer now? Judged on this process's monotonic clock from when the last successful write was sent.</summary>
    public bool IsValid
    {
        get { if (_store is null) return true; lock (_gate) return _rule.IsValid(Now()); }
    }

    /// <summary>A one-line state for logs: held (remaining), or whom it waits for and how long still.</summary>
    public string Describe()
    {
        if (_store is null) return "no lease (registry not in SQL)";
        lock (_gate)
        {
            var now = Now();
            if (_rule.IsValid(now)) return $"held by {Owner}, {_rule.Remaining(now).TotalSeconds:F1} s left";
            var wait = _rule.TakeableAt is { } at ? $"takeable in {Math.Max(0, (at - now).TotalSeconds):F1} s" : "row not read yet";
            return $"not held by {Owner}; last holder {_rule.ObservedOwner ?? "none"} v{_rule.ObservedVersion}, {wait}{(_lastError is null ? "" : "; last error: " + _lastError)}";
        }
    }

    /// <summary>The master singleton starts on this node: take the lease as soon as the rule allows, and keep it.</summary>
    public void Acquire()
    {
        lock (_gate) { _wanted = true; _wantedSince = Now(); }
        _wake.Release();
    }

    /// <summary>The master singleton stopped on this node: give the lease up, so that the next master need not wait for it to expire.</summary>
    public void Release()
    {
        // Invalid at once (the master is gone); the loop writes the release.
        lock (_gate) { _wanted = false; _rule.Lost(); }
        _wake.Release();
    }

    private async Task Loop()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            var wait = _settings.RenewInterval;
            try { await Step(ct); wait = NextWait(); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // The database does not answer: a held lease runs out on its own (the rule), nothing else to do but retry.
                var error = e.GetBaseException().Message;
                bool first;
                lock (_gate) { first = _lastError != error; _lastError = error; }
                if (first) _log.Warning("Leader lease: {0} call failed ({1}); retrying every {2} s", _store!.Provider, error, _settings.RenewInterval.TotalSeconds);
            }
            try { await _wake.WaitAsync(wait, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>
    /// A master waiting for the lease reads again the moment the rule lets it take the row, not at the next beat: after a
    /// failover the new master would otherwise offer up to a renew-interval later than it may.
    /// </summary>
    private TimeSpan NextWait()
    {
        var min = TimeSpan.FromMilliseconds(10);
        lock (_gate)
        {
            if (!_wanted || _held || _rule.TakeableAt is not { } at) return _settings.RenewInterval;
            var until = at - Now();
            return until < min ? min : until < _settings.RenewInterval ? until : _settings.RenewInterval;
        }
    }

    private async Task Step(CancellationToken outer)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(outer);
        // A call that outlives the TTL cannot help: the lease is over by then either way.
        timeout.CancelAfter(_settings.Ttl);
        var ct = timeout.Token;
        bool wanted, held;
        long version;
        lock (_gate) (wanted, held, version) = (_wanted, _held, _version);

        if (held && !wanted)
        {
            // Given up in any case: a release that finds the row moved on means another master took it meanwhile.
            lock (_gate) { _held = false; _rule.Lost(); }
            var released = await _store!.Release(Owner, version, ct);
            _log.Info(released ? "Leader lease released by {0}" : "Leader lease given up by {0}: another master had already taken it", Owner);
            return;
        }
        if (held)
        {
            var sent = Now();
            var renewed = await _store!.Renew(Owner, version, ct);
            lock (_gate)
            {
                _lastError = null;
                if (renewed is { } v) { _version = v; _rule.Written(sent); return; }
                _held = false;
                _rule.Lost();
            }
            _log.Warning("Leader lease lost by {0}: another master wrote the row (its version moved past {1}); offers are held back", Owner, version);
            return;
        }
        var row = await _store!.Read(ct);
        var received = Now();
        bool mayTake;
        long expected;
        lock (_gate)
        {
            _lastError = null;
            _rule.Observed(row, received);
            mayTake = _wanted && _rule.MayTake(received);
            expected = _rule.ObservedVersion;
        }
        if (!mayTake) return;
        var takeSent = Now();
        var taken = await _store.Take(Owner, expected, ct);
        if (taken is not { } newVersion) return; // someone wrote first: observe again
        TimeSpan waited;
        lock (_gate)
        {
            _held = true;
            _version = newVersion;
            _rule.Written(takeSent);
            waited = takeSent - (_wantedSince ?? takeSent);
        }
        _log.Info("Leader lease taken by {0} (previous holder {1}, version {2}) {3:F1} s after the master asked for it; valid for {4} s, renewed every {5} s",
            Owner, row?.Owner ?? "none", newVersion, waited.TotalSeconds, _settings.Ttl.TotalSeconds, _settings.RenewInterval.TotalSeconds);
        // Renew on the regular beat from here.
    }
}

public sealed class LeaderLeaseProvider : ExtensionIdProvider<LeaderLease>
{
    public override LeaderLease CreateExtension(ExtendedActorSystem system) => new(system);
}
