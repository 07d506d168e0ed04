using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// The batched status-update path (see <see cref="StatusUpdates"/>): an agent's batch is applied in order and forwarded to
/// each framework as one <see cref="TaskStatusUpdates"/>; a framework's batch of acknowledgements goes to each agent as one
/// <see cref="StatusUpdateAcknowledgements"/>. A group of one travels in the single form.
/// </summary>
public sealed partial class Master
{
    private void StatusUpdateCommands()
    {
        Command<StatusUpdates>(OnStatusUpdates);
        Command<AcknowledgeStatuses>(OnAcknowledgeStatuses);
    }

    private void OnStatusUpdates(StatusUpdates m)
    {
        var byFramework = new Dictionary<FrameworkId, List<TaskStatus>>();
        foreach (var u in m.Updates)
        {
            var status = ApplyUpdate(u);
            (byFramework.TryGetValue(u.FrameworkId, out var list) ? list : byFramework[u.FrameworkId] = new List<TaskStatus>()).Add(status);
        }
        // Forwarded even when seen before: the agent retries until the framework acknowledges.
        foreach (var (fw, statuses) in byFramework)
            SendToFramework(fw, statuses.Count == 1 ? new TaskStatusUpdate(statuses[0]) : new TaskStatusUpdates(statuses));
    }

    /// <summary>Taken from any sender, as the single <see cref="AcknowledgeStatus"/>.</summary>
    private void OnAcknowledgeStatuses(AcknowledgeStatuses m)
    {
        var byAgent = new Dictionary<AgentId, List<StatusUpdateAcknowledgement>>();
        foreach (var a in m.Acks)
        {
            (byAgent.TryGetValue(a.AgentId, out var list) ? list : byAgent[a.AgentId] = new List<StatusUpdateAcknowledgement>())
                .Add(new StatusUpdateAcknowledgement(m.FrameworkId, a.TaskId, a.Uuid));
            CompleteIfAcknowledgedTerminal(m.FrameworkId, a.TaskId, a.Uuid);
        }
        foreach (var (agent, acks) in byAgent)
            if (_agentRefs.TryGetValue(agent, out var r)) r.Tell(acks.Count == 1 ? acks[0] : new StatusUpdateAcknowledgements(acks));
    }
}
