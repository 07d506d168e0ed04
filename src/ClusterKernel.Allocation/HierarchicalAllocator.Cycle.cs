using ClusterKernel.Allocation.Dense;
using ClusterKernel.Allocation.State;
using ClusterKernel.Resources;

namespace ClusterKernel.Allocation;

// The allocation cycle: the hot loop. Everything here works on dense bundles and sorter handles.
public sealed partial class HierarchicalAllocator
{
    private readonly List<Resource> _scratch = new();
    private readonly List<(FrameworkRole Role, AgentState Agent, Bundle?[] Offer)> _pending = new();
    private readonly double[] _availableHeadroom = new double[ResourceSchema.MaxScalars];
    private readonly double[] _requiredHeadroom = new double[ResourceSchema.MaxScalars];
    private readonly double[] _shapeSlice = new double[ResourceSchema.MaxScalars];
    private readonly double[] _before = new double[ResourceSchema.MaxScalars];

    public IReadOnlyList<OfferGrant> Allocate(DateTimeOffset now)
    {
        var grants = new List<OfferGrant>();
        _recovered.Clear(); // every agent is visited below
        Shuffle();
        if (_anyQuota)
        {
            ComputeHeadroom();
            // Stage 1: roles whose guarantees are unmet are served first.
            foreach (var agent in _order)
            {
                if (_unmetRoles == 0) break;
                Visit(agent, now, stage1: true, grants);
            }
        }
        foreach (var agent in _order) Visit(agent, now, stage1: false, grants);
        return grants;
    }

