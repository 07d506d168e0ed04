using ClusterKernel.Allocation.State;

namespace ClusterKernel.Allocation;

// Mesos' offer constraints (FrameworkInfo.OfferConstraints, given at SUBSCRIBE / UPDATE_FRAMEWORK): per framework role, an
// agent predicate on hostname and attributes. A role without constraints has none (Visit pays one null check).
public sealed partial class HierarchicalAllocator
{
    private readonly HashSet<FrameworkRole> _constrained = new();

    private void ApplyOfferConstraints(FrameworkState fw)
    {
        var compiled = fw.Info.OfferConstraints?.Compile();
        foreach (var fr in fw.Roles)
        {
            fr.Constraint = compiled != null && compiled.TryGetValue(fr.Role.Name, out var accepts) ? new AgentConstraint(accepts) : null;
            if (fr.Constraint != null) _constrained.Add(fr); else _constrained.Remove(fr);
        }
    }

    private void ForgetConstraintResults(AgentState agent)
    {
        foreach (var fr in _constrained) fr.Constraint?.Forget(agent);
    }
}
