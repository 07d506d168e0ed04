using Akka.Event;
using Akka.Persistence;

namespace ClusterKernel.Master;

/// <summary>
/// Registry snapshots (see <see cref="RegistrySnapshot"/>): once at least <c>registry-snapshot-every</c> events were written since
/// the last one, the next sweep saves the registry; a new leader recovers from it plus the events after it. The journal keeps
/// every event; of the snapshots the latest two are kept (an older one remains if the newest cannot be read).
/// </summary>
public sealed partial class Master
{
    private long _lastSnapshotSeqNr;
    private long _previousSnapshotSeqNr;
    private bool _savingSnapshot;

    private void OnRegistrySnapshotOffer(SnapshotOffer offer)
    {
        _registry.Restore((RegistrySnapshot)offer.Snapshot);
        _lastSnapshotSeqNr = offer.Metadata.SequenceNr;
        _log.Info("Registry snapshot at event {0} loaded: {1} agents, {2} frameworks", offer.Metadata.SequenceNr, _registry.Agents.Count, _registry.Frameworks.Count);
    }

    private void RegistrySnapshotCommands()
    {
        Command<SaveSnapshotSuccess>(s =>
        {
            _savingSnapshot = false;
            _log.Info("Registry snapshot saved at event {0}", s.Metadata.SequenceNr);
            if (_previousSnapshotSeqNr > 0) DeleteSnapshots(new SnapshotSelectionCriteria(_previousSnapshotSeqNr - 1));
            _previousSnapshotSeqNr = s.Metadata.SequenceNr;
        });
        Command<SaveSnapshotFailure>(f =>
        {
            // Nothing is lost: the events are in the journal; the next sweep tries again.
            _savingSnapshot = false;
            _lastSnapshotSeqNr = _previousSnapshotSeqNr;
            _log.Warning("Registry snapshot at event {0} not saved: {1}", f.Metadata.SequenceNr, f.Cause.Message);
        });
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => _log.Warning("Old registry snapshots not deleted: {0}", f.Cause.Message));
    }

    /// <summary>Called from the sweep: cheap unless enough events were written since the last snapshot.</summary>
    private void SnapshotRegistryIfDue()
    {
        if (_settings.RegistrySnapshotEvery <= 0 || _savingSnapshot || LastSequenceNr - _lastSnapshotSeqNr < _settings.RegistrySnapshotEvery) return;
        _savingSnapshot = true;
        _lastSnapshotSeqNr = LastSequenceNr;
        SaveSnapshot(_registry.ToSnapshot());
    }
}
