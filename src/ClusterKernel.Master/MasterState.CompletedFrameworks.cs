using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

// Frameworks that were removed (TEARDOWN, failover timeout), kept for /state and GET_FRAMEWORKS `completed_frameworks` as
// Mesos' master keeps them: a bounded buffer (--max_completed_frameworks, default 50) of frameworks, each with its completed
// tasks (already bounded by --max_completed_tasks_per_framework). In memory only, as in Mesos: a new leader starts empty.
public sealed partial class MasterState
{
    public int MaxCompletedFrameworks { get; init; } = 50;

    /// <summary>Removed frameworks, oldest first.</summary>
    public LinkedList<FrameworkEntry> CompletedFrameworks { get; } = new();
    private IReadOnlyList<CompletedFrameworkView>? _completedFrameworkViews;

    /// <summary>
    /// Removes a framework as Mesos' Master::removeFramework: tasks still active end TASK_KILLED (REASON_FRAMEWORK_REMOVED; the
    /// master marks them without sending the update, the agents are told to shut the framework down), every task moves to its
    /// completed tasks, and the framework to <see cref="CompletedFrameworks"/>, dropping the oldest beyond the bound.
    /// </summary>
    public FrameworkEntry? CompleteFramework(FrameworkId id, string message, double now)
    {
        if (!Frameworks.TryGetValue(id, out var f)) return null;
        foreach (var t in f.Tasks.Values.ToList())
        {
            if (!t.State.IsTerminal())
                ApplyStatus(id, MasterStatus(t.Info.TaskId, t.AgentId, TaskState.TASK_KILLED, message, Reasons.FrameworkRemoved, now));
            CompleteTask(id, t.Info.TaskId);
        }
        f.Connected = false;
        f.UnregisteredTime = now;
        f.Offered = ClusterKernel.Resources.Resources.Empty;
        Frameworks.Remove(id);
        CompletedFrameworks.AddLast(f);
        while (CompletedFrameworks.Count > Math.Max(0, MaxCompletedFrameworks)) CompletedFrameworks.RemoveFirst();
        _completedFrameworkViews = null;
        return f;
    }

    /// <summary>Views for the published state, rebuilt only when a framework completes (completed frameworks never change).</summary>
    private IReadOnlyList<CompletedFrameworkView> CompletedFrameworkViews() => _completedFrameworkViews ??=
        CompletedFrameworks.Select(f => new CompletedFrameworkView(ViewOf(f), f.Completed.Select(t => t.CurrentView()).ToArray())).ToArray();
}
