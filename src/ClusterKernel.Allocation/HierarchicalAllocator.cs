using ClusterKernel.Allocation.Dense;
using ClusterKernel.Allocation.Sorting;
using ClusterKernel.Allocation.State;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation;

/// <summary>
/// Mesos' hierarchical DRF allocator. Each cycle walks the agents in a seeded random order; on each agent, roles in sorter
/// order, and inside a role its frameworks in sorter order; a framework gets everything the agent has left for its role
/// (reserved for the role or an ancestor, plus unreserved), less what quota limits and headroom hold back — or, when it
/// declared task shapes, a slice sized for them. Works on a dense copy of resources; the general <see cref="Res"/> type
/// appears only at the edges (calls in, grants out).
/// </summary>
public sealed partial class HierarchicalAllocator : IAllocator
{
    private readonly AllocatorOptions _options;
    private readonly Random _random;
    private readonly ResourceSchema _schema = new();
    private readonly SorterContext _ctx = new(ResourceSchema.MaxScalars);
    private readonly ISorter _roleSorter;
    private readonly Dictionary<string, RoleState> _roles = new(StringComparer.Ordinal);
    private readonly List<RoleState?> _rolesByHandle = new();
    private readonly Dictionary<FrameworkId, FrameworkState> _frameworks = new();
    private readonly List<FrameworkState?> _slots = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly Dictionary<AgentId, AgentState> _agents = new();
    private readonly List<AgentState> _agentList = new();
    private readonly (int[] Index, double[] Min)[] _minAllocatable;
    private readonly TimeSpan _minFilter;

    /// <summary>Bumped whenever which frameworks may be offered anything changes (add/remove/activate/suppress/revive...).</summary>
    private long _eligibility;
    private bool _anyQuota;
    private int _unmetRoles;
    private AgentState[] _order = Array.Empty<AgentState>();

    public HierarchicalAllocator(AllocatorOptions? options = null)
    {
        _options = options ?? new AllocatorOptions();
        _random = new Random(_options.Seed);
        foreach (var name in _options.FairSharingExcluded) _ctx.Excluded[_schema.Scalar(name)] = true;
        _minAllocatable = _options.MinAllocatable
            .Select(m => (m.Keys.Select(_schema.Scalar).ToArray(), m.Values.ToArray()))
            .ToArray();
        _ctx.Count = _schema.ScalarCount;
        _roleSorter = NewSorter(_options.RoleSorter, hierarchical: true, seed: _options.Seed);
        _minFilter = _options.AllocationInterval;
    }

    private ISorter NewSorter(string kind, bool hierarchical, int seed) => kind switch
    {
        "drf" => new DrfSorter(_ctx, hierarchical),
        "random" => new RandomSorter(_ctx, seed),
        _ => throw new ArgumentException($"unknown sorter '{kind}'; use \"drf\" or \"random\""),
    };

    // ---------------------------------------------------------------- frameworks

    /// <summary>
    /// As Mesos: <paramref name="used"/> on agents already added was taken out of their free resources when they were added
    /// (as use by a then unknown framework), so here it is only attributed to the framework (shares, quota), not subtracted again.
    /// Used resources are attributed to the framework's first role.
    /// </summary>
    public void AddFramework(FrameworkId id, FrameworkInfo info, IReadOnlyDictionary<AgentId, Res> used, bool active, IReadOnlyCollection<string>? suppressedRoles = null)
    {
        if (_frameworks.ContainsKey(id)) throw new InvalidOperationException($"framework {id} already added");
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _slots.Count;
        var fw = new FrameworkState(id, info, slot) { Active = active };
        if (slot == _slots.Count) _slots.Add(fw); else _slots[slot] = fw;
        _frameworks[id] = fw;
        Subscribe(fw, info.Roles, suppressedRoles);
        foreach (var (agentId, res) in used)
            if (_agents.TryGetValue(agentId, out var agent)) Track(fw, fw.Roles[0], agent, ToPools(agent, res), fromFree: false, owned: true);
        ApplyDeclaredShapes(fw, previous: null);
        ApplyOfferConstraints(fw);
        _eligibility++;
    }

    public void UpdateFramework(FrameworkId id, FrameworkInfo info, IReadOnlyCollection<string>? suppressedRoles = null)
    {
        var fw = Framework(id);
        var previous = fw.Info;
        fw.Info = info;
        ApplyDeclaredShapes(fw, previous);
        foreach (var fr in fw.Roles) fr.Subscribed = info.Roles.Contains(fr.Role.Name);
        Subscribe(fw, info.Roles, suppressedRoles);
        ApplyOfferConstraints(fw);
        _eligibility++;
    }

