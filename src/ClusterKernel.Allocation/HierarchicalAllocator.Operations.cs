using ClusterKernel.Allocation.Dense;
using ClusterKernel.Resources;

namespace ClusterKernel.Allocation;

// Offer operations (RESERVE, UNRESERVE, CREATE, DESTROY): a conversion swaps resources of an agent for the same quantities
// in another pool — in a framework's allocation (ACCEPT) or in what is free (operator calls) — and changes the agent's total.
public sealed partial class HierarchicalAllocator
{
    public bool UpdateAvailable(AgentId id, ResourceConversion conversion)
    {
        if (!_agents.TryGetValue(id, out var agent)) return false;
        var consumed = ToPools(agent, conversion.Consumed);
        for (var p = 0; p < consumed.Length && p < agent.Pools.Count; p++)
            if (consumed[p] is { } b && !agent.Pools[p].Free.Contains(b)) return false;
        var converted = ToPools(agent, conversion.Converted);
        SetTotal(agent, agent.Pools.Count, -1);
        for (var p = 0; p < agent.Pools.Count; p++)
        {
            var pool = agent.Pools[p];
            if (p < consumed.Length && consumed[p] is { } c) { pool.Total.Subtract(c); pool.Free.Subtract(c); }
            if (p < converted.Length && converted[p] is { } v) { pool.Total.Add(v); pool.Free.Add(v); }
        }
        SetTotal(agent, agent.Pools.Count, +1);
        agent.Version++;
        return true;
    }

    public void UpdateAllocation(FrameworkId framework, AgentId agentId, string? role, ResourceConversion conversion)
    {
        if (!_frameworks.TryGetValue(framework, out var fw) || !_agents.TryGetValue(agentId, out var agent)) return;
        // Give the consumed part back, convert it while free, and take the converted part: shares and quota follow.
        RecoverResources(framework, agentId, role, conversion.Consumed, null, DateTimeOffset.MinValue);
        if (!UpdateAvailable(agentId, conversion)) return;
        var fr = (role is null ? null : fw.Role(role)) ?? fw.Roles[0];
        Track(fw, fr, agent, ToPools(agent, conversion.Converted), fromFree: true, owned: true);
    }
}
