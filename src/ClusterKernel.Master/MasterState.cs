using ClusterKernel.Protocol;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master;

public sealed class AgentEntry
{
    public required AgentId Id { get; init; }
    public required AgentInfo Info { get; set; }
    public bool Connected { get; set; }
    /// <summary>No contact for agent-ping-timeout: its tasks were reported UNREACHABLE or LOST.</summary>
    public bool Unreachable { get; set; }
    public double RegisteredTime { get; set; }
    public DateTimeOffset LastSeen { get; set; }
    public DateTimeOffset? DisconnectedAt { get; set; }
    public ResourceBag Used { get; set; } = ResourceBag.Empty;
    public ResourceBag Offered { get; set; } = ResourceBag.Empty;
    /// <summary>Its view in the last published state, reused while nothing in it changed.</summary>
    internal AgentView? View { get; set; }
}

public sealed class FrameworkEntry
{
    public required FrameworkId Id { get; init; }
    public required FrameworkInfo Info { get; set; }
    public bool Connected { get; set; }
    public double RegisteredTime { get; set; }
    public double? UnregisteredTime { get; set; }
    public HashSet<OfferId> Offers { get; } = new();
    public TaskTable Tasks { get; } = new();
    public LinkedList<TaskEntry> Completed { get; } = new();
    /// <summary>Views of <see cref="Completed"/> as last published; null after it changed.</summary>
    internal TaskView[]? CompletedViews { get; set; }
    public ResourceBag Used { get; set; } = ResourceBag.Empty;
    public ResourceBag Offered { get; set; } = ResourceBag.Empty;
}

public sealed class TaskEntry
{
    public required TaskInfo Info { get; init; }
    public required FrameworkId FrameworkId { get; init; }
    public required AgentId AgentId { get; init; }
    public TaskState State { get; set; } = TaskState.TASK_STAGING;
    /// <summary>The role its offer was allocated under; null for tasks learnt from a re-registering agent.</summary>
    public string? Role { get; init; }
    /// <summary>The latest status in full (reconciliation answers with it; an acknowledgement is matched against its uuid).</summary>
    public TaskStatus? Latest { get; private set; }
    /// <summary>State and time of every status before <see cref="Latest"/>, oldest first: all /state shows of them. Keeping
    /// each TaskStatus as received (its own id strings, uuid, message) cost ~1 KB per task at 100,000 tasks.</summary>
    private (TaskState State, double Timestamp)[] _earlier = Array.Empty<(TaskState, double)>();

    public void AddStatus(TaskStatus status)
    {
        if (Latest is { } previous) _earlier = [.. _earlier, (previous.State, previous.Timestamp)];
        // Share the entry's own ids instead of the copies every deserialized update brings.
        Latest = status with
        {
            TaskId = Info.TaskId, AgentId = status.AgentId == AgentId ? AgentId : status.AgentId,
            ExecutorId = status.ExecutorId is { } e && e.Value == Info.TaskId.Value ? new ExecutorId(Info.TaskId.Value) : status.ExecutorId,
        };
    }

    /// <summary>Every status, oldest first, as an immutable list that rebuilds the earlier ones from their state and time
    /// when read (the cached <see cref="View"/> of every task holds one, so it must stay small).</summary>
    public IReadOnlyList<TaskStatus> Statuses() =>
        Latest is null ? Array.Empty<TaskStatus>() : new StatusHistory(Info.TaskId, AgentId, _earlier, Latest);