    private void Subscribe(FrameworkState fw, IReadOnlyList<string> roles, IReadOnlyCollection<string>? suppressed)
    {
        if (roles.Count == 0) throw new ArgumentException($"framework {fw.Id} subscribes to no role");
        foreach (var name in roles)
        {
            if (!Roles.IsValid(name)) throw new ArgumentException($"'{name}' is not a valid role");
            var fr = fw.Role(name);
            if (fr == null)
            {
                var role = Role(name);
                fr = new FrameworkRole(fw, role, role.Frameworks.Add(fw.Id.Value));
                while (role.ByHandle.Count <= fr.Handle) role.ByHandle.Add(null);
                role.ByHandle[fr.Handle] = fr;
                fw.Roles.Add(fr);
            }
            fr.Subscribed = true;
            fr.Suppressed = suppressed?.Contains(name) ?? false;
        }
        Refresh(fw);
    }

    public void ActivateFramework(FrameworkId id) { Framework(id).Active = true; Refresh(Framework(id)); }
    public void DeactivateFramework(FrameworkId id) { Framework(id).Active = false; Refresh(Framework(id)); }

    public void RemoveFramework(FrameworkId id)
    {
        if (!_frameworks.TryGetValue(id, out var fw)) return;
        fw.Active = false;
        Refresh(fw);
        foreach (var agent in fw.AllocatedOn.ToList())
        {
            foreach (var a in agent.Allocations[fw.Slot].ToList()) Untrack(agent, fw, a, a.Pools, toFree: true);
            agent.Allocations.Remove(fw.Slot);
        }
        ClearFilters(fw);
        foreach (var fr in fw.Roles)
        {
            fr.Role.Frameworks.Remove(fr.Handle);
            fr.Role.ByHandle[fr.Handle] = null;
            _constrained.Remove(fr);
        }
        _frameworks.Remove(id);
        _slots[fw.Slot] = null;
        _freeSlots.Push(fw.Slot);
        _eligibility++;
    }

    /// <summary>Puts the framework's roles in or out of the sorters to match its state, so inactive ones cost nothing per cycle.</summary>
    private void Refresh(FrameworkState fw)
    {
        foreach (var fr in fw.Roles)
        {
            var listed = fw.Active && fr.Subscribed && !fr.Suppressed;
            if (listed == fr.Listed) continue;
            fr.Listed = listed;
            var role = fr.Role;
            if (listed)
            {
                role.Frameworks.Activate(fr.Handle);
                if (role.ListedFrameworks++ == 0) _roleSorter.Activate(role.Handle);
            }
            else
            {
                role.Frameworks.Deactivate(fr.Handle);
                if (--role.ListedFrameworks == 0) _roleSorter.Deactivate(role.Handle);
            }
        }
        _eligibility++;
    }

    public void SuppressOffers(FrameworkId framework, IReadOnlyCollection<string>? roles)
    {
        var fw = Framework(framework);
        foreach (var fr in fw.Roles)
            if (roles == null || roles.Contains(fr.Role.Name)) fr.Suppressed = true;
        Refresh(fw);
    }

    public void ReviveOffers(FrameworkId framework, IReadOnlyCollection<string>? roles)
    {
        var fw = Framework(framework);
        foreach (var fr in fw.Roles)
            if (roles == null || roles.Contains(fr.Role.Name)) fr.Suppressed = false;
        // Filters are kept per (framework, agent), not per role, so a revive of any role clears them all.
        ClearFilters(fw);
        Refresh(fw);
    }

    private void ClearFilters(FrameworkState fw)
    {
        foreach (var agent in fw.FilteredOn) agent.ClearFilter(fw.Slot);
        fw.FilteredOn.Clear();
    }

    // ---------------------------------------------------------------- agents