    private void Shuffle()
    {
        if (_order.Length != _agentList.Count) _order = new AgentState[_agentList.Count];
        _agentList.CopyTo(_order);
        for (var i = _order.Length - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    private void Visit(AgentState agent, DateTimeOffset now, bool stage1, List<OfferGrant> grants)
    {
        if (!agent.Available) return;
        if (agent.SkipVersion == agent.Version && agent.SkipEligibility == _eligibility && now < agent.SkipUntil) return;
        if (EveryFrameworkFiltered(agent, now))
        {
            // Same conclusion the walk would reach, found without visiting each framework.
            agent.SkipVersion = agent.Version;
            agent.SkipEligibility = _eligibility;
            agent.SkipUntil = agent.MinFilterUntil;
            return;
        }

        // "Stable" = every framework was turned away for a reason that cannot change until this agent, the set of eligible
        // frameworks or the clock changes (filters, min_allocatable, nothing for it). Then the next cycles can skip the agent.
        var stable = true;
        var granted = false;
        var until = DateTimeOffset.MaxValue;
        var roles = _roleSorter.Sort();
        var exhausted = false;
        for (var ri = 0; ri < roles.Length && !exhausted; ri++)
        {
            var role = _rolesByHandle[roles[ri]]!;
            if (stage1 && !role.UnmetCached) continue;
            Masks(agent, role, out var all, out var nonRevocable);
            if (all == 0) continue;
            // min_allocatable depends only on the mask: worked out at most once per mask (-1 = not yet), not once per framework.
            int minAll = -1, minNonRevocable = -1;
            var frameworks = role.Frameworks.Sort();
            var byHandle = role.ByHandle;
            for (var fi = 0; fi < frameworks.Length; fi++)
            {
                var fr = byHandle[frameworks[fi]]!;
                var fw = fr.Framework;
                var revocable = fw.Revocable;
                var mask = revocable ? all : nonRevocable;
                if (mask == 0) continue;
                ref var min = ref revocable ? ref minAll : ref minNonRevocable;
                if (min < 0) min = MinAllocatable(agent, mask) ? 1 : 0;
                if (min == 0) continue;
                // Excluded by the framework's offer constraints: stable until the framework changes them (eligibility bumps).
                if (fr.Constraint is { } constraint && !constraint.Accepts(agent)) continue;
                var filtered = false;
                var refused = -1;
                if (agent.HasFilter(fw.Slot))
                {
                    filtered = true;
                    if (now < agent.MinFilterUntil && agent.SharedRefused == agent.Filters.Count)
                    {
                        // Every filter here is live and refuses the shared set (the usual state: frameworks decline the same
                        // leftovers), so this one's entry need not be looked up; MinFilterUntil bounds its expiry from below.
                        refused = agent.LastRefused;
                        if (Blocks(refused, agent, mask))
                        {
                            if (agent.MinFilterUntil < until) until = agent.MinFilterUntil;
                            continue;
                        }
                    }
                    else
                    {
                        var filter = agent.Filters[fw.Slot];
                        refused = filter.Refused;
                        if (filter.Until <= now)
                        {
                            agent.ClearFilter(fw.Slot);
                            fw.FilteredOn.Remove(agent);
                            filtered = false;
                        }
                        else if (Blocks(refused, agent, mask))
                        {
                            if (filter.Until < until) until = filter.Until;
                            continue;
                        }
                    }
                }
                if (_anyQuota && !WorthCutting(agent, role, mask, stage1))
                {
                    stable = false;
                    continue;
                }
                var offer = Cut(agent, role, fw, mask, stage1, out var trimmed);
                if (offer == null || (trimmed && filtered && Blocks(refused, agent, offer)))
                {
                    stable = false;
                    continue;
                }
                Grant(agent, fr, offer, whole: !trimmed && !_anyQuota && fw.Shapes == null, grants);
                granted = true;
                Masks(agent, role, out all, out nonRevocable);
                minAll = minNonRevocable = -1;
                // Nothing worth offering is left on the agent for anyone: stop walking roles too.
                if (all == 0 || !MinAllocatable(agent, AllPools(agent))) { exhausted = AllPools(agent) == 0 || !MinAllocatable(agent, AllPools(agent)); break; }
            }
        }
        if (!stage1 && !granted && stable)
        {
            agent.SkipVersion = agent.Version;
            agent.SkipEligibility = _eligibility;
            agent.SkipUntil = until;
        }
        // Sorter updates wait until the agent is done, so the orders being walked above stay valid (as Mesos sorts once per agent).
        foreach (var (fr, a, offer) in _pending) Account(fr, a, offer, +1, updateSorters: true, quota: false);
        _pending.Clear();
    }

    /// <summary>
    /// Every framework has a live filter here, all refusing one shared set that covers what the agent has free: no
    /// framework can be offered anything, whatever its role. One check instead of one per framework.
    /// </summary>
    private bool EveryFrameworkFiltered(AgentState agent, DateTimeOffset now)
    {
        if (agent.Filters.Count == 0 || agent.Filters.Count < _frameworks.Count || agent.SharedRefused != agent.Filters.Count || now >= agent.MinFilterUntil) return false;
        var refused = agent.RefusedSets[agent.LastRefused];
        for (var p = 0; p < agent.Pools.Count; p++)
        {
            var free = agent.Pools[p].Free;
            if (free.IsEmpty) continue;
            var r = p < refused.Length ? refused[p] : null;
            if (r == null || !r.Contains(free)) return false;
        }
        return true;
    }

    private static ulong AllPools(AgentState agent)
    {
        ulong mask = 0;
        for (var p = 0; p < agent.Pools.Count; p++) if (!agent.Pools[p].Free.IsEmpty) mask |= 1UL << p;
        return mask;
    }

    /// <summary>Which pools of the agent hold something the role may be offered: all of them, and the non-revocable ones.</summary>
    private static void Masks(AgentState agent, RoleState role, out ulong all, out ulong nonRevocable)
    {
        all = 0;
        nonRevocable = 0;
        for (var p = 0; p < agent.Pools.Count; p++)
        {
            var pool = agent.Pools[p];
            if (!pool.Unreserved && !Roles.IsSelfOrAncestor(pool.Role, role.Name)) continue;
            if (pool.Free.IsEmpty) continue;
            all |= 1UL << p;
            if (!pool.Revocable) nonRevocable |= 1UL << p;
        }
    }

    private bool MinAllocatable(AgentState agent, ulong mask)
    {
        if (_minAllocatable.Length == 0) return true;
        foreach (var (index, min) in _minAllocatable)
        {
            var ok = true;
            for (var i = 0; i < index.Length && ok; i++)
            {
                double sum = 0;
                for (var m = mask; m != 0; m &= m - 1) sum += agent.Pools[System.Numerics.BitOperations.TrailingZeroCount(m)].Free.S[index[i]];
                ok = sum + 1e-9 >= min[i];
            }
            if (ok) return true;
        }
        return false;
    }

    private bool MinAllocatable(Bundle?[] offer)
    {
        if (_minAllocatable.Length == 0) return true;
        foreach (var (index, min) in _minAllocatable)
        {
            var ok = true;
            for (var i = 0; i < index.Length && ok; i++)
            {
                double sum = 0;
                foreach (var b in offer) if (b != null) sum += b.S[index[i]];
                ok = sum + 1e-9 >= min[i];
            }
            if (ok) return true;
        }
        return false;
    }

    /// <summary>Mesos: a filter applies when what would be offered is contained in what was refused.</summary>
    private static bool Blocks(int refusedSet, AgentState agent, ulong mask)
    {
        // Filters on one agent mostly share one refused set (see RecoverResources), so one subset test serves them all.
        if (agent.MemoRefused == refusedSet && agent.MemoVersion == agent.Version && agent.MemoMask == mask) return agent.MemoResult;
        var set = agent.RefusedSets[refusedSet];
        var result = true;
        for (var m = mask; m != 0 && result; m &= m - 1)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(m);
            var refused = p < set.Length ? set[p] : null;
            result = refused != null && refused.Contains(agent.Pools[p].Free);
        }
        agent.MemoRefused = refusedSet;
        agent.MemoVersion = agent.Version;
        agent.MemoMask = mask;
        agent.MemoResult = result;
        return result;
    }

    private static bool Blocks(int refusedSet, AgentState agent, Bundle?[] offer)
    {
        var set = agent.RefusedSets[refusedSet];
        for (var p = 0; p < offer.Length; p++)
        {
            var b = offer[p];
            if (b == null || b.IsEmpty) continue;
            var refused = p < set.Length ? set[p] : null;
            if (refused == null || !refused.Contains(b)) return false;
        }
        return true;
    }

    /// <summary>What the framework would get: the masked pools, cut to quota limits and headroom, or to its task shapes.</summary>
    private Bundle?[]? Cut(AgentState agent, RoleState role, FrameworkState fw, ulong mask, bool stage1, out bool trimmed)
    {
        trimmed = false;
        var offer = new Bundle?[agent.Pools.Count];
        var copy = _anyQuota || fw.Shapes != null;
        for (var m = mask; m != 0; m &= m - 1)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(m);
            // Without quota or shapes the offer is the free bundle itself, handed over whole by Grant.
            offer[p] = copy ? agent.Pools[p].Free.Clone() : agent.Pools[p].Free;
        }
        if (_anyQuota)
        {
            for (var p = 0; p < offer.Length; p++)
            {
                var b = offer[p];
                if (b == null || !agent.Pools[p].Unreserved || agent.Pools[p].Revocable) continue;
                for (var k = 0; k < _schema.ScalarCount; k++)
                {
                    if (b.S[k] <= 0) continue;
                    var cap = Cap(role, k, stage1);
                    if (b.S[k] <= cap + 1e-9) continue;
                    b.S[k] = Math.Max(0, Math.Floor(cap * 1000 + 1e-6) / 1000);
                    trimmed = true;
                }
            }
        }
        if (fw.Shapes != null)
        {
            trimmed = true;
            if (!FitShapes(agent, offer, fw)) return null;
        }
        var any = false;
        foreach (var b in offer) any |= b != null && !b.IsEmpty;
        if (!any || (trimmed && !MinAllocatable(offer))) return null;
        return offer;
    }

