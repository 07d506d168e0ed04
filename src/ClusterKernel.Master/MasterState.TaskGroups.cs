using ClusterKernel.Protocol;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master;

/// <summary>An executor of task groups on one agent: its resources are charged while any of its tasks lives.</summary>
public sealed class ExecutorEntry
{
    public required FrameworkId FrameworkId { get; init; }
    public required AgentId AgentId { get; init; }
    public required ExecutorInfo Info { get; init; }
    public string? Role { get; init; }
    public HashSet<TaskId> Tasks { get; } = new();
}

// Task groups (LAUNCH_GROUP) as Mesos validates them (src/master/validation.cpp, task_group): one DEFAULT executor, tasks with
// unique ids on the offers' agent, executor resources plus every task's within the offers. An invalid group is refused whole.
public sealed partial class MasterState
{
    public Dictionary<(FrameworkId, ExecutorId), ExecutorEntry> Executors { get; } = new();

    private static IEnumerable<TaskInfo> GroupTasks(IReadOnlyList<OfferOperation> operations) =>
        operations.OfType<LaunchGroupOperation>().SelectMany(g => g.Tasks);

    /// <summary>Validates one group against what is left of the offers; returns what is left after it.</summary>
    private ResourceBag AcceptGroup(FrameworkId fw, LaunchGroupOperation group, AgentId agent, string role, ResourceBag pool,
        HashSet<TaskId> ids, List<TaskInfo> launch, List<TaskStatus> refused, double now)
    {
        var framework = Frameworks[fw];
        var executor = group.Executor;
        var running = Executors.GetValueOrDefault((fw, executor.ExecutorId));
        string? error = null;
        if (group.Tasks.Count == 0) error = "Task group is empty";
        else if (executor.Type != ExecutorInfo.DefaultType) error = $"Executor type {executor.Type} is not supported (only DEFAULT)";
        else if (string.IsNullOrWhiteSpace(executor.ExecutorId.Value)) error = "Executor id is empty";
        else if (executor.FrameworkId is { } owner && owner != fw) error = $"Executor belongs to framework {owner}";
        else if (running is not null && running.AgentId != agent) error = $"Executor {executor.ExecutorId} is running on agent {running.AgentId}";
        else if (running is not null && !running.Info.Resources.Equals(executor.Resources)) error = $"Executor {executor.ExecutorId} is running with other resources";
        var need = running is null ? executor.Resources : ResourceBag.Empty;
        var groupIds = new HashSet<TaskId>();
        foreach (var t in group.Tasks)
        {
            if (error is not null) break;
            if (string.IsNullOrWhiteSpace(t.TaskId.Value)) error = "Task id is empty";
            else if (framework.Tasks.ContainsKey(t.TaskId) || ids.Contains(t.TaskId) || !groupIds.Add(t.TaskId)) error = $"Task id {t.TaskId} is already in use by this framework";
            else if (t.AgentId != agent) error = $"Task {t.TaskId} uses agent {t.AgentId} but the offers are on {agent}";
            else if (t.Resources.IsEmpty) error = $"Task {t.TaskId} uses no resources";
            else if (t.Command?.Value is null or "" && t.Container?.DockerImage is null) error = $"Task {t.TaskId} has no command";
            need += t.Resources;
        }
        if (error is null && !pool.Contains(need)) error = $"Task group and executor use more resources ({need}) than the offers have left ({pool})";
        if (error is not null)
        {
            refused.AddRange(group.Tasks.Select(t => MasterStatus(t.TaskId, t.AgentId, TaskState.TASK_ERROR, error, Reasons.TaskGroupInvalid, now)));
            return pool;
        }
        var info = executor with { FrameworkId = fw };
        foreach (var t in group.Tasks)
        {
            ids.Add(t.TaskId);
            var task = t with { Executor = info };
            launch.Add(task);
            AddTask(fw, task, TaskState.TASK_STAGING, now, role);
        }
        return pool - need;
    }

    /// <summary>Records a group task under its executor; a new executor (e.g. reported by a re-registering agent) is charged.</summary>
    private void TrackExecutor(FrameworkId fw, AgentId agent, ExecutorInfo info, TaskId task, string? role)
    {
        if (!Executors.TryGetValue((fw, info.ExecutorId), out var e))
        {
            // The executor's own resources: charged to the framework and agent until its last task ends.
            Executors[(fw, info.ExecutorId)] = e = new ExecutorEntry { FrameworkId = fw, AgentId = agent, Info = info, Role = role };
            if (Frameworks.TryGetValue(fw, out var f)) f.Used += info.Resources;
            if (Agents.TryGetValue(agent, out var a)) a.Used += info.Resources;
        }
        e.Tasks.Add(task);
    }

    /// <summary>When <paramref name="task"/> was the last live task of its executor: the executor is gone, its resources are freed.</summary>
    private ResourceBag ReleaseExecutorIfDone(FrameworkId fw, TaskEntry task)
    {
        if (task.Info.Executor is not { } info || !Executors.TryGetValue((fw, info.ExecutorId), out var e)) return ResourceBag.Empty;
        if (e.Tasks.Any(id => FindTask(fw, id) is { } t && !t.State.IsTerminal())) return ResourceBag.Empty;
        ForgetExecutors(x => x == e);
        return e.Info.Resources;
    }

    public IEnumerable<ExecutorEntry> ExecutorsOnAgent(AgentId agent) => Executors.Values.Where(e => e.AgentId == agent);

    /// <summary>Drops executors without freeing them to the allocator (agent taken out of the live view, or framework removed).</summary>
    public void ForgetExecutors(Func<ExecutorEntry, bool> which)
    {
        foreach (var e in Executors.Values.Where(which).ToList())
        {
            Executors.Remove((e.FrameworkId, e.Info.ExecutorId));
            if (Frameworks.TryGetValue(e.FrameworkId, out var f)) f.Used -= e.Info.Resources;
            if (Agents.TryGetValue(e.AgentId, out var a)) a.Used -= e.Info.Resources;
        }
    }
}
