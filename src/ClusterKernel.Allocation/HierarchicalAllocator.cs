using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation;

/// <summary>
/// Mesos' hierarchical DRF allocator (first cut: general <see cref="Res"/> arithmetic, full sort per agent).
/// Roles are sorted by weighted dominant share, frameworks inside a role by dominant share; each framework
/// gets everything the agent has left for its role.
/// </summary>
public sealed class HierarchicalAllocator : IAllocator
{
    private sealed class Fw
    {
        public required FrameworkId Id;
        public required FrameworkInfo Info;
        public bool Active;
        public HashSet<string> Suppressed = new();
        public Dictionary<string, Res> AllocByRole = new();
        public Dictionary<(AgentId, string), Res> Alloc = new();
        public Dictionary<AgentId, (Res Refused, DateTimeOffset Until)> Filters = new();
        public long Count;
        public bool Revocable => Info.Has(FrameworkCapabilities.RevocableResources);
    }

    private sealed class Agent
    {
        public required AgentId Id;
        public required Res Total;
        public Res Free = Res.Empty;
        public bool Available = true;
    }

    private readonly AllocatorOptions _options;
    private readonly Random _random;
    private readonly Dictionary<FrameworkId, Fw> _frameworks = new();
    private readonly Dictionary<AgentId, Agent> _agents = new();
    private readonly List<AgentId> _agentOrder = new();
    private readonly Dictionary<string, double> _weights = new();
    private readonly Dictionary<string, Quota> _quotas = new();
    private readonly Dictionary<string, long> _roleCount = new();

    public HierarchicalAllocator(AllocatorOptions? options = null)
    {
        _options = options ?? new AllocatorOptions();
        _random = new Random(_options.Seed);
    }

    public void AddFramework(FrameworkId id, FrameworkInfo info, IReadOnlyDictionary<AgentId, Res> used, bool active, IReadOnlyCollection<string>? suppressedRoles = null)
    {
        var fw = new Fw { Id = id, Info = info, Active = active };
        if (suppressedRoles != null) fw.Suppressed.UnionWith(suppressedRoles);
        _frameworks[id] = fw;
        foreach (var (agent, res) in used)
            if (_agents.TryGetValue(agent, out var a)) Track(fw, a, info.Roles[0], res, +1, fromFree: false);
    }

    public void UpdateFramework(FrameworkId id, FrameworkInfo info, IReadOnlyCollection<string>? suppressedRoles = null)
    {
        var fw = _frameworks[id];
        fw.Info = info;
        fw.Suppressed = new HashSet<string>(suppressedRoles ?? Array.Empty<string>());
    }

    public void ActivateFramework(FrameworkId id) => _frameworks[id].Active = true;
    public void DeactivateFramework(FrameworkId id) => _frameworks[id].Active = false;

    public void RemoveFramework(FrameworkId id)
    {
        if (!_frameworks.Remove(id, out var fw)) return;
        foreach (var ((agentId, _), res) in fw.Alloc)
            if (_agents.TryGetValue(agentId, out var a)) a.Free = a.Free + res;
    }

    public void AddAgent(AgentId id, AgentInfo info, Res total, IReadOnlyDictionary<FrameworkId, Res> used)
    {
        var a = new Agent { Id = id, Total = total, Free = total };
        _agents[id] = a;
        _agentOrder.Add(id);
        foreach (var (fwId, res) in used)
        {
            if (_frameworks.TryGetValue(fwId, out var fw)) Track(fw, a, fw.Info.Roles[0], res, +1, fromFree: true);
            else a.Free = a.Free - res;
        }
    }

    public void RemoveAgent(AgentId id)
    {
        if (!_agents.Remove(id)) return;
        _agentOrder.Remove(id);
        foreach (var fw in _frameworks.Values)
        {
            foreach (var key in fw.Alloc.Keys.Where(k => k.Item1 == id).ToList())
            {
                fw.AllocByRole[key.Item2] = fw.AllocByRole[key.Item2] - fw.Alloc[key];
                fw.Alloc.Remove(key);
            }
            fw.Filters.Remove(id);
        }
    }

