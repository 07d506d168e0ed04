using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// KILL and reconciliation around agents that are not connected, as Mesos' master does them. A KILL of a known task is
/// remembered for its agent (Mesos' <c>Slave::killedTasks</c>) and sent again when the agent re-registers, so a kill that finds the
/// agent disconnected (or went to a connection that had just died) still reaches it. After a failover the new master knows the
/// agents from the registry but their tasks only once they re-register; until then a task on such a <em>recovering</em> agent is
/// not "unknown": KILL and RECONCILE get no answer (Mesos: "transitional agents") instead of TASK_LOST, which the framework
/// would take as final while the task keeps running (MasterFailoverTests lost its kill that way). A KILL naming a recovering
/// agent is also remembered and sent once that agent has re-registered with the task.
/// </summary>
public sealed partial class Master
{
    private readonly Dictionary<AgentId, Dictionary<(FrameworkId, TaskId), double?>> _pendingKills = new();

    /// <summary>In the registry but not re-registered with this master yet (after a failover): its tasks are not known yet. As in
    /// Mesos, only for agent-reregister-timeout after this master started: an agent not back by then is not waited for.</summary>
    private bool AwaitsReregistration(AgentId id) => _registry.Agents.ContainsKey(id) && !_state.Agents.ContainsKey(id) && StillRecovering;

    private bool AnyRecovering() => StillRecovering && _registry.Agents.Keys.Any(id => !_state.Agents.ContainsKey(id));

    private bool StillRecovering => Now() - _startTime < _settings.AgentReregisterTimeout.TotalSeconds;

    private void KillOnAgent(AgentId agentId, FrameworkId fw, TaskId task, double? graceSeconds)
    {
        RememberKill(agentId, fw, task, graceSeconds);
        if (_state.Agents.TryGetValue(agentId, out var a) && a.Connected && _agentRefs.TryGetValue(agentId, out var agent))
            agent.Tell(new KillTaskOnAgent(fw, task, graceSeconds));
        else _log.Info("Kill of task {0} of framework {1} waits for agent {2} to re-register", task, fw, agentId);
    }

    private void RememberKill(AgentId agentId, FrameworkId fw, TaskId task, double? graceSeconds) =>
        (_pendingKills.TryGetValue(agentId, out var kills) ? kills : _pendingKills[agentId] = new())[(fw, task)] = graceSeconds;

    private void ForgetKill(AgentId agentId, FrameworkId fw, TaskId task)
    {
        if (_pendingKills.TryGetValue(agentId, out var kills) && kills.Remove((fw, task)) && kills.Count == 0) _pendingKills.Remove(agentId);
    }

    /// <summary>After a re-registration: the kills asked for while the agent was away, of the tasks it still runs. The others are
    /// over (their end is in the report or they are LOST), so the agent's list starts empty again.</summary>
    private void ResendKills(AgentId agentId, IReadOnlyList<TaskReport> tasks)
    {
        if (!_pendingKills.Remove(agentId, out var kills)) return;
        foreach (var r in tasks)
            if (!r.State.IsTerminal() && kills.TryGetValue((r.FrameworkId, r.Task.TaskId), out var grace))
            {
                _log.Info("Agent {0} re-registered: sending the kill of task {1} of framework {2} again", agentId, r.Task.TaskId, r.FrameworkId);
                KillOnAgent(agentId, r.FrameworkId, r.Task.TaskId, grace);
            }
    }

    /// <summary>Whether a KILL or RECONCILE of a task this master does not know must wait for the agents to re-register
    /// instead of being answered TASK_LOST/TASK_UNKNOWN (Mesos' reconciliation rules for transitional agents).</summary>
    private bool UnknownUntilAgentsReregister(AgentId? agentId, ref bool? anyRecovering) =>
        agentId is { } id ? AwaitsReregistration(id) : anyRecovering ??= AnyRecovering();
}
