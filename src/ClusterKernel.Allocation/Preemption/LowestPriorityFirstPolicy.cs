namespace ClusterKernel.Allocation.Preemption;

/// <summary>
/// Serves needs from the highest priority down; for each, revokes allocations of strictly lower priority, lowest priority
/// first and, within a priority, the largest first (fewest kills), until the need is covered. Each allocation is revoked at most once.
/// </summary>
public sealed class LowestPriorityFirstPolicy : IPreemptionPolicy
{
    public IReadOnlyList<PreemptionDecision> Decide(IReadOnlyList<PreemptionNeed> needs, IReadOnlyList<PreemptionCandidate> candidates)
    {
        var decisions = new List<PreemptionDecision>();
        var used = new HashSet<PreemptionCandidate>();
        foreach (var need in needs.OrderByDescending(n => n.Priority).ThenBy(n => n.Role, StringComparer.Ordinal))
        {
            var unmet = need.Unmet.Where(kv => kv.Value > 1e-9).ToDictionary(kv => kv.Key, kv => kv.Value);
            var pool = candidates
                .Where(c => c.Priority < need.Priority && !used.Contains(c))
                .OrderBy(c => c.Priority)
                .ThenByDescending(c => unmet.Keys.Sum(k => c.Resources.Scalar(k) / Math.Max(unmet[k], 1e-9)))
                .ThenBy(c => c.Framework.Value, StringComparer.Ordinal).ThenBy(c => c.Agent.Value, StringComparer.Ordinal);
            foreach (var c in pool)
            {
                if (unmet.Count == 0) break;
                if (!unmet.Keys.Any(k => c.Resources.Scalar(k) > 0)) continue;
                used.Add(c);
                decisions.Add(new PreemptionDecision(c.Framework, c.Agent, c.Role, c.Resources,
                    $"role '{need.Role}' (priority {need.Priority}) is below its guarantee; '{c.Role}' has priority {c.Priority}"));
                foreach (var k in unmet.Keys.ToList())
                {
                    unmet[k] -= c.Resources.Scalar(k);
                    if (unmet[k] <= 1e-9) unmet.Remove(k);
                }
            }
        }
        return decisions;
    }
}
