using ClusterKernel.Allocation.Dense;
using ClusterKernel.Allocation.Preemption;
using ClusterKernel.Resources;

namespace ClusterKernel.Allocation;

// Priorities and preemption: beyond the IAllocator contract, driven by the master when it wants to enforce guarantees.
public sealed partial class HierarchicalAllocator : IPreemptingAllocator
{
    /// <summary>Whether any role has a non-zero priority: without one nothing is ever preempted and the check costs nothing.</summary>
    private bool _anyPriority;

    /// <summary>Policy used by <see cref="ComputePreemptions"/>; <see cref="LowestPriorityFirstPolicy"/> unless replaced.</summary>
    public IPreemptionPolicy PreemptionPolicy { get; set; } = new LowestPriorityFirstPolicy();

    /// <summary>Sets a role's priority (default 0); only roles of strictly lower priority are ever preempted for it.</summary>
    public void UpdatePriority(string role, int priority)
    {
        Role(role).Priority = priority;
        _anyPriority = _roles.Values.Any(r => r.Priority != 0);
    }

    /// <summary>
    /// For every role with a priority whose guarantee is unmet, which allocations of lower-priority roles to revoke. Changes
    /// nothing here: the master kills the tasks (or rescinds offers) and the resources come back through RecoverResources.
    /// A role counts only while some framework of it wants offers (active, not suppressed): a guarantee nobody asks for
    /// must not kill other roles' tasks.
    /// </summary>
    public IReadOnlyList<PreemptionDecision> ComputePreemptions()
    {
        if (!_anyPriority || _unmetRoles == 0) return Array.Empty<PreemptionDecision>();
        var n = _schema.ScalarCount;
        var needs = new List<PreemptionNeed>();
        foreach (var role in _roles.Values)
        {
            if (role.ListedFrameworks == 0 || !role.GuaranteeUnmet(n)) continue;
            var unmet = new Dictionary<string, double>();
            for (var k = 0; k < n; k++) if (role.Unmet(k) > 0) unmet[_schema.ScalarNames[k]] = role.Unmet(k);
            needs.Add(new PreemptionNeed(role.Name, role.Priority, unmet));
        }
        if (needs.Count == 0) return Array.Empty<PreemptionDecision>();
        var top = needs.Max(x => x.Priority);
        var candidates = new List<PreemptionCandidate>();
        var scratch = new List<Resource>();
        foreach (var agent in _agentList)
            foreach (var (slot, allocations) in agent.Allocations)
                foreach (var a in allocations)
                {
                    if (a.Role.Role.Priority >= top) continue;
                    var pools = new Bundle?[a.Pools.Length];
                    for (var p = 0; p < a.Pools.Length; p++)
                        if (a.Pools[p] != null && agent.Pools[p].Unreserved && !agent.Pools[p].Revocable) pools[p] = a.Pools[p];
                    var res = ToResources(agent, pools, scratch);
                    if (!res.IsEmpty) candidates.Add(new PreemptionCandidate(_slots[slot]!.Id, agent.Id, a.Role.Role.Name, a.Role.Role.Priority, res));
                }
        return PreemptionPolicy.Decide(needs, candidates);
    }
}
