namespace ClusterKernel.Allocation;

/// <summary>
/// Event-triggered allocation for the agents whose resources came back (Mesos' <c>allocate(slaveIds)</c> over its allocation
/// candidates; MESOS-3078 asks for it on recoverResources). The same cycle as <see cref="IAllocator.Allocate"/> — DRF order,
/// filters, quota, constraints — restricted to those agents, so recovered resources need not wait for the next interval.
/// </summary>
public interface IIncrementalAllocator
{
    /// <summary>Agents whose free resources grew through RecoverResources since the last cycle (full or incremental).</summary>
    int RecoveredAgents { get; }

    /// <summary>One cycle over <see cref="RecoveredAgents"/> only, then forgets them. Every returned grant is allocated.</summary>
    IReadOnlyList<OfferGrant> AllocateRecovered(DateTimeOffset now);
}
