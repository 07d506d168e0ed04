using Akka.Actor;
using Akka.Event;
using ClusterKernel.Allocation.Preemption;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

// Allocation policy the master enforces on top of offers: offer_timeout (held offers are rescinded) and preemption
// (tasks of lower-priority roles are killed when the allocator's policy revokes their allocations).
public sealed partial class Master
{
    private sealed record OfferTimedOut(OfferId OfferId);

    /// <summary>Preempted tasks whose terminal update is still to be acknowledged: that update carries REASON_CONTAINER_PREEMPTED.</summary>
    private readonly Dictionary<(FrameworkId, TaskId), string> _preempted = new();

    private void AllocationCommands()
    {
        Command<OfferTimedOut>(m =>
        {
            // Accepted, declined or rescinded meanwhile: nothing to do.
            if (_state.Offers.TryGetValue(m.OfferId, out var offer)) Rescind(offer);
        });
        Command<PreemptionsDecided>(OnPreemptions);
    }

    /// <summary>Role priorities from the settings go to the allocator when it is (re)created.</summary>
    private void ApplyRolePriorities()
    {
        foreach (var (role, priority) in _settings.RolePriorities)
            Allocator(a => (a as IPreemptingAllocator)?.UpdatePriority(role, priority));
    }

    /// <summary>Called for every offer sent: starts its offer_timeout, if one is set.</summary>
    private void OfferSent(Offer offer)
    {
        if (_settings.OfferTimeout is { } timeout)
            Timers.StartSingleTimer("offer-timeout-" + offer.Id.Value, new OfferTimedOut(offer.Id), timeout);
    }

    /// <summary>
    /// Carries out the allocator's revocations: the framework's outstanding offers on that agent for that role are rescinded and its
    /// tasks there under that role are killed; the resources come back to the allocator when the agent reports them killed. Decisions
    /// repeat every cycle until then, so a task already being preempted is not killed again.
    /// </summary>
    private void OnPreemptions(PreemptionsDecided m)
    {
        foreach (var d in m.Decisions)
        {
            if (!_state.Frameworks.TryGetValue(d.Framework, out var f)) continue;
            foreach (var offer in _state.OffersOfFramework(d.Framework).Where(o => o.AgentId == d.Agent && o.AllocationRole == d.Role).ToList())
                Rescind(offer);
            var firstRole = f.Info.Roles.Count > 0 ? f.Info.Roles[0] : "*";
            // Only tasks holding some of what was decided (unreserved, non-revocable: what guarantees count); tasks on revocable or
            // reserved resources alone would free nothing that helps.
            foreach (var t in f.Tasks.Values.Where(t => t.AgentId == d.Agent && !t.State.IsTerminal() && (t.Role ?? firstRole) == d.Role
                                                        && t.Info.Resources.Any(r => !r.IsReserved && !r.Revocable)).ToList())
            {
                if (!_preempted.TryAdd((d.Framework, t.Info.TaskId), d.Reason)) continue;
                _log.Info("Preempting task {0} of framework {1} on agent {2}: {3}", t.Info.TaskId, d.Framework, d.Agent, d.Reason);
                if (_agentRefs.TryGetValue(d.Agent, out var agent)) agent.Tell(new KillTaskOnAgent(d.Framework, t.Info.TaskId, null));
            }
        }
    }

    /// <summary>An agent's terminal update for a preempted task says so (Mesos' REASON_CONTAINER_PREEMPTED), for every retry of it.</summary>
    private TaskStatus PreemptionReason(FrameworkId fw, TaskStatus status)
    {
        if (_preempted.Count == 0 || !_preempted.TryGetValue((fw, status.TaskId), out var why)) return status;
        if (status.State == TaskState.TASK_KILLED) return status with { Reason = Reasons.Preempted, Message = $"Preempted: {why}" };
        if (status.State.IsTerminal()) _preempted.Remove((fw, status.TaskId)); // ended otherwise (failed, lost) before the kill
        return status;
    }

    /// <summary>The task's terminal update was acknowledged, or the task is gone (lost, its agent or framework removed): no
    /// acknowledged kill will come for it, so it leaves the preemption set (else it stayed there until the master restarted).</summary>
    private void ForgetPreemption(FrameworkId fw, TaskId task)
    {
        if (_preempted.Count > 0) _preempted.Remove((fw, task));
    }
}
