using Akka.Actor;
using ClusterKernel.Allocation;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;

namespace ClusterKernel.Master;

// Operator calls: validated first (a refusal changes nothing), then persisted in the registry, then applied.
public sealed partial class Master
{
    private void OperatorCommands()
    {
        Command<GetWeights>(_ => Sender.Tell(new WeightsView(new Dictionary<string, double>(_registry.Weights))));
        Command<UpdateWeights>(OnUpdateWeights);
        Command<GetQuota>(_ => Sender.Tell(new QuotaView(_registry.Quotas.Values.Select(q => new RoleQuota(q.Role, q.Guarantees, q.Limits)).ToList())));
        Command<UpdateQuota>(OnUpdateQuota);
        Command<DeactivateAgent>(m => ChangeAvailability(m.AgentId, deactivated: true, draining: _registry.Draining.Contains(m.AgentId)));
        Command<ReactivateAgent>(m => ChangeAvailability(m.AgentId, deactivated: false, draining: false));
        Command<DrainAgent>(OnDrainAgent);
        Command<MarkAgentGone>(m => OnMarkAgentGone(m.AgentId, Sender));
        Command<UpdateMaintenance>(OnUpdateMaintenance);
        Command<GetMaintenance>(_ => Sender.Tell(WithSchedule(new MaintenanceView(_registry.DownHostnames.ToList(), _registry.Deactivated.ToList(),
            _registry.Draining.ToList(), _registry.Gone.ToList()))));
    }

    private void OnUpdateWeights(UpdateWeights m)
    {
        if (m.Weights.Count == 0) { Sender.Tell(OperatorResult.Refused("no weights given")); return; }
        foreach (var (role, weight) in m.Weights)
        {
            if (role == Roles.Any || !Roles.IsValid(role)) { Sender.Tell(OperatorResult.Refused($"'{role}' is not a role that can carry a weight")); return; }
            if (!(weight > 0) || double.IsInfinity(weight)) { Sender.Tell(OperatorResult.Refused($"weight of '{role}' must be a positive number, not {weight}")); return; }
        }
        var sender = Sender;
        Persist(new WeightsUpdated(new Dictionary<string, double>(m.Weights)), e =>
        {
            _registry.Apply(e);
            Allocator(a => a.UpdateWeights(e.Weights), allocate: true);
            sender.Tell(OperatorResult.Success);
        });
    }

    private void OnUpdateQuota(UpdateQuota m)
    {
        if (m.Role == Roles.Any || !Roles.IsValid(m.Role)) { Sender.Tell(OperatorResult.Refused($"'{m.Role}' is not a role that can have quota")); return; }
        foreach (var (name, value) in m.Guarantees.Concat(m.Limits))
            if (!(value >= 0) || double.IsInfinity(value)) { Sender.Tell(OperatorResult.Refused($"quota of '{name}' must be a non-negative number")); return; }
        foreach (var (name, guarantee) in m.Guarantees)
            if (m.Limits.TryGetValue(name, out var limit) && limit < guarantee)
            { Sender.Tell(OperatorResult.Refused($"the limit of '{name}' ({limit}) is below its guarantee ({guarantee})")); return; }
        var sender = Sender;
        Persist(new QuotaUpdated(m.Role, new Dictionary<string, double>(m.Guarantees), new Dictionary<string, double>(m.Limits)), e =>
        {
            _registry.Apply(e);
            Allocator(a => a.UpdateQuota(e.Role, new Quota(e.Guarantees, e.Limits)), allocate: true);
            sender.Tell(OperatorResult.Success);
        });
    }

    private void ChangeAvailability(AgentId id, bool deactivated, bool draining, Action? then = null, bool markGone = false)
    {
        if (!_registry.Agents.ContainsKey(id)) { Sender.Tell(OperatorResult.Refused($"agent {id} is not registered")); return; }
        var sender = Sender;
        Persist(new AgentAvailabilityChanged(id, deactivated, draining, markGone || _registry.GoneWhenDrained.Contains(id) && draining), e =>
        {
            _registry.Apply(e);
            ApplyAvailability(id);
            then?.Invoke();
            sender.Tell(OperatorResult.Success);
        });
    }

    /// <summary>Brings the allocator in line with the registry for one agent: unavailable agents lose their offers and get no new ones.</summary>
    private void ApplyAvailability(AgentId id)
    {
        if (!_state.Agents.TryGetValue(id, out var agent)) return;
        var available = _registry.IsAvailable(id, agent.Info.Hostname) && agent.Connected;
        if (!available) foreach (var offer in _state.OffersOnAgent(id)) Rescind(offer);
        Allocator(a => a.SetAgentAvailable(id, available), allocate: available);
        PublishAgent(id, added: false);
    }