    public void AddAgent(AgentId id, AgentInfo info, Res total, IReadOnlyDictionary<FrameworkId, Res> used)
    {
        if (_agents.ContainsKey(id)) throw new InvalidOperationException($"agent {id} already added");
        var agent = new AgentState(id) { ListIndex = _agentList.Count, Hostname = info.Hostname, Attributes = info.Attributes };
        _agents[id] = agent;
        _agentList.Add(agent);
        var totals = ToPools(agent, total);
        for (var p = 0; p < agent.Pools.Count; p++)
        {
            // The bundles ToPools made are this agent's own: the total keeps them, the free pool gets a copy.
            var pool = agent.Pools[p];
            if (totals[p] != null) pool.Total = totals[p]!;
            pool.Total.CopyTo(pool.Free);
        }
        SetTotal(agent, agent.Pools.Count, +1);
        // Dictionary's own enumerator when it is one (the master's case): no boxed enumerator per agent.
        if (used is Dictionary<FrameworkId, Res> dict) foreach (var (fwId, res) in dict) AddUsed(agent, fwId, res);
        else foreach (var (fwId, res) in used) AddUsed(agent, fwId, res);
    }

    /// <summary>Resources a running task uses on a newly added agent: the framework's allocation, or just not free if the framework is unknown.</summary>
    private void AddUsed(AgentState agent, FrameworkId fwId, Res res)
    {
        var pools = ToPools(agent, res);
        if (_frameworks.TryGetValue(fwId, out var fw)) Track(fw, fw.Roles[0], agent, pools, fromFree: true, owned: true);
        else for (var p = 0; p < pools.Length; p++) if (pools[p] != null) agent.Pools[p].Free.Subtract(pools[p]!);
    }

    public void RemoveAgent(AgentId id)
    {
        if (!_agents.Remove(id, out var agent)) return;
        _recovered.Remove(agent);
        ForgetConstraintResults(agent);
        foreach (var (slot, allocations) in agent.Allocations)
        {
            var fw = _slots[slot]!;
            foreach (var a in allocations.ToList()) Untrack(agent, fw, a, a.Pools, toFree: false);
            fw.AllocatedOn.Remove(agent);
        }
        foreach (var slot in agent.Filters.Keys) _slots[slot]?.FilteredOn.Remove(agent);
        SetTotal(agent, agent.Pools.Count, -1);
        var last = _agentList[^1];
        _agentList[agent.ListIndex] = last;
        last.ListIndex = agent.ListIndex;
        _agentList.RemoveAt(_agentList.Count - 1);
    }

    public void UpdateAgentTotal(AgentId id, Res total)
    {
        var agent = Agent(id);
        var pools = ToPools(agent, total);
        SetTotal(agent, agent.Pools.Count, -1);
        for (var p = 0; p < agent.Pools.Count; p++)
        {
            var pool = agent.Pools[p];
            var used = pool.Total.Clone();
            used.Subtract(pool.Free);
            pool.Total.Clear();
            if (pools[p] != null) pool.Total.Add(pools[p]!);
            pool.Free = pool.Total.Clone();
            pool.Free.Subtract(used);
        }
        SetTotal(agent, agent.Pools.Count, +1);
        agent.Version++;
    }

    /// <summary>Adds (or with sign -1 removes) the totals of an agent's first <paramref name="pools"/> pools to the sorters' denominators and its reservations to quota consumption.</summary>
    private void SetTotal(AgentState agent, int pools, int sign)
    {
        for (var p = 0; p < pools; p++)
        {
            var pool = agent.Pools[p];
            var b = pool.Total;
            _ctx.AddToTotals(((ReadOnlySpan<double>)b.S)[.._schema.ScalarCount], sign);
            if (!pool.Unreserved && !pool.Revocable) AddConsumption(Role(pool.Role), b.S, sign);
        }
        _ctx.Count = _schema.ScalarCount;
        agent.Version++;
    }

    public void SetAgentAvailable(AgentId id, bool available) => Agent(id).Available = available;

    public void AddAllocation(FrameworkId framework, AgentId agent, Res resources)
    {
        var fw = Framework(framework);
        var a = Agent(agent);
        Track(fw, fw.Roles[0], a, ToPools(a, resources), fromFree: true, owned: true);
    }

    public void RecoverResources(FrameworkId framework, AgentId agentId, Res resources, Filters? filters, DateTimeOffset now) =>
        RecoverResources(framework, agentId, null, resources, filters, now);

