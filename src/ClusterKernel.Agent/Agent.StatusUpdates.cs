using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Agent;

/// <summary>
/// Status-update delivery of the agent: every update produced while handling one message (e.g. the STARTING updates of one
/// RunTasks, or the RUNNING updates a batch of acknowledgements releases) goes to the master as one <see cref="StatusUpdates"/>
/// (a single <see cref="StatusUpdate"/> when there is one). Per-task order and one outstanding update per task are kept by
/// <see cref="AgentTaskTable"/>; the retry timer runs only while some update is unacknowledged.
/// </summary>
public sealed partial class Agent
{
    /// <summary>Updates per message: keeps a batch (a few hundred bytes per update) far below Akka's default 128 kB frame.</summary>
    internal const int MaxUpdatesPerMessage = 100;
    private const string RetryTimer = "retry";
    private readonly List<StatusUpdate> _outbox = new();
    private bool _running;

    private void OnAcknowledgement(StatusUpdateAcknowledgement m)
    {
        var next = _tasks.Acknowledge(m.TaskId, m.Uuid, DateTimeOffset.UtcNow);
        FlushCheckpoint();
        if (next is not null) Send(m.FrameworkId, next);
    }

    private void FlushUpdates()
    {
        if (_outbox.Count > 0)
        {
            var target = _master.IsNobody() ? _masterProxy : _master;
            if (_outbox.Count == 1) target.Tell(_outbox[0]);
            else foreach (var chunk in _outbox.Chunk(MaxUpdatesPerMessage)) target.Tell(chunk.Length == 1 ? chunk[0] : new StatusUpdates(chunk));
            _outbox.Clear();
        }
        if (!_running) return;
        // A periodic tick per agent costs a message and a scan of its tasks even when idle: at 10,000 agents that adds up.
        if (_tasks.OutstandingCount == 0) Timers.Cancel(RetryTimer);
        else if (!Timers.IsTimerActive(RetryTimer))
            Timers.StartPeriodicTimer(RetryTimer, RetryTick.Instance, TimeSpan.FromMilliseconds(Math.Min(1000, _settings.StatusUpdateRetryMin.TotalMilliseconds / 2)));
    }
}