    /// <summary>
    /// Whether what quota would leave of the masked pools still passes min_allocatable — checked on the numbers alone, so
    /// roles that can take nothing here (e.g. stage 1 roles lacking only what this agent has run out of) cost no copies.
    /// </summary>
    private bool WorthCutting(AgentState agent, RoleState role, ulong mask, bool stage1)
    {
        var n = _schema.ScalarCount;
        Span<double> sum = stackalloc double[ResourceSchema.MaxScalars];
        for (var m = mask; m != 0; m &= m - 1)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(m);
            var pool = agent.Pools[p];
            var quota = pool.Unreserved && !pool.Revocable;
            for (var k = 0; k < n; k++)
            {
                var v = pool.Free.S[k];
                if (v > 0) sum[k] += quota ? Math.Max(0, Math.Min(v, Cap(role, k, stage1))) : v;
            }
        }
        if (_minAllocatable.Length == 0)
        {
            for (var k = 0; k < n; k++) if (sum[k] > 0) return true;
            return false;
        }
        foreach (var (index, min) in _minAllocatable)
        {
            var ok = true;
            for (var i = 0; i < index.Length && ok; i++) ok = sum[index[i]] + 1e-9 >= min[i];
            if (ok) return true;
        }
        return false;
    }

    /// <summary>How much of unreserved scalar k the role may take now: within its (and its ancestors') limits, and leaving headroom for others' unmet guarantees.</summary>
    private double Cap(RoleState role, int k, bool stage1)
    {
        var cap = double.PositiveInfinity;
        for (var r = role; r != null; r = r.Parent)
            if (!double.IsNaN(r.Limit[k])) cap = Math.Min(cap, r.Limit[k] - r.Consumed[k]);
        var root = HeadroomRoot(role);
        var own = root?.Unmet(k) ?? 0;
        if (stage1 && !double.IsNaN(role.Guarantee[k])) return Math.Min(cap, role.Unmet(k));
        return Math.Min(cap, _availableHeadroom[k] - _requiredHeadroom[k] + own);
    }

    /// <summary>The top-most role with a guarantee at or above this one: the one whose unmet guarantee counts in the headroom.</summary>
    private static RoleState? HeadroomRoot(RoleState role)
    {
        RoleState? root = null;
        for (var r = role; r != null; r = r.Parent) if (r.HasGuarantee) root = r;
        return root;
    }

    private void ComputeHeadroom()
    {
        Array.Clear(_availableHeadroom);
        Array.Clear(_requiredHeadroom);
        foreach (var agent in _agentList)
        {
            if (!agent.Available) continue;
            foreach (var pool in agent.Pools)
                if (pool.Unreserved && !pool.Revocable)
                    for (var k = 0; k < _schema.ScalarCount; k++) _availableHeadroom[k] += pool.Free.S[k];
        }
        foreach (var role in _roles.Values)
            if (role.HasGuarantee && !role.HasGuaranteedAncestor)
                for (var k = 0; k < _schema.ScalarCount; k++) _requiredHeadroom[k] += role.Unmet(k);
    }

    /// <summary>Cuts the offer to the framework's pending task shapes, first fit in the order it gave them; false when none fits.</summary>
    private bool FitShapes(AgentState agent, Bundle?[] offer, FrameworkState fw)
    {
        var n = _schema.ScalarCount;
        Span<double> have = stackalloc double[ResourceSchema.MaxScalars];
        foreach (var b in offer) if (b != null) for (var k = 0; k < n; k++) have[k] += b.S[k];
        var slice = _shapeSlice;
        Array.Clear(slice);
        var fitted = false;
        foreach (var shape in fw.Shapes!)
        {
            var fits = true;
            for (var k = 0; k < n && fits; k++) fits = slice[k] + shape[k] <= have[k] + 1e-9;
            if (!fits) continue;
            for (var k = 0; k < n; k++) slice[k] += shape[k];
            fitted = true;
        }
        if (!fitted) return false;
        // Take reserved resources first, so the unreserved ones stay for everyone else.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var p = 0; p < offer.Length; p++)
            {
                var b = offer[p];
                if (b == null || agent.Pools[p].Unreserved != (pass == 1)) continue;
                for (var k = 0; k < n; k++)
                {
                    var take = Math.Min(b.S[k], slice[k]);
                    b.S[k] = Resource.Round(take);
                    slice[k] -= take;
                }
                for (var i = 0; i < ResourceSchema.MaxRanges; i++)
                    if (fw.ShapeRanges == null || Array.IndexOf(fw.ShapeRanges, i) < 0) b.R[i] = RangeOps.None;
                b.Sets = ClusterKernel.Resources.Resources.Empty;
            }
        }
        return true;
    }

    private void Grant(AgentState agent, FrameworkRole fr, Bundle?[] offer, bool whole, List<OfferGrant> grants)
    {
        var root = _anyQuota ? HeadroomRoot(fr.Role) : null;
        if (root != null) for (var k = 0; k < _schema.ScalarCount; k++) _before[k] = root.Unmet(k);
        Track(fr.Framework, fr, agent, offer, fromFree: true, updateSorters: false, whole: whole);
        _pending.Add((fr, agent, offer));
        if (_anyQuota)
        {
            for (var p = 0; p < offer.Length; p++)
                if (offer[p] != null && agent.Pools[p].Unreserved && !agent.Pools[p].Revocable)
                    for (var k = 0; k < _schema.ScalarCount; k++) _availableHeadroom[k] -= offer[p]!.S[k];
            if (root != null) for (var k = 0; k < _schema.ScalarCount; k++) _requiredHeadroom[k] += root.Unmet(k) - _before[k];
        }
        grants.Add(new OfferGrant(fr.Framework.Id, fr.Role.Name, agent.Id, OfferResources(agent, offer)));
    }

    /// <summary>
    /// The offer in general form. An agent is often offered exactly what it was offered last time (declined leftovers),
    /// so the immutable result is remembered per agent and reused: most of a grant's garbage is this conversion.
    /// </summary>
    private ClusterKernel.Resources.Resources OfferResources(AgentState agent, Bundle?[] offer)
    {
        if (agent.LastOffer != null && SamePools(agent.LastOffer, offer)) return agent.LastOfferResources!;
        var res = ToResources(agent, offer, _scratch);
        var copy = new Bundle?[offer.Length];
        for (var p = 0; p < offer.Length; p++) copy[p] = offer[p]?.Clone();
        agent.LastOffer = copy;
        agent.LastOfferResources = res;
        return res;
    }
}