    private void OnDrainAgent(DrainAgent m)
    {
        var id = m.AgentId;
        var sender = Sender;
        ChangeAvailability(id, deactivated: _registry.Deactivated.Contains(id), draining: true, markGone: m.MarkGone, then: () =>
        {
            KillDrainedTasks(id, m.MaxGracePeriodSeconds);
            MarkGoneIfDrained(id);
        });
    }

    /// <summary>On DRAIN_AGENT, and again when a draining agent re-registers (with a new leader too, as Mesos re-sends the drain).</summary>
    private void KillDrainedTasks(AgentId id, double? gracePeriodSeconds)
    {
        if (!_agentRefs.TryGetValue(id, out var agent)) return;
        foreach (var t in _state.TasksOnAgent(id).Where(t => !t.State.IsTerminal()).ToList())
            agent.Tell(new KillTaskOnAgent(t.FrameworkId, t.Info.TaskId, gracePeriodSeconds));
    }

    /// <summary>As Mesos' agent does while draining with mark_gone: a task killed there ends TASK_GONE_BY_OPERATOR, not TASK_KILLED
    /// (the uuid stays, so the framework's acknowledgement still matches the agent's update).</summary>
    private TaskStatus GoneIfDrained(TaskStatus status) =>
        status.State == TaskState.TASK_KILLED && status.AgentId is { } agent && _registry.GoneWhenDrained.Contains(agent)
            ? status with { State = TaskState.TASK_GONE_BY_OPERATOR } : status;

    /// <summary>Agents drained with mark_gone (kept in the registry) are marked gone once none of their tasks is left (terminal and acknowledged).</summary>
    private void MarkGoneIfDrained(AgentId id)
    {
        if (!_registry.GoneWhenDrained.Contains(id) || _state.TasksOnAgent(id).Any()) return;
        OnMarkAgentGone(id, ActorRefs.Nobody);
    }

    private void OnMarkAgentGone(AgentId id, IActorRef sender)
    {
        if (_registry.Gone.Contains(id)) { sender.Tell(OperatorResult.Success); return; }
        if (!_registry.Agents.ContainsKey(id) && !_state.Agents.ContainsKey(id)) { sender.Tell(OperatorResult.Refused($"agent {id} is not registered")); return; }
        Persist(new AgentMarkedGone(id, Now()), e =>
        {
            _registry.Apply(e);
            var now = Now();
            foreach (var t in _state.TasksOnAgent(id).ToList())
            {
                ForgetPreemption(t.FrameworkId, t.Info.TaskId);
                // As Mesos' __removeSlave: TASK_GONE_BY_OPERATOR only for PARTITION_AWARE frameworks, TASK_LOST for the others.
                var partitionAware = _state.Frameworks.TryGetValue(t.FrameworkId, out var owner) && owner.Info.Has(FrameworkCapabilities.PartitionAware);
                var status = MasterState.MasterStatus(t.Info.TaskId, id, partitionAware ? TaskState.TASK_GONE_BY_OPERATOR : TaskState.TASK_LOST,
                    "Agent marked gone by an operator", partitionAware ? Reasons.AgentRemovedByOperator : Reasons.AgentRemoved, now);
                _state.ApplyStatus(t.FrameworkId, status);
                SendToFramework(t.FrameworkId, new TaskStatusUpdate(status));
                _state.CompleteTask(t.FrameworkId, t.Info.TaskId);
                if (_agentRefs.TryGetValue(id, out var agent)) agent.Tell(new ShutdownFrameworkOnAgent(t.FrameworkId));
            }
            if (_agentRefs.TryGetValue(id, out var a)) a.Tell(new AgentRegistrationRefused($"agent {id} was marked gone by an operator"));
            if (_state.Agents.ContainsKey(id)) RemoveAgentRuntime(id, lost: false);
            NotifyAgentRemoved(id);
            sender.Tell(OperatorResult.Success);
        });
    }

    private void OnUpdateMaintenance(UpdateMaintenance m)
    {
        if (m.Hostnames.Count == 0 || m.Hostnames.Any(string.IsNullOrWhiteSpace)) { Sender.Tell(OperatorResult.Refused("name at least one machine by hostname")); return; }
        var sender = Sender;
        Persist(new MaintenanceUpdated(m.Hostnames.ToList(), m.Down), e =>
        {
            _registry.Apply(e);
            foreach (var agent in _state.Agents.Values.Where(a => e.Hostnames.Contains(a.Info.Hostname)).ToList()) ApplyAvailability(agent.Id);
            if (e.Down) RescindInverseOffersOn(e.Hostnames);
            sender.Tell(OperatorResult.Success);
        });
    }
}
