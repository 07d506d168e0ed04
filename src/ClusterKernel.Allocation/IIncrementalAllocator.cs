namespace ClusterKernel.Allocation;

/// <summary>
/// Event-triggered allocation for the agents whose resources came back (Mesos' <c>allocate(slaveIds)</c> over its allocation
/// candidates; MESOS-3078 asks for it on recoverResources). The same cycle as <see cref="IAllocator.Allocate"/> — DRF order,
/// filters, quota, constraints — restricted to those agents, so recovered resources need not wait for the next interval.
/// </summary>
public interface IIncrementalAllocator
{
    /// <summary>Agents whose free resources grew through RecoverResources without a filter (tasks ended, offers rescinded or
    /// returned unrefused) since the last cycle, full or incremental. Refusals (a DECLINE, the unused part of an ACCEPT) wait for
    /// the next full cycle as in Mesos: re-offering them at once sends every agent round all idle frameworks in turn (measured:
    /// ten times the offers, and launches stalled behind them; docs/benchmarks.md "p99").</summary>
    int RecoveredAgents { get; }

    /// <summary>One cycle over <see cref="RecoveredAgents"/> only, then forgets them. Every returned grant is allocated.</summary>
    IReadOnlyList<OfferGrant> AllocateRecovered(DateTimeOffset now);
}
