using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// The operator event stream, pushed (Mesos' v1 operator SUBSCRIBE): a subscriber gets a fresh state, then every change as the
/// master makes it, in order (one actor sends both, so nothing falls between the snapshot and the first event). Events are
/// built only while someone subscribes.
/// </summary>
public sealed partial class Master
{
    private readonly HashSet<IActorRef> _operatorSubscribers = new();

    private sealed record OperatorSubscriberGone(IActorRef Subscriber);

    private void OperatorEventCommands()
    {
        Command<SubscribeOperatorEvents>(m =>
        {
            if (_operatorSubscribers.Add(m.Subscriber)) Context.WatchWith(m.Subscriber, new OperatorSubscriberGone(m.Subscriber));
            HookTaskEvents();
            m.Subscriber.Tell(new OperatorSubscribed(_state.Snapshot(_epoch, _startTime, Now(), _registry.IsAvailable), MaintenanceNow(), Self));
        });
        Command<UnsubscribeOperatorEvents>(m => { Context.Unwatch(m.Subscriber); DropSubscriber(m.Subscriber); });
        Command<OperatorSubscriberGone>(m => DropSubscriber(m.Subscriber));
    }

    private void DropSubscriber(IActorRef subscriber)
    {
        _operatorSubscribers.Remove(subscriber);
        HookTaskEvents();
    }

    private MaintenanceView MaintenanceNow() => WithSchedule(new MaintenanceView(_registry.DownHostnames.ToList(), _registry.Deactivated.ToList(),
        _registry.Draining.ToList(), _registry.Gone.ToList()));

    /// <summary>Task changes happen inside <see cref="MasterState"/>: it calls back only while there are subscribers.</summary>
    private void HookTaskEvents()
    {
        if (_operatorSubscribers.Count == 0) { _state.TaskAdded = null; _state.TaskStateChanged = null; return; }
        _state.TaskAdded ??= t => PublishOperatorEvent(new OperatorTaskAdded(MasterState.ViewOf(t)));
        _state.TaskStateChanged ??= t => PublishOperatorEvent(new OperatorTaskUpdated(t.FrameworkId, t.Latest!, t.State));
    }

    private bool HasOperatorSubscribers => _operatorSubscribers.Count > 0;

    /// <summary>The states of the tasks the master has on an agent, while someone subscribes (null otherwise, or for a new agent).</summary>
    private Dictionary<(FrameworkId, TaskId), TaskState>? KnownTasksOf(AgentId id) =>
        HasOperatorSubscribers && _state.Agents.ContainsKey(id)
            ? _state.TasksOnAgent(id).ToDictionary(t => (t.FrameworkId, t.Info.TaskId), t => t.State) : null;

    /// <summary>
    /// While a re-registering agent's tasks are added again: Mesos' master sends no TASK_ADDED for the tasks it already knew
    /// (Master::___reregisterSlave / __reregisterSlave add them silently), so only a task new to the master is TASK_ADDED, and a
    /// known one whose state changed meanwhile (UNREACHABLE → RUNNING, RUNNING → FINISHED) gives one TASK_UPDATED.
    /// </summary>
    private IDisposable? KnownTasksAsUpdates(IReadOnlyDictionary<(FrameworkId, TaskId), TaskState>? known)
    {
        if (known is null || _state.TaskAdded is not { } added) return null;
        _state.TaskAdded = t =>
        {
            if (!known.TryGetValue((t.FrameworkId, t.Info.TaskId), out var was)) added(t);
            else if (was != t.State) PublishOperatorEvent(new OperatorTaskUpdated(t.FrameworkId, t.Latest!, t.State));
        };
        return new Restore(() => _state.TaskAdded = added);
    }

    private sealed class Restore(Action restore) : IDisposable { public void Dispose() => restore(); }

    /// <summary>A task the agent no longer reports is dropped by the master: subscribers get its TASK_LOST.</summary>
    private void PublishTaskLostOnReregistration(FrameworkId fw, TaskStatus lost)
    {
        if (HasOperatorSubscribers) PublishOperatorEvent(new OperatorTaskUpdated(fw, lost, lost.State));
    }

    private void PublishOperatorEvent(IOperatorEvent e)
    {
        foreach (var s in _operatorSubscribers) s.Tell(e);
    }

    private AgentOperatorState OperatorStateOf(AgentEntry a) =>
        new(_registry.Deactivated.Contains(a.Id), _registry.Draining.Contains(a.Id), _registry.DownHostnames.Contains(a.Info.Hostname));

    private void PublishAgent(AgentId id, bool added)
    {
        if (!HasOperatorSubscribers || !_state.Agents.TryGetValue(id, out var a)) return;
        var view = MasterState.ViewOf(a, _registry.IsAvailable(a.Id, a.Info.Hostname));
        PublishOperatorEvent(added ? new OperatorAgentAdded(view, OperatorStateOf(a)) : new OperatorAgentUpdated(view, OperatorStateOf(a)));
    }

    private void PublishAgentRemoved(AgentId id)
    {
        if (HasOperatorSubscribers) PublishOperatorEvent(new OperatorAgentRemoved(id));
    }

    private enum FrameworkChange { Added, Updated, Removed }

    private void PublishFramework(FrameworkEntry f, FrameworkChange change)
    {
        if (!HasOperatorSubscribers) return;
        var view = MasterState.ViewOf(f);
        PublishOperatorEvent(change switch
        {
            FrameworkChange.Added => new OperatorFrameworkAdded(view),
            FrameworkChange.Updated => new OperatorFrameworkUpdated(view),
            _ => new OperatorFrameworkRemoved(view),
        });
    }
}
