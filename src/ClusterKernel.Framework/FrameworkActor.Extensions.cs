using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;

namespace ClusterKernel.Framework;

// Task groups, UPDATE_FRAMEWORK, executor messages, FAILURE and inverse offers: the same calls and events as the v1 HTTP API.
public abstract partial class FrameworkActor
{
    private readonly Queue<FrameworkInfo> _pendingUpdates = new();

    private void ExtensionHandlers()
    {
        Receive<InverseOffers>(m => OnInverseOffers(m.Offers));
        Receive<InverseOfferRescinded>(m => OnInverseOfferRescinded(m.InverseOfferId));
        Receive<ExecutorToFrameworkMessage>(m => OnFrameworkMessage(m.AgentId, m.ExecutorId, m.Data));
        Receive<FrameworkFailure>(m =>
        {
            if (m.ExecutorId is { } executor) OnExecutorLost(executor, m.AgentId, m.Status ?? 0);
            else OnAgentLost(m.AgentId);
        });
        Receive<FrameworkUpdateResult>(m =>
        {
            if (!_pendingUpdates.TryDequeue(out var info)) return;
            // Only an applied update changes the FrameworkInfo used to re-subscribe later.
            if (m.Ok) _info = info;
            else Log.Warning("UPDATE_FRAMEWORK of {0} refused: {1}", FrameworkId, m.Error);
            OnFrameworkUpdated(m.Ok, m.Error);
        });
    }

    // ---- Callbacks ----
    /// <summary>INVERSE_OFFERS: maintenance is scheduled on these agents; answer with <see cref="AcceptInverseOffers"/> or <see cref="DeclineInverseOffers"/>.</summary>
    protected virtual void OnInverseOffers(IReadOnlyList<InverseOffer> offers) { }

    /// <summary>RESCIND_INVERSE_OFFER: the inverse offer is void (its machine's window changed or went away, or the machine is down).</summary>
    protected virtual void OnInverseOfferRescinded(OfferId inverseOfferId) { }
    /// <summary>MESSAGE from an executor.</summary>
    protected virtual void OnFrameworkMessage(AgentId agentId, ExecutorId executorId, byte[] data) { }
    /// <summary>FAILURE for an agent: it was removed from the cluster (its tasks are reported LOST or GONE separately).</summary>
    protected virtual void OnAgentLost(AgentId agentId) { }
    /// <summary>FAILURE for an executor: a task group's executor ended (status 0 when every task finished).</summary>
    protected virtual void OnExecutorLost(ExecutorId executorId, AgentId agentId, int status) { }
    /// <summary>The master's answer to <see cref="UpdateFramework"/>; on success <see cref="Info"/> is the new FrameworkInfo.</summary>
    protected virtual void OnFrameworkUpdated(bool ok, string? error) { }

    // ---- Calls ----
    /// <summary>ACCEPT with one LAUNCH_GROUP: the tasks start together under <paramref name="executor"/> (type DEFAULT) and die together.</summary>
    protected void LaunchGroup(Offer offer, ExecutorInfo executor, IReadOnlyList<TaskInfo> tasks, Filters? filters = null) =>
        Accept(new[] { offer.Id }, new OfferOperation[] { new LaunchGroupOperation(executor, tasks) }, filters);

    /// <summary>UPDATE_FRAMEWORK: new roles (several need MULTI_ROLE), capabilities, failover_timeout, name or labels; user,
    /// principal and checkpoint cannot change. The answer comes to <see cref="OnFrameworkUpdated"/>.</summary>
    protected void UpdateFramework(FrameworkInfo info, IReadOnlyList<string>? suppressedRoles = null)
    {
        if (FrameworkId is not { } id) { Log.Warning("Framework {0} is not subscribed yet; UPDATE_FRAMEWORK dropped", Info.Name); return; }
        var next = info with { Id = id };
        _pendingUpdates.Enqueue(next);
        Master.Tell(new UpdateFramework(id, next, suppressedRoles, Self));
    }

    /// <summary>MESSAGE to an executor. ClusterKernel runs no custom executors: the agent records it in the sandbox (executor_messages.log).</summary>
    protected void SendFrameworkMessage(AgentId agentId, ExecutorId executorId, byte[] data) =>
        Call(id => new FrameworkToExecutorMessage(id, agentId, executorId, data));

    protected void AcceptInverseOffers(IReadOnlyList<OfferId> inverseOfferIds, Filters? filters = null) =>
        Call(id => new RespondInverseOffers(id, inverseOfferIds, true, filters));

    protected void DeclineInverseOffers(IReadOnlyList<OfferId> inverseOfferIds, Filters? filters = null) =>
        Call(id => new RespondInverseOffers(id, inverseOfferIds, false, filters));
}