    private sealed class StatusHistory(TaskId task, AgentId agent, (TaskState State, double Timestamp)[] earlier, TaskStatus latest)
        : IReadOnlyList<TaskStatus>
    {
        public int Count => earlier.Length + 1;
        public TaskStatus this[int index] => index == earlier.Length ? latest
            : new TaskStatus { TaskId = task, AgentId = agent, State = earlier[index].State, Timestamp = earlier[index].Timestamp };
        public IEnumerator<TaskStatus> GetEnumerator() { for (var i = 0; i < Count; i++) yield return this[i]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
    /// <summary>This task's entry in the published state, rebuilt only after it changes: /state at 100,000 tasks must not copy them all.
    /// Clearing it marks the task's chunk of its <see cref="TaskTable"/> for the next publish.</summary>
    public TaskView? View
    {
        get => _view;
        set { _view = value; if (value is null) Table?.MarkDirty(Slot); }
    }
    private TaskView? _view;
    internal TaskTable? Table { get; set; }
    internal int Slot { get; set; } = -1;

    internal TaskView CurrentView() => _view ??= new TaskView(Info.TaskId, Info.Name, FrameworkId, AgentId, State, Info.Resources, Statuses(), Info.Container?.DockerImage);
}

/// <summary>What an ACCEPT turned into: tasks to launch on the offers' agent, updates for tasks refused, resources to give back.</summary>
public sealed record AcceptOutcome(AgentId? Agent, string? Role, IReadOnlyList<TaskInfo> Launch, IReadOnlyList<TaskStatus> Refused, ResourceBag Unused)
{
    /// <summary>Valid offers named by an invalid ACCEPT: they go back whole, each to its own agent, without a filter.</summary>
    public IReadOnlyList<Offer> Returned { get; init; } = Array.Empty<Offer>();
    /// <summary>RESERVE/UNRESERVE/CREATE/DESTROY applied, in order, to the offered resources (see MasterState.Operations.cs).</summary>
    public IReadOnlyList<ClusterKernel.Resources.ResourceConversion> Conversions { get; init; } = Array.Empty<ClusterKernel.Resources.ResourceConversion>();
    /// <summary>Every non-LAUNCH operation with its error (null when applied), for operation feedback.</summary>
    public IReadOnlyList<(OfferOperation Operation, string? Error)> OperationResults { get; init; } = Array.Empty<(OfferOperation, string?)>();
}

/// <summary>
/// The master's in-memory view of the cluster — agents, frameworks, offers, tasks — and the rules that change it,
/// as plain C# with no Akka: the actor validates calls here, then sends what the outcome says.
/// </summary>
public sealed partial class MasterState(int maxCompletedPerFramework)
{
    public Dictionary<AgentId, AgentEntry> Agents { get; } = new();
    public Dictionary<FrameworkId, FrameworkEntry> Frameworks { get; } = new();
    public Dictionary<OfferId, Offer> Offers { get; } = new();
    private long _offerSeq;

    public Offer AddOffer(string epoch, FrameworkId fw, AgentId agent, string role, ResourceBag resources)
    {
        var a = Agents[agent];
        var offer = new Offer
        {
            Id = new OfferId($"{epoch}-O{++_offerSeq}"), FrameworkId = fw, AgentId = agent, Hostname = a.Info.Hostname,
            Resources = resources, AllocationRole = role, Attributes = a.Info.Attributes,
        };
        Offers[offer.Id] = offer;
        var f = Frameworks[fw];
        f.Offers.Add(offer.Id);
        f.Offered += resources;
        a.Offered += resources;
        return offer;
    }

    /// <summary>Removes an offer (accepted, declined or rescinded); returns it, or null when it is unknown.</summary>
    public Offer? RemoveOffer(OfferId id)
    {
        if (!Offers.Remove(id, out var offer)) return null;
        if (Frameworks.TryGetValue(offer.FrameworkId, out var f)) { f.Offers.Remove(id); f.Offered -= offer.Resources; }
        if (Agents.TryGetValue(offer.AgentId, out var a)) a.Offered -= offer.Resources;
        return offer;
    }

    public IReadOnlyList<Offer> OffersOnAgent(AgentId agent) => Offers.Values.Where(o => o.AgentId == agent).ToList();
    public IReadOnlyList<Offer> OffersOfFramework(FrameworkId fw) =>
        Frameworks.TryGetValue(fw, out var f) ? f.Offers.Select(id => Offers[id]).ToList() : Array.Empty<Offer>();

    /// <summary>
    /// Validates an ACCEPT as Mesos does: every offer must exist, belong to the framework and lie on one agent; each task needs a
    /// unique id, that agent, and resources contained in what is left of the offers. Invalid tasks get TASK_ERROR (bad task) or
    /// TASK_LOST (bad offers); the offers are used up either way and what no task took is returned as <see cref="AcceptOutcome.Unused"/>.
    /// </summary>
    public AcceptOutcome Accept(FrameworkId fw, IReadOnlyList<OfferId> offerIds, IReadOnlyList<OfferOperation> operations, double now)
    {
        var tasks = operations.OfType<LaunchOperation>().SelectMany(l => l.TaskInfos).ToList();
        var offers = new List<Offer>();
        string? offerError = offerIds.Count == 0 ? "ACCEPT names no offer" : null;
        foreach (var id in offerIds.Distinct())
        {
            if (!Offers.TryGetValue(id, out var o)) { offerError ??= $"Offer {id} is no longer valid"; continue; }
            if (o.FrameworkId != fw) { offerError ??= $"Offer {id} belongs to another framework"; continue; }
            offers.Add(o);
        }
        if (offerError is null && offers.Select(o => o.AgentId).Distinct().Count() > 1) offerError = "Offers of an ACCEPT must all be on one agent";
        foreach (var o in offers) RemoveOffer(o.Id);
        var pool = offers.Aggregate(ResourceBag.Empty, (acc, o) => acc + o.Resources);
        if (offerError is not null)
            return new AcceptOutcome(null, null, Array.Empty<TaskInfo>(),
                tasks.Concat(GroupTasks(operations)).Select(t => Refusal(t, TaskState.TASK_LOST, offerError, Reasons.InvalidOffers, now)).ToList(), ResourceBag.Empty)
            {
                Returned = offers,
                OperationResults = operations.Where(op => op is not (LaunchOperation or LaunchGroupOperation)).Select(op => (op, (string?)offerError)).ToList(),
            };

        var agent = offers[0].AgentId;
        var role = offers[0].AllocationRole;
        var framework = Frameworks[fw];
        var launch = new List<TaskInfo>();
        var refused = new List<TaskStatus>();
        var ids = new HashSet<TaskId>();
        var conversions = new List<ClusterKernel.Resources.ResourceConversion>();
        var results = new List<(OfferOperation, string?)>();
        // Operations apply in order: a RESERVE changes what a later LAUNCH may use; an invalid one is dropped alone (as Mesos does).
        foreach (var op in operations)
        {
            if (op is LaunchOperation l) foreach (var t in l.TaskInfos) Launch(t);
            else if (op is LaunchGroupOperation g) pool = AcceptGroup(fw, g, agent, role, pool, ids, launch, refused, now);
            else results.Add((op, ApplyOperation(framework, Agents[agent], op, ref pool, conversions)));
        }
        return new AcceptOutcome(agent, role, launch, refused, pool) { Conversions = conversions, OperationResults = results };

        void Launch(TaskInfo t)
        {
            string? error = null;
            if (string.IsNullOrWhiteSpace(t.TaskId.Value)) error = "Task id is empty";
            else if (framework.Tasks.ContainsKey(t.TaskId) || !ids.Add(t.TaskId)) error = $"Task id {t.TaskId} is already in use by this framework";
            else if (t.AgentId != agent) error = $"Task uses agent {t.AgentId} but the offers are on {agent}";
            else if (t.Resources.IsEmpty) error = "Task uses no resources";
            else if (t.Command?.Value is null or "" && t.Container?.DockerImage is null) error = "Task has no command";
            else if (t.HealthCheck?.Validate() is { } hc) error = "Task uses invalid health check: " + hc;
            else if (!pool.Contains(t.Resources)) error = $"Task uses more resources ({t.Resources}) than the offers have left ({pool})";
            if (error is not null) { refused.Add(Refusal(t, TaskState.TASK_ERROR, error, Reasons.TaskInvalid, now)); return; }
            pool -= t.Resources;
            var task = t with { AgentId = agent }; // the master's own copy of the id, not the one this ACCEPT brought
            launch.Add(task);
            AddTask(fw, task, TaskState.TASK_STAGING, now, role);
        }
    }

    /// <summary>Adds a task (launched, or reported by a re-registering agent) and charges its resources.</summary>
    public TaskEntry AddTask(FrameworkId fw, TaskInfo info, TaskState state, double now, string? role = null)
    {
        var entry = new TaskEntry { Info = info, FrameworkId = fw, AgentId = info.AgentId, State = state, Role = role };
        entry.AddStatus(new TaskStatus { TaskId = info.TaskId, State = state, AgentId = info.AgentId, Source = StatusSource.SOURCE_MASTER, Timestamp = now });
        var f = Frameworks[fw];
        f.Tasks[info.TaskId] = entry;
        f.Used += info.Resources;
        if (Agents.TryGetValue(info.AgentId, out var a)) a.Used += info.Resources;
        if (info.Executor is { } executor && !state.IsTerminal()) TrackExecutor(fw, info.AgentId, executor, info.TaskId, role);
        TaskAdded?.Invoke(entry);
        return entry;
    }

    /// <summary>Applies a status update. Returns the resources to give back to the allocator when the task just ended, else null.</summary>
    public (ResourceBag Resources, string? Role)? ApplyStatus(FrameworkId fw, TaskStatus status)
    {
        if (!Frameworks.TryGetValue(fw, out var f) || !f.Tasks.TryGetValue(status.TaskId, out var task)) return null;
        var wasTerminal = task.State.IsTerminal();
        var changed = task.State != status.State;
        task.State = status.State;
        task.AddStatus(status);
        task.View = null;
        // As Mesos' Master::updateTask: one event per new state, and every health check result even without one.
        if (changed || status.Reason == Reasons.TaskHealthCheckStatusUpdated) TaskStateChanged?.Invoke(task);
        if (wasTerminal || !status.State.IsTerminal()) return null;
        var freed = task.Info.Resources + ReleaseExecutorIfDone(fw, task);
        f.Used -= task.Info.Resources;
        if (Agents.TryGetValue(task.AgentId, out var a)) a.Used -= task.Info.Resources;
        return (freed, task.Role);
    }

    /// <summary>Moves a task whose terminal update was acknowledged (or which was lost) to the framework's completed list.</summary>
    public void CompleteTask(FrameworkId fw, TaskId id)
    {
        if (!Frameworks.TryGetValue(fw, out var f) || !f.Tasks.TryGetValue(id, out var task) || !task.State.IsTerminal()) return;
        f.Tasks.Remove(id);
        f.Completed.AddLast(task);
        while (f.Completed.Count > maxCompletedPerFramework) f.Completed.RemoveFirst();
        f.CompletedViews = null;
    }

    public TaskEntry? FindTask(FrameworkId fw, TaskId id) =>
        !Frameworks.TryGetValue(fw, out var f) ? null : f.Tasks.GetValueOrDefault(id) ?? f.Completed.LastOrDefault(t => t.Info.TaskId == id);

    public IEnumerable<TaskEntry> TasksOnAgent(AgentId agent) =>
        Frameworks.Values.SelectMany(f => f.Tasks.Values).Where(t => t.AgentId == agent);

    /// <summary>Master-made update (reconciliation, lost tasks): no uuid, so it is not retried or acknowledged.</summary>
    public static TaskStatus MasterStatus(TaskId id, AgentId? agent, TaskState state, string message, string reason, double now) => new()
    {
        TaskId = id, AgentId = agent, State = state, Message = message, Reason = reason, Source = StatusSource.SOURCE_MASTER, Timestamp = now,
    };

    private static TaskStatus Refusal(TaskInfo t, TaskState state, string message, string reason, double now) =>
        MasterStatus(t.TaskId, t.AgentId, state, message, reason, now);

    /// <param name="isAvailable">Whether the operator lets the agent take offers (not deactivated, draining or down for maintenance).</param>
    /// <remarks>Cheap on the master's thread at 100,000 tasks: task views come from <see cref="TaskTable"/> chunks (only the chunks
    /// with a changed task are rebuilt) and are block-copied into one immutable array; agent views are reused while unchanged.</remarks>
    public ClusterState Snapshot(string epoch, double startTime, double now, Func<AgentId, string, bool> isAvailable)
    {
        var agents = new AgentView[Agents.Count];
        var n = 0;
        foreach (var a in Agents.Values)
        {
            var active = a.Connected && isAvailable(a.Id, a.Info.Hostname);
            if (a.View is not { } v || !ReferenceEquals(v.Hostname, a.Info.Hostname) || !ReferenceEquals(v.Resources, a.Info.Resources)
                || !ReferenceEquals(v.Used, a.Used) || !ReferenceEquals(v.Offered, a.Offered) || !ReferenceEquals(v.Attributes, a.Info.Attributes)
                || v.Active != active || v.RegisteredTime != a.RegisteredTime)
                a.View = v = new AgentView(a.Id, a.Info.Hostname, a.Info.Resources, a.Used, a.Offered, a.Info.Attributes, active, a.RegisteredTime);
            agents[n++] = v;
        }
        var chunks = new List<TaskView[]>();
        foreach (var f in Frameworks.Values)
        {
            f.Tasks.Publish(chunks);
            chunks.Add(f.CompletedViews ??= f.Completed.Select(t => t.CurrentView()).ToArray());
        }
        var tasks = new TaskView[chunks.Sum(c => c.Length)];
        n = 0;
        foreach (var c in chunks) { Array.Copy(c, 0, tasks, n, c.Length); n += c.Length; }
        return new ClusterState(epoch, startTime, now, agents,
            Frameworks.Values.Select(f => new FrameworkView(f.Id, f.Info.Name, f.Info.Roles, f.Connected, f.Connected, f.Info.FailoverTimeout,
                f.Used, f.Offered, f.RegisteredTime, f.UnregisteredTime)).ToList(),
            tasks, Offers.Values.ToList())
        {
            Executors = Executors.Values.Select(e => new ExecutorView(e.FrameworkId, e.AgentId, e.Info, e.Tasks.ToList())).ToList(),
            CompletedFrameworks = CompletedFrameworkViews(),
        };
    }
}
