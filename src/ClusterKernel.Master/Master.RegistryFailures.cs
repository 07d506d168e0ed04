using Akka.Persistence;
using Akka.Event;
using Akka.Actor;

namespace ClusterKernel.Master;

/// <summary>
/// Registry (journal) failures: the persistent actor stops after them and the backoff supervisor starts it again. The caller
/// of the failed change gets a clear error at once, and the node remembers why its master is down (RegistryHealth) so that
/// asks timing out meanwhile can say so too.
/// </summary>
public sealed partial class Master
{
    private string RegistryDown(Exception cause) =>
        $"the registry ({RegistryHealth.Describe(Context.System, JournalPluginId)}) is unavailable: {FirstLine(cause)}; the change was not applied, retry when the database is back";

    private static string FirstLine(Exception e) => RegistryHealth.FirstLine(e);

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        // A stale leader (frozen or cut off, already replaced) loses every write that collides with the new leader's: the caller
        // must not read it as an outage to wait out. The master stops and, recovering, sees the other master's changes.
        var reason = RegistryHealth.IsWriteConflict(cause)
            ? $"another master wrote the registry ({RegistryHealth.Describe(Context.System, JournalPluginId)}) at the same position (event {sequenceNr}): " +
              "this master is no longer the leader; the change was not applied, retry with the current leader"
            : RegistryDown(cause);
        RegistryHealth.Get(Context.System).Failed(reason);
        // The journal replies with the command's sender: answer it now instead of letting its ask time out.
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters))
            Sender.Tell(new Status.Failure(new RegistryUnavailableException(reason, cause)));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters))
            Sender.Tell(new Status.Failure(new RegistryUnavailableException($"the registry rejected the change: {FirstLine(cause)}", cause)));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        var health = RegistryHealth.Get(Context.System);
        health.Failed(RegistryDown(reason));
        // Akka logs every failed attempt; after a few in a row one clear line says what is wrong and whether retrying can help.
        if (health.RecoveryFailed(RegistryHealth.Describe(Context.System, JournalPluginId), reason) is { } line)
            _log.Error(reason, "{0}{1}", line, message is null ? "" : $" (while applying {message.GetType().Name})");
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>
    /// An exception while finishing recovery is not a recovery failure to Akka: it would restart the master at once, forever and
    /// without backoff (a tight loop). Count it as one and stop, so the backoff supervisor retries and RegistryHealth can give up
    /// with the cause.
    /// </summary>
    private void OnRecoveredOrStop()
    {
        try { OnRecovered(); }
        catch (Exception e)
        {
            OnRecoveryFailure(e, RecoveryCompleted.Instance);
            Context.Stop(Self);
        }
    }
}