    public void UpdateAgentTotal(AgentId id, Res total)
    {
        var a = _agents[id];
        var used = a.Total - a.Free;
        a.Total = total;
        a.Free = total - used;
    }

    public void SetAgentAvailable(AgentId id, bool available) => _agents[id].Available = available;

    public void AddAllocation(FrameworkId framework, AgentId agent, Res resources)
    {
        var fw = _frameworks[framework];
        Track(fw, _agents[agent], fw.Info.Roles[0], resources, +1, fromFree: true);
    }

    public void RecoverResources(FrameworkId framework, AgentId agent, Res resources, Filters? filters, DateTimeOffset now)
    {
        if (!_frameworks.TryGetValue(framework, out var fw) || !_agents.TryGetValue(agent, out var a)) return;
        var left = resources;
        foreach (var key in fw.Alloc.Keys.Where(k => k.Item1 == agent).ToList())
        {
            var part = Intersect(fw.Alloc[key], left);
            if (part.IsEmpty) continue;
            Track(fw, a, key.Item2, part, -1, fromFree: true);
            left = left - part;
        }
        if (filters != null)
        {
            var seconds = Math.Max(_options.AllocationInterval.TotalSeconds, filters.EffectiveRefuseSeconds);
            fw.Filters[agent] = (resources, now + TimeSpan.FromSeconds(seconds));
        }
    }

    public void SuppressOffers(FrameworkId framework, IReadOnlyCollection<string>? roles)
    {
        var fw = _frameworks[framework];
        fw.Suppressed.UnionWith(roles ?? fw.Info.Roles);
    }

    public void ReviveOffers(FrameworkId framework, IReadOnlyCollection<string>? roles)
    {
        var fw = _frameworks[framework];
        if (roles == null) fw.Suppressed.Clear(); else fw.Suppressed.ExceptWith(roles);
        fw.Filters.Clear();
    }

    public void UpdateWeights(IReadOnlyDictionary<string, double> weights)
    {
        foreach (var (r, w) in weights) _weights[r] = w;
    }

    public void UpdateQuota(string role, Quota quota) => _quotas[role] = quota;

    public IReadOnlyList<OfferGrant> Allocate(DateTimeOffset now)
    {
        var grants = new List<OfferGrant>();
        var agents = _agentOrder.ToArray();
        _random.Shuffle(agents);
        var clusterTotal = _agents.Values.Aggregate(Res.Empty, (s, a) => s + a.Total).ScalarTotals();
        foreach (var agentId in agents)
        {
            var a = _agents[agentId];
            if (!a.Available) continue;
            var roles = _frameworks.Values.Where(f => f.Active).SelectMany(f => f.Info.Roles.Where(r => !f.Suppressed.Contains(r))).Distinct()
                .OrderBy(r => RoleShare(r, clusterTotal)).ThenBy(r => _roleCount.GetValueOrDefault(r)).ThenBy(r => r, StringComparer.Ordinal).ToList();
            foreach (var role in roles)
            {
                var fws = _frameworks.Values.Where(f => f.Active && f.Info.Roles.Contains(role) && !f.Suppressed.Contains(role))
                    .OrderBy(f => Share(f.AllocByRole.GetValueOrDefault(role) ?? Res.Empty, clusterTotal)).ThenBy(f => f.Count).ThenBy(f => f.Id.Value, StringComparer.Ordinal).ToList();
                foreach (var fw in fws)
                {
                    var offer = a.Free.AllocatableTo(role);
                    if (!fw.Revocable) offer = offer.NonRevocable();
                    offer = ApplyLimits(role, offer);
                    if (offer.IsEmpty || !MinAllocatable(offer)) continue;
                    if (fw.Filters.TryGetValue(agentId, out var f) && now < f.Until && f.Refused.Contains(offer)) continue;
                    Track(fw, a, role, offer, +1, fromFree: true);
                    grants.Add(new OfferGrant(fw.Id, role, agentId, offer));
                }
            }
        }
        return grants;
    }

