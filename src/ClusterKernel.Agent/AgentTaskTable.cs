namespace ClusterKernel.Agent;

/// <summary>One task on this agent: what it is, its state, and its status updates not yet acknowledged (oldest first).</summary>
public sealed class AgentTask
{
    public required FrameworkId FrameworkId { get; init; }
    public required TaskInfo Info { get; init; }
    public required string ContainerId { get; init; }
    public required string Sandbox { get; init; }
    /// <summary>Name of the containerizer that launched (or is launching) the task; Wait/Kill/Cleanup go to it. Null until one is chosen.</summary>
    public string? Containerizer { get; set; }
    public TaskState State { get; set; } = TaskState.TASK_STAGING;
    public bool Launched { get; set; }
    public bool KillRequested { get; set; }
    public TimeSpan? KillGrace { get; set; }
    public List<TaskStatus> Unacknowledged { get; } = new();
    public DateTimeOffset NextRetry { get; set; }
    public TimeSpan Backoff { get; set; }
}

/// <summary>
/// The agent's tasks and its status-update manager, as plain C#: updates are delivered in order per task, one
/// outstanding at a time, retried with exponential backoff until the framework acknowledges the head (as Mesos'
/// status update manager). A task whose terminal update is acknowledged leaves the table.
/// </summary>
public sealed class AgentTaskTable(TimeSpan retryMin, TimeSpan retryMax)
{
    private readonly Dictionary<TaskId, AgentTask> _tasks = new();
    private readonly HashSet<TaskId> _dirty = new();
    private readonly HashSet<TaskId> _outstanding = new();

    public IReadOnlyCollection<AgentTask> Tasks => _tasks.Values;
    public AgentTask? Find(TaskId id) => _tasks.GetValueOrDefault(id);
    public bool Contains(TaskId id) => _tasks.ContainsKey(id);
    public void Add(AgentTask task)
    {
        _tasks[task.Info.TaskId] = task;
        _dirty.Add(task.Info.TaskId);
        if (task.Unacknowledged.Count > 0) _outstanding.Add(task.Info.TaskId); else _outstanding.Remove(task.Info.TaskId);
    }

    /// <summary>How many tasks have an update waiting for its acknowledgement (the agent retries only while this is not zero).</summary>
    public int OutstandingCount => _outstanding.Count;

    /// <summary>Marks a task whose checkpointed fields (launched, kill requested, containerizer) the caller changed.</summary>
    public void Touch(TaskId id) { if (_tasks.ContainsKey(id)) _dirty.Add(id); }

    /// <summary>Tasks changed since the last call, for the checkpoint: the task to write, or null when it left the table (delete).</summary>
    public IReadOnlyList<(TaskId Id, AgentTask? Task)> TakeChanged()
    {
        if (_dirty.Count == 0) return Array.Empty<(TaskId, AgentTask?)>();
        var changed = new (TaskId, AgentTask?)[_dirty.Count];
        var i = 0;
        foreach (var id in _dirty) changed[i++] = (id, _tasks.GetValueOrDefault(id));
        _dirty.Clear();
        return changed;
    }

    /// <summary>Records a new state. Returns the update to send now (when it became the head of the queue), else null.</summary>
    public TaskStatus? Update(TaskId id, TaskState state, AgentId agentId, DateTimeOffset now, string? message = null, string? reason = null, int? exitCode = null, bool? healthy = null)
    {
        var task = _tasks[id];
        if (!TaskStates.CanTransition(task.State, state)) return null;
        task.State = state;
        _dirty.Add(id);
        var status = new TaskStatus
        {
            TaskId = id, State = state, AgentId = agentId, ExecutorId = task.Info.Executor?.ExecutorId ?? new ExecutorId(id.Value), Message = message,
            Reason = reason, ExitCode = exitCode, Healthy = healthy, Source = StatusSource.SOURCE_AGENT, Uuid = RandomUuid.Next(),
            Timestamp = now.ToUnixTimeMilliseconds() / 1000.0,
        };
        task.Unacknowledged.Add(status);
        if (task.Unacknowledged.Count > 1) return null;
        _outstanding.Add(id);
        task.Backoff = retryMin;
        task.NextRetry = now + retryMin;
        return status;
    }

    /// <summary>Drops the acknowledged head. Returns the next update to send, if any. A terminal task with nothing left to deliver is removed.</summary>
    public TaskStatus? Acknowledge(TaskId id, Guid uuid, DateTimeOffset now)
    {
        if (!_tasks.TryGetValue(id, out var task) || task.Unacknowledged.Count == 0 || task.Unacknowledged[0].Uuid != uuid) return null;
        task.Unacknowledged.RemoveAt(0);
        _dirty.Add(id);
        if (task.Unacknowledged.Count == 0)
        {
            _outstanding.Remove(id);
            if (task.State.IsTerminal()) _tasks.Remove(id);
            return null;
        }
        task.Backoff = retryMin;
        task.NextRetry = now + retryMin;
        return task.Unacknowledged[0];
    }

    /// <summary>Heads of queues whose retry time has come; their backoff doubles up to the maximum.</summary>
    public IReadOnlyList<(FrameworkId Framework, TaskStatus Status)> DueForRetry(DateTimeOffset now)
    {
        var due = new List<(FrameworkId, TaskStatus)>();
        foreach (var t in _tasks.Values)
        {
            if (t.Unacknowledged.Count == 0 || t.NextRetry > now) continue;
            due.Add((t.FrameworkId, t.Unacknowledged[0]));
            t.Backoff = TimeSpan.FromTicks(Math.Min(t.Backoff.Ticks * 2, retryMax.Ticks));
            t.NextRetry = now + t.Backoff;
        }
        return due;
    }

    /// <summary>The tasks of the same task-group executor as <paramref name="task"/> (itself included); empty for a command task.</summary>
    public IReadOnlyList<AgentTask> Group(AgentTask task) => task.Info.Executor is not { } e
        ? Array.Empty<AgentTask>()
        : _tasks.Values.Where(t => t.FrameworkId == task.FrameworkId && t.Info.Executor?.ExecutorId == e.ExecutorId).ToList();

    /// <summary>Every head of queue, to resend at once (after re-registering with a new master).</summary>
    public IReadOnlyList<(FrameworkId Framework, TaskStatus Status)> AllHeads() =>
        _tasks.Values.Where(t => t.Unacknowledged.Count > 0).Select(t => (t.FrameworkId, t.Unacknowledged[0])).ToList();
}