    /// <summary>
    /// As <see cref="IAllocator.RecoverResources"/>, naming the role the resources were offered for (<see cref="OfferGrant.Role"/>).
    /// A multi-role framework holding resources on one agent under several roles should use this, so quota consumption and
    /// shares come off the right role (Mesos carries the role in each resource's allocation_info; our Resources do not).
    /// </summary>
    public void RecoverResources(FrameworkId framework, AgentId agentId, string? role, Res resources, Filters? filters, DateTimeOffset now)
    {
        if (!_frameworks.TryGetValue(framework, out var fw) || !_agents.TryGetValue(agentId, out var agent)) return;
        var pools = ToPools(agent, resources);
        if (agent.Allocations.TryGetValue(fw.Slot, out var allocations) && allocations.Count == 1 && SamePools(allocations[0].Pools, pools))
        {
            // Everything it held here comes back (a plain decline): return the allocation's own bundles.
            var a = allocations[0];
            Untrack(agent, fw, a, (Bundle?[])a.Pools.Clone(), toFree: true);
            if (filters == null) _recovered.Add(agent);
        }
        else if (allocations != null)
        {
            if (filters == null) _recovered.Add(agent);
            var left = pools.Select(b => b?.Clone()).ToArray();
            foreach (var a in allocations.OrderBy(a => a.Role.Role.Name == role ? 0 : 1).ToList())
            {
                var part = new Bundle?[a.Pools.Length];
                for (var p = 0; p < a.Pools.Length && p < left.Length; p++)
                {
                    if (a.Pools[p] == null || left[p] == null) continue;
                    part[p] = a.Pools[p]!.Intersect(left[p]!);
                    left[p]!.Subtract(part[p]!);
                }
                Untrack(agent, fw, a, part, toFree: true);
            }
        }
        if (filters != null)
        {
            var seconds = Math.Max(_minFilter.TotalSeconds, filters.EffectiveRefuseSeconds);
            var refused = agent.InternRefused(pools, SamePools);
            agent.SetFilter(fw.Slot, new OfferFilter(refused, now + TimeSpan.FromSeconds(seconds)));
            fw.FilteredOn.Add(agent);
        }
    }

    private static bool SamePools(Bundle?[] a, Bundle?[] b)
    {
        for (var p = 0; p < Math.Max(a.Length, b.Length); p++)
        {
            var x = p < a.Length ? a[p] : null;
            var y = p < b.Length ? b[p] : null;
            if ((x == null || x.IsEmpty) && (y == null || y.IsEmpty)) continue;
            if (x == null || y == null || !x.SameAs(y)) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- weights and quota

    public void UpdateWeights(IReadOnlyDictionary<string, double> weights)
    {
        foreach (var (role, weight) in weights)
        {
            if (!(weight > 0)) throw new ArgumentException($"weight of '{role}' must be positive, not {weight}");
            _roleSorter.UpdateWeight(role, weight);
        }
    }

    public void UpdateQuota(string role, Quota quota)
    {
        var r = Role(role);
        Array.Fill(r.Guarantee, double.NaN);
        Array.Fill(r.Limit, double.NaN);
        foreach (var (name, v) in quota.Guarantees) r.Guarantee[_schema.Scalar(name)] = v;
        foreach (var (name, v) in quota.Limits) r.Limit[_schema.Scalar(name)] = v;
        r.HasGuarantee = quota.Guarantees.Count > 0;
        r.HasLimit = quota.Limits.Count > 0;
        _ctx.Count = _schema.ScalarCount;
        _anyQuota = _roles.Values.Any(x => x.HasGuarantee || x.HasLimit);
        RefreshUnmet(r);
    }

    // ---------------------------------------------------------------- bookkeeping

    private FrameworkState Framework(FrameworkId id) =>
        _frameworks.TryGetValue(id, out var fw) ? fw : throw new KeyNotFoundException($"unknown framework {id}");

    private AgentState Agent(AgentId id) =>
        _agents.TryGetValue(id, out var a) ? a : throw new KeyNotFoundException($"unknown agent {id}");

    private RoleState Role(string name)
    {
        if (_roles.TryGetValue(name, out var role)) return role;
        var parentName = Roles.Parent(name);
        var parent = parentName == null ? null : Role(parentName);
        role = new RoleState(name, parent, NewSorter(_options.FrameworkSorter, hierarchical: false, seed: _options.Seed ^ StableHash(name)));
        role.Handle = _roleSorter.Add(name);
        while (_rolesByHandle.Count <= role.Handle) _rolesByHandle.Add(null);
        _rolesByHandle[role.Handle] = role;
        _roles[name] = role;
        return role;
    }

    private static int StableHash(string s)
    {
        unchecked
        {
            var h = (int)2166136261;
            foreach (var c in s) h = (h ^ c) * 16777619;
            return h;
        }
    }
}
