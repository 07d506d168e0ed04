namespace ClusterKernel.Allocation.Preemption;

/// <summary>
/// An allocator that knows role priorities and can say what to revoke for them. The allocator actor asks after every cycle;
/// the master carries the decisions out (rescinds offers, kills tasks) and the resources come back through RecoverResources.
/// </summary>
public interface IPreemptingAllocator
{
    /// <summary>Sets a role's priority (default 0); only roles of strictly lower priority are ever preempted for it.</summary>
    void UpdatePriority(string role, int priority);

    /// <summary>What to revoke now; empty (and cheap) when no role has a priority or no prioritised role is short of its guarantee.</summary>
    IReadOnlyList<PreemptionDecision> ComputePreemptions();
}
