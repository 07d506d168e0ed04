using Akka.Actor;

namespace ClusterKernel.Master;

/// <summary>A registry change that could not be written: the registry's database does not answer.</summary>
public sealed class RegistryUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Whether this node's master last failed on its registry (a journal write or recovery failed) and has not recovered since.
/// While the master is down for that reason, callers whose asks time out can be told the registry is the cause, not the master.
/// Per ActorSystem (an extension), since ClusterNode restarts ActorSystems in one process.
/// </summary>
public sealed class RegistryHealth : IExtension
{
    /// <summary>Consecutive failed recoveries after which the master is reported unhealthy (and, if they are not a database
    /// outage, given up on). Three: the backoff supervisor's 1 + 2 + 4 s, so ~7 s — within a short outage's own length.</summary>
    public const int RecoveryAttempts = 3;

    private volatile string? _unavailable;
    private volatile string? _unhealthy;
    private volatile string? _gaveUp;
    private int _recoveryFailures, _contentFailures;

    /// <summary>Null while the registry works; else a one-line reason, e.g. "the registry (PostgreSQL) is unavailable: …".</summary>
    public string? Unavailable => _unavailable;

    /// <summary>Set after <see cref="RecoveryAttempts"/> consecutive failed recoveries, whatever the cause (database outage
    /// included): the master cannot serve; /health says so. Cleared by the next successful recovery.</summary>
    public string? Unhealthy => _unhealthy;

    /// <summary>Set after <see cref="RecoveryAttempts"/> consecutive failed recoveries none of which was the database not answering
    /// (an event that cannot be applied, a bug): retrying will not help. Mesos' master exits when it cannot recover its registry,
    /// and so does <c>ck master</c> (exit 1 with this line); the supervisor keeps retrying in-process meanwhile.</summary>
    public string? GaveUp => _gaveUp;

    public void Failed(string reason) => _unavailable = reason;

    public void Recovered()
    {
        _unavailable = _unhealthy = _gaveUp = null;
        Interlocked.Exchange(ref _recoveryFailures, 0);
        Interlocked.Exchange(ref _contentFailures, 0);
    }

    /// <summary>Counts a failed recovery; returns the one-line error when this failure makes the master unhealthy or given up
    /// on (the caller logs it once), else null.</summary>
    public string? RecoveryFailed(string registry, Exception cause)
    {
        var failures = Interlocked.Increment(ref _recoveryFailures);
        int content;
        if (IsDatabaseOutage(cause)) { Interlocked.Exchange(ref _contentFailures, 0); content = 0; }
        else content = Interlocked.Increment(ref _contentFailures);
        var line = $"the master cannot recover its registry ({registry}) after {failures} attempts: {cause.GetType().Name}: {FirstLine(cause)}";
        if (content >= RecoveryAttempts && _gaveUp is null)
        {
            _unhealthy = _gaveUp = line + " — not a database outage, so retrying will not help; fix or restore the registry and restart the master";
            return _gaveUp;
        }
        if (failures >= RecoveryAttempts && _unhealthy is null)
        {
            _unhealthy = line + (content > 0 ? "" : " — the database does not answer; still retrying");
            return _unhealthy;
        }
        return null;
    }

    /// <summary>Whether a failure is the registry's database not answering (retry), rather than its content or our code failing.</summary>
    public static bool IsDatabaseOutage(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is System.Data.Common.DbException or System.Net.Sockets.SocketException or IOException or TimeoutException
                or Akka.Pattern.OpenCircuitException or Akka.Persistence.RecoveryTimedOutException or OperationCanceledException)
                return true;
        return e is AggregateException a && a.InnerExceptions.Any(IsDatabaseOutage);
    }

    /// <summary>
    /// Whether a write lost to another master's write at the same registry position (the journal's unique (persistence_id,
    /// sequence_number): PostgreSQL 23505, SQLite "UNIQUE constraint failed"): a stale leader writing beside the new one.
    /// </summary>
    public static bool IsWriteConflict(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is System.Data.Common.DbException db && (db.SqlState == "23505" || db.Message.Contains("UNIQUE constraint failed", StringComparison.Ordinal)))
                return true;
        return e is AggregateException a && a.InnerExceptions.Any(IsWriteConflict);
    }

    public static string FirstLine(Exception e)
    {
        var root = e;
        while (root.InnerException is not null) root = root.InnerException;
        return root.Message.Split('\n')[0].Trim();
    }

    public static RegistryHealth Get(ActorSystem system) => system.WithExtension<RegistryHealth, RegistryHealthProvider>();

    /// <summary>"PostgreSQL" or "SQLite", from the SQL journal's provider name; the plugin id otherwise.</summary>
    public static string Describe(ActorSystem system, string journalPluginId)
    {
        var provider = system.Settings.Config.GetString(journalPluginId + ".provider-name", "");
        return DatabaseKind(provider) ?? (string.IsNullOrEmpty(provider) ? journalPluginId : provider);
    }

    /// <summary>"PostgreSQL" or "SQLite" from a SQL journal's provider-name (e.g. PostgreSQL.15, SQLite.MS); null for others.</summary>
    public static string? DatabaseKind(string providerName) =>
        providerName.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase) ? "PostgreSQL"
        : providerName.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase) ? "SQLite"
        : null;
}

public sealed class RegistryHealthProvider : ExtensionIdProvider<RegistryHealth>
{
    public override RegistryHealth CreateExtension(ExtendedActorSystem system) => new();
}
