namespace ClusterKernel.Allocation.Preemption;

/// <summary>Decides what to revoke so higher-priority roles can reach their guarantees. Pure: it sees a snapshot and returns decisions.</summary>
public interface IPreemptionPolicy
{
    IReadOnlyList<PreemptionDecision> Decide(IReadOnlyList<PreemptionNeed> needs, IReadOnlyList<PreemptionCandidate> candidates);
}
