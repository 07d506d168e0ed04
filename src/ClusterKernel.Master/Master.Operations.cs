using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;

namespace ClusterKernel.Master;

// RESERVE / UNRESERVE / CREATE / DESTROY — in an ACCEPT or from an operator — and operation feedback. A conversion is persisted
// (the agent's whole set of dynamic reservations and volumes, AgentResourcesCheckpointed) before anything acts on it, then applied
// to the allocator and told to the agent, so reservations and volumes survive a master restart or failover.
public sealed partial class Master
{
    /// <summary>Local only: the allocator's answer to an operator conversion (applied, or not all free).</summary>
    private sealed record OperatorConversionChecked(AgentId Agent, OfferOperation Operation, ResourceConversion Conversion, bool Applied, IActorRef ReplyTo);

    private void OperationCommands()
    {
        Command<ReserveResources>(m => OnOperatorOperation(m.AgentId, new ReserveOperation(m.Resources)));
        Command<UnreserveResources>(m => OnOperatorOperation(m.AgentId, new UnreserveOperation(m.Resources)));
        Command<CreateVolumes>(m => OnOperatorOperation(m.AgentId, new CreateOperation(m.Volumes)));
        Command<DestroyVolumes>(m => OnOperatorOperation(m.AgentId, new DestroyOperation(m.Volumes)));
        Command<OperatorConversionChecked>(OnOperatorConversionChecked);
        Command<AcknowledgeOperationStatus>(m => IfFramework(m.FrameworkId, _ =>
        {
            if (_registry.Operations.TryGetValue(m.FrameworkId, out var ops) && ops.TryGetValue(m.OperationId, out var v) && v.Latest.Uuid == m.Uuid)
                PersistAsync(new OperationStatusAcknowledged(m.FrameworkId, m.OperationId), _registry.Apply);
        }));
        Command<ReconcileOperations>(m => IfFramework(m.FrameworkId, _ =>
        {
            var ops = _registry.Operations.GetValueOrDefault(m.FrameworkId);
            var ids = m.OperationIds.Count > 0 ? m.OperationIds : ops?.Keys.ToList() ?? new List<string>();
            foreach (var id in ids)
                SendToFramework(m.FrameworkId, new OperationStatusUpdate(ops != null && ops.TryGetValue(id, out var v)
                    ? v.Latest with { Uuid = null }
                    : new OperationStatus(id, OperationStates.Unknown, "The master does not know this operation", null, null, Now())));
        }));
        Command<GetOperations>(_ => Sender.Tell(new OperationsView(_registry.Operations.Values.SelectMany(d => d.Values).ToList())));
    }

    /// <summary>After the pure ACCEPT: persists the agent's new reservations and volumes (when an operation changed them), then
    /// converts the allocation, tells the agent and the framework, and runs <paramref name="then"/> (launch, give back the rest).</summary>
    private void AfterOperations(FrameworkId fw, AcceptOutcome outcome, Action then)
    {
        void Finish()
        {
            foreach (var (op, error) in outcome.OperationResults) ReportOperation(fw, outcome.Agent, op, error);
            then();
        }
        if (outcome.Conversions.Count == 0 || outcome.Agent is not { } agent) { Finish(); return; }
        var total = _state.Agents[agent].Info.Resources;
        Persist(new AgentResourcesCheckpointed(agent, ResourceOperations.Checkpointed(total)), e =>
        {
            _registry.Apply(e);
            foreach (var c in outcome.Conversions) Allocator(a => a.UpdateAllocation(fw, agent, outcome.Role, c));
            if (_agentRefs.TryGetValue(agent, out var r)) r.Tell(new CheckpointResourcesOnAgent(e.Checkpointed));
            InvalidateSnapshot();
            Finish();
        });
    }

    /// <summary>UPDATE_OPERATION_STATUS for an operation that carries an id; kept until acknowledged.</summary>
    private void ReportOperation(FrameworkId fw, AgentId? agent, OfferOperation op, string? error)
    {
        if (MasterState.OperationId(op) is not { } id)
        {
            if (error is not null) _log.Warning("Dropping {0} operation of framework {1}: {2}", MasterState.OperationType(op), fw, error);
            return;
        }
        var status = new OperationStatus(id, error is null ? OperationStates.Finished : OperationStates.Error, error, agent, Guid.NewGuid(), Now());
        // Recorded before the framework hears of it, so an acknowledgement never names a status a new leader would not know.
        Persist(new OperationStatusRecorded(new OperationView(fw, agent, MasterState.OperationType(op), status)), e =>
        {
            _registry.Apply(e);
            SendToFramework(fw, new OperationStatusUpdate(status));
        });
    }

    // ---------------- operator ----------------

    private void OnOperatorOperation(AgentId agentId, OfferOperation op)
    {
        var (error, conversion) = _state.ValidateOperatorOperation(agentId, op);
        if (error is not null) { Sender.Tell(OperatorResult.Refused(error)); return; }
        var agent = _state.Agents[agentId];
        if (op is DestroyOperation d && d.Volumes.FirstOrDefault(v => _state.VolumesInUse(agentId).Contains(v.Disk!.PersistenceId!)) is { } used)
        { Sender.Tell(new OperatorConflict($"Persistent volume {used.Disk!.PersistenceId} is in use by a task")); return; }
        if (!(agent.Info.Resources - agent.Used).Contains(conversion!.Consumed))
        { Sender.Tell(new OperatorConflict($"Agent {agentId} does not have {conversion.Consumed} unused (total {agent.Info.Resources}, used {agent.Used})")); return; }
        // As Mesos does, take back outstanding offers on the agent so the resources are free; the allocator has the last word.
        foreach (var offer in _state.OffersOnAgent(agentId)) Rescind(offer);
        var self = Self;
        var replyTo = Sender;
        Allocator(a => self.Tell(new OperatorConversionChecked(agentId, op, conversion, a.UpdateAvailable(agentId, conversion), replyTo)), allocate: true);
    }

    private void OnOperatorConversionChecked(OperatorConversionChecked m)
    {
        if (!m.Applied) { m.ReplyTo.Tell(new OperatorConflict($"Agent {m.Agent} does not have {m.Conversion.Consumed} available (offered or in use)")); return; }
        if (!_state.Agents.TryGetValue(m.Agent, out var agent))
        {
            // Removed meanwhile: the allocator forgot it too.
            m.ReplyTo.Tell(new OperatorConflict($"Agent {m.Agent} is no longer registered"));
            return;
        }
        var total = m.Conversion.ApplyTo(agent.Info.Resources) ?? agent.Info.Resources;
        Persist(new AgentResourcesCheckpointed(m.Agent, ResourceOperations.Checkpointed(total)), e =>
        {
            _registry.Apply(e);
            agent.Info = agent.Info with { Resources = total };
            if (_agentRefs.TryGetValue(m.Agent, out var r)) r.Tell(new CheckpointResourcesOnAgent(e.Checkpointed));
            InvalidateSnapshot();
            m.ReplyTo.Tell(OperatorResult.Success);
        });
    }

    /// <summary>An agent's total as the master sees it: what it declares, with the registry's reservations and volumes applied.</summary>
    private AgentInfo WithCheckpointed(AgentId id, AgentInfo info) =>
        _registry.Checkpointed.TryGetValue(id, out var cp) ? info with { Resources = ResourceOperations.ApplyCheckpointed(info.Resources, cp) } : info;

    private void InvalidateSnapshot() => _snapshot = null;
}
