using Akka.Actor;

namespace ClusterKernel.Master;

/// <summary>
/// One allocation for the agents added by the messages now in the mailbox, not one per agent. After a failover 10,000 agents
/// re-register within seconds; each added agent asked for an allocation, and the allocator, which coalesces only while one is
/// pending, ran full cycles back to back (the profile of the new master: ~18 % of its actors' time) on the core the master
/// needs. The agent itself still reaches the allocator at once and in order (its AddAgent call is sent as before); only the
/// cycle waits until the master has worked through what was queued when the agent came. The periodic cycle runs as before.
/// </summary>
public sealed partial class Master
{
    private sealed record AllocateForAddedAgents { public static readonly AllocateForAddedAgents Instance = new(); }
    private bool _agentAllocationPending;

    private void AgentAllocationCommands() => Command<AllocateForAddedAgents>(_ =>
    {
        _agentAllocationPending = false;
        Allocator(static _ => { }, allocate: true);
    });

    /// <summary>Called when an agent was added: the allocation comes after the messages already in the mailbox.</summary>
    private void AllocateSoonForAddedAgent()
    {
        if (_agentAllocationPending) return;
        _agentAllocationPending = true;
        Self.Tell(AllocateForAddedAgents.Instance);
    }
}
