namespace ClusterKernel.Hosting.Chaos;

/// <summary>What the framework heard about one task, and where the task really runs at the end.</summary>
public sealed record ChaosTaskRecord(string TaskId, IReadOnlyList<TaskState> Seen);

/// <summary>The end-of-run invariants of <c>ck chaos</c>, pure: no processes, no HTTP.</summary>
public static class ChaosChecks
{
    /// <summary>A gap or a step back in the updates one task got, or null. Repeats are allowed (delivery is at least once).</summary>
    public static string? ProgressionError(IReadOnlyList<TaskState> seen)
    {
        for (var i = 1; i < seen.Count; i++)
        {
            var (from, to) = (seen[i - 1], seen[i]);
            if (from == to) continue;
            if (!TaskStates.CanTransition(from, to)) return $"{from} then {to}";
        }
        return null;
    }

    /// <summary>
    /// Violations: a task last told RUNNING that runs in no container (<paramref name="running"/>: task id → number of live
    /// containers over all agents), any task in two live containers, a bad progression, an admitted framework or agent the
    /// leader no longer knows.
    /// </summary>
    public static List<string> Violations(IReadOnlyList<ChaosTaskRecord> tasks, IReadOnlyDictionary<string, int> running,
        IEnumerable<string> admittedAgents, IReadOnlySet<string> leaderAgents, string? frameworkId, IReadOnlySet<string> leaderFrameworks)
    {
        var v = new List<string>();
        foreach (var t in tasks)
        {
            if (ProgressionError(t.Seen) is { } e) v.Add($"task {t.TaskId}: invalid progression {e} (seen {string.Join(",", t.Seen)})");
            var copies = running.GetValueOrDefault(t.TaskId);
            if (t.Seen.Count > 0 && t.Seen[^1] == TaskState.TASK_RUNNING && copies == 0)
                v.Add($"task {t.TaskId}: framework was last told TASK_RUNNING but it runs in no container");
        }
        foreach (var (id, copies) in running)
            if (copies > 1) v.Add($"task {id}: {copies} running copies");
        foreach (var a in admittedAgents)
            if (!leaderAgents.Contains(a)) v.Add($"agent {a}: admitted before, unknown to the leader at the end");
        if (frameworkId is not null && !leaderFrameworks.Contains(frameworkId))
            v.Add($"framework {frameworkId}: admitted before, unknown to the leader at the end");
        return v;
    }
}