    private Res ApplyLimits(string role, Res offer)
    {
        for (var r = role; r != null; r = Roles.Parent(r))
        {
            if (!_quotas.TryGetValue(r, out var q) || q.Limits.Count == 0) continue;
            var consumed = Consumption(r);
            foreach (var (name, limit) in q.Limits)
            {
                var room = limit - consumed.GetValueOrDefault(name);
                var unreserved = offer.Where(x => x.Name == name && !x.IsReserved && x.Type == Resources.ValueType.Scalar);
                var have = unreserved.Scalar(name);
                if (have <= room + 1e-9) continue;
                offer = offer.Where(x => !(x.Name == name && !x.IsReserved && x.Type == Resources.ValueType.Scalar));
                if (room > 0) offer = offer + Res.Of(Resource.OfScalar(name, Math.Floor(room * 1000) / 1000));
            }
        }
        return offer;
    }

    private Dictionary<string, double> Consumption(string role)
    {
        var d = new Dictionary<string, double>();
        foreach (var fw in _frameworks.Values)
            foreach (var (r, res) in fw.AllocByRole)
                if (Roles.IsSelfOrAncestor(role, r))
                    foreach (var (n, v) in res.Where(x => !x.IsReserved && !x.Revocable).ScalarTotals()) d[n] = d.GetValueOrDefault(n) + v;
        foreach (var a in _agents.Values)
            foreach (var (n, v) in a.Total.Where(x => x.IsReserved && Roles.IsSelfOrAncestor(role, x.Role)).ScalarTotals()) d[n] = d.GetValueOrDefault(n) + v;
        return d;
    }

    private bool MinAllocatable(Res offer)
    {
        if (_options.MinAllocatable.Count == 0) return true;
        var totals = offer.ScalarTotals();
        return _options.MinAllocatable.Any(m => m.All(kv => totals.GetValueOrDefault(kv.Key) + 1e-9 >= kv.Value));
    }

    private double RoleShare(string role, IReadOnlyDictionary<string, double> total)
    {
        var alloc = _frameworks.Values.SelectMany(f => f.AllocByRole.Where(kv => Roles.IsSelfOrAncestor(role, kv.Key)).Select(kv => kv.Value)).Aggregate(Res.Empty, (s, r) => s + r);
        return Share(alloc, total) / _weights.GetValueOrDefault(role, 1.0);
    }

    private double Share(Res alloc, IReadOnlyDictionary<string, double> total)
    {
        double share = 0;
        foreach (var (name, v) in alloc.ScalarTotals())
            if (!_options.FairSharingExcluded.Contains(name) && total.TryGetValue(name, out var t) && t > 0) share = Math.Max(share, v / t);
        return share;
    }

    private void Track(Fw fw, Agent a, string role, Res res, int sign, bool fromFree)
    {
        var key = (a.Id, role);
        var cur = fw.Alloc.GetValueOrDefault(key) ?? Res.Empty;
        var byRole = fw.AllocByRole.GetValueOrDefault(role) ?? Res.Empty;
        if (sign > 0)
        {
            fw.Alloc[key] = cur + res; fw.AllocByRole[role] = byRole + res;
            if (fromFree) a.Free = a.Free - res;
            fw.Count++;
            _roleCount[role] = _roleCount.GetValueOrDefault(role) + 1;
        }
        else
        {
            var left = cur - res;
            if (left.IsEmpty) fw.Alloc.Remove(key); else fw.Alloc[key] = left;
            fw.AllocByRole[role] = byRole - res;
            a.Free = a.Free + res;
        }
    }

    private static Res Intersect(Res a, Res b) => Res.From(a.Where(x => b.Contains(Res.Of(x))).Concat(a.Where(x => !b.Contains(Res.Of(x))).SelectMany(x => b.Where(y => y.SameKind(x)).Select(y => y.Type == Resources.ValueType.Scalar ? y with { Scalar = Math.Min(x.Scalar, y.Scalar) } : y))));
}
