using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// Retried re-registrations after a failover. An agent whose re-registration is slow to be answered sends it again; at 10,000
/// agents every retry made the master drop and re-add the agent, walking every task of the cluster. A retry from the same, still
/// connected agent actor that reports the same tasks in the same states as the re-registration this master already took is
/// answered again and not redone: redoing it would change nothing. Any other report (a task missing, a new state, another
/// actor) goes the full way, so tasks an agent no longer reports are still TASK_LOST.
/// </summary>
public sealed partial class Master
{
    private readonly Dictionary<AgentId, (IActorRef Agent, int Count, long Fingerprint)> _reregistered = new();
    private long _reregistrations, _repeatedReregistrations, _reregistrationRequiredSent; // metrics

    private static (int, long) Fingerprint(IReadOnlyList<TaskReport> tasks)
    {
        long sum = 0;
        foreach (var t in tasks) sum += HashCode.Combine(t.FrameworkId, t.Task.TaskId, t.State, t.UnacknowledgedUpdates.Count);
        return (tasks.Count, sum);
    }

    private void RememberReregistration(ReregisterAgent m, AgentId id)
    {
        var (count, fingerprint) = Fingerprint(m.Tasks);
        _reregistered[id] = (m.Agent, count, fingerprint);
    }

    private bool IsRepeatedReregistration(ReregisterAgent m, AgentId id)
    {
        if (!_reregistered.TryGetValue(id, out var last) || !last.Agent.Equals(m.Agent)) return false;
        if (!_state.Agents.TryGetValue(id, out var a) || !a.Connected || !_agentRefs.TryGetValue(id, out var r) || !r.Equals(m.Agent)) return false;
        var (count, fingerprint) = Fingerprint(m.Tasks);
        return count == last.Count && fingerprint == last.Fingerprint;
    }
}
