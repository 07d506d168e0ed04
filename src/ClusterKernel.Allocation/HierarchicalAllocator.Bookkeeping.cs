using ClusterKernel.Allocation.Dense;
using ClusterKernel.Allocation.State;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation;

// Bookkeeping: converting resources to and from dense form, and keeping allocations, quota consumption and sorter
// shares in step whenever resources move between an agent's free pools and a framework.
public sealed partial class HierarchicalAllocator
{
    /// <summary>General resources to dense per-pool bundles of this agent (pools are created for kinds it has not seen).</summary>
    private Bundle?[] ToPools(AgentState agent, Res resources)
    {
        var result = new Bundle?[agent.Pools.Count + 2];
        for (var n = 0; n < resources.Count; n++)
        {
            var r = resources[n];
            var p = agent.PoolIndex(r, create: true);
            if (p >= result.Length) Array.Resize(ref result, p + 2);
            var b = result[p] ??= new Bundle();
            switch (r.Type)
            {
                case Resources.ValueType.Scalar:
                    var k = _schema.Scalar(r.Name);
                    b.S[k] = Resource.Round(b.S[k] + r.Scalar);
                    break;
                case Resources.ValueType.Ranges:
                    var i = _schema.Range(r.Name);
                    b.R[i] = RangeOps.Union(b.R[i], r.Ranges as ValueRange[] ?? r.Ranges.ToArray());
                    break;
                default:
                    b.Sets += Res.Of(r);
                    break;
            }
        }
        _ctx.Count = _schema.ScalarCount;
        return result;
    }

    private Res ToResources(AgentState agent, Bundle?[] pools, List<Resource> scratch)
    {
        scratch.Clear();
        for (var p = 0; p < pools.Length && p < agent.Pools.Count; p++)
            pools[p]?.AddTo(_schema, agent.Pools[p], scratch);
        return Res.From(scratch);
    }

    /// <summary>
    /// Records an allocation and updates quota consumption (and the sorters unless <paramref name="updateSorters"/> is false:
    /// the cycle defers them, see <see cref="Visit"/>). With <paramref name="whole"/>, offer[p] IS pool p's free bundle and
    /// is handed over rather than copied and subtracted (the common Mesos case: the framework gets all that is left).
    /// </summary>
    private void Track(FrameworkState fw, FrameworkRole fr, AgentState agent, Bundle?[] pools, bool fromFree, bool updateSorters = true, bool whole = false, bool owned = false)
    {
        if (!agent.Allocations.TryGetValue(fw.Slot, out var list)) agent.Allocations[fw.Slot] = list = new List<AgentAllocation>(1);
        AgentAllocation? a = null;
        foreach (var x in list) if (x.Role == fr) { a = x; break; }
        if (a == null) list.Add(a = new AgentAllocation(fr));
        if (a.Pools.Length < agent.Pools.Count) Array.Resize(ref a.Pools, agent.Pools.Count);
        for (var p = 0; p < pools.Length && p < agent.Pools.Count; p++)
        {
            var b = pools[p];
            if (b == null) continue;
            var pool = agent.Pools[p];
            if (whole)
            {
                pool.Free = agent.TakeSpare();
                if (a.Pools[p] == null || a.Pools[p]!.IsEmpty) a.Pools[p] = b; else a.Pools[p]!.Add(b);
            }
            else
            {
                // Owned bundles were made for this call (by ToPools) and can be kept rather than copied.
                if (a.Pools[p] == null) a.Pools[p] = owned ? b : b.Clone(); else a.Pools[p]!.Add(b);
                if (fromFree) pool.Free.Subtract(b);
            }
        }
        fw.AllocatedOn.Add(agent);
        Account(fr, agent, pools, +1, updateSorters: false);
        if (updateSorters) Account(fr, agent, pools, +1, updateSorters: true, quota: false);
        agent.Version++;
    }

    /// <summary>Quota consumption and (optionally) sorter shares for resources entering (+1) or leaving (-1) an allocation.</summary>
    private void Account(FrameworkRole fr, AgentState agent, Bundle?[] pools, int sign, bool updateSorters = true, bool quota = true)
    {
        Span<double> amounts = stackalloc double[ResourceSchema.MaxScalars];
        Span<double> consumed = stackalloc double[ResourceSchema.MaxScalars];
        var n = _schema.ScalarCount;
        var anyConsumed = false;
        for (var p = 0; p < pools.Length && p < agent.Pools.Count; p++)
        {
            var b = pools[p];
            if (b == null) continue;
            var counts = agent.Pools[p].Unreserved && !agent.Pools[p].Revocable;
            for (var k = 0; k < n; k++)
            {
                amounts[k] += b.S[k];
                if (counts) { consumed[k] += b.S[k]; anyConsumed |= b.S[k] != 0; }
            }
        }
        if (anyConsumed && quota)
            for (var r = fr.Role; r != null; r = r.Parent)
            {
                for (var k = 0; k < n; k++)
                    if (consumed[k] != 0) r.Consumed[k] = Resource.Round(r.Consumed[k] + sign * consumed[k]);
                RefreshUnmet(r);
            }
        if (!updateSorters) return;
        var span = amounts[..n];
        if (sign > 0) { fr.Role.Frameworks.Allocated(fr.Handle, span); _roleSorter.Allocated(fr.Role.Handle, span); }
        else { fr.Role.Frameworks.Unallocated(fr.Handle, span); _roleSorter.Unallocated(fr.Role.Handle, span); }
    }

    /// <summary>Takes resources out of an allocation (back to the agent's free pool when <paramref name="toFree"/>).</summary>
    private void Untrack(AgentState agent, FrameworkState fw, AgentAllocation a, Bundle?[] pools, bool toFree)
    {
        for (var p = 0; p < pools.Length && p < a.Pools.Length; p++)
        {
            var b = pools[p];
            if (b == null || a.Pools[p] == null) continue;
            var pool = agent.Pools[p];
            if (ReferenceEquals(b, a.Pools[p]))
            {
                // The whole bundle comes back: hand the object over instead of copying (mirror of Track's whole move).
                a.Pools[p] = null;
                if (toFree)
                {
                    if (pool.Free.IsEmpty) { agent.Spare = pool.Free; pool.Free = b; }
                    else pool.Free.Add(b);
                }
            }
            else
            {
                a.Pools[p]!.Subtract(b);
                if (toFree) pool.Free.Add(b);
            }
        }
        Account(a.Role, agent, pools, -1);
        if (a.IsEmpty && agent.Allocations.TryGetValue(fw.Slot, out var list))
        {
            list.Remove(a);
            if (list.Count == 0) { agent.Allocations.Remove(fw.Slot); fw.AllocatedOn.Remove(agent); }
        }
        agent.Version++;
    }

    private void AddConsumption(RoleState role, ReadOnlySpan<double> amounts, int sign)
    {
        for (var r = role; r != null; r = r.Parent)
        {
            for (var k = 0; k < amounts.Length; k++)
                if (amounts[k] != 0) r.Consumed[k] = Resource.Round(r.Consumed[k] + sign * amounts[k]);
            RefreshUnmet(r);
        }
    }

    /// <summary>Keeps <see cref="_unmetRoles"/> (roles below their guarantee) current, so stage 1 can stop once it is zero.</summary>
    private void RefreshUnmet(RoleState r)
    {
        var unmet = r.HasGuarantee && r.GuaranteeUnmet(_schema.ScalarCount);
        if (unmet == r.UnmetCached) return;
        r.UnmetCached = unmet;
        _unmetRoles += unmet ? 1 : -1;
    }
}
