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

    private static string FirstLine(Exception e)
    {
        var root = e;
        while (root.InnerException is not null) root = root.InnerException;
        return (root.Message.Split('\n')[0]).Trim();
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        var reason = RegistryDown(cause);
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
        RegistryHealth.Get(Context.System).Failed(RegistryDown(reason));
        base.OnRecoveryFailure(reason, message);
    }
}
