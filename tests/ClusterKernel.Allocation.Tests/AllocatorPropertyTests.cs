using ClusterKernel.Resources;
using FsCheck.Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

/// <summary>
/// Random clusters driven through random operations (seeded by FsCheck); after every cycle the invariants that must hold
/// whatever the policy are checked against a model of who holds what.
/// </summary>
public class AllocatorPropertyTests
{
    private static readonly string[] RoleNames = { "*", "eng", "eng/web", "ads", "ads/search", "ops" };

    private sealed class Model
    {
        public readonly Dictionary<AgentId, Res> Totals = new();
        public readonly Dictionary<(FrameworkId, AgentId), Res> Held = new();
        public readonly Dictionary<(FrameworkId, AgentId, string), Res> HeldByRole = new();
        public readonly Dictionary<FrameworkId, FrameworkInfo> Infos = new();
        public readonly HashSet<FrameworkId> Inactive = new();
        public readonly HashSet<(FrameworkId, string)> Suppressed = new();
        public readonly HashSet<AgentId> Unavailable = new();
        public readonly Dictionary<string, double> CpuLimit = new();
        /// <summary>Agents given something back since the last cycle: the only ones a recovered-agent cycle may offer.</summary>
        public readonly HashSet<AgentId> Recovered = new();
    }

    private static Res RandomAgent(Random r)
    {
        var text = $"cpus:{r.Next(1, 17)};mem:{r.Next(1, 9) * 512};ports:[31000-{31000 + r.Next(0, 100)}]";
        if (r.Next(3) == 0) text += $";cpus({RoleNames[r.Next(1, RoleNames.Length)]}):{r.Next(1, 5)}";
        if (r.Next(4) == 0) text += ";disk:1024";
        var res = Res.Parse(text);
        if (r.Next(4) == 0) res += Res.Of(Resource.OfScalar("cpus", r.Next(1, 4)) with { Revocable = true });
        return res;
    }

    /// <param name="incremental">Also run cycles over the recovered agents only (<see cref="IIncrementalAllocator"/>) between the
    /// full ones, drawn from a separate random stream so the full cycles' sequence stays that of the seed.</param>
    private static void Simulate(int seed, Action<Model, OfferGrant> checkGrant, Action<Model>? checkCycle = null, bool incremental = false)
    {
        var ri = new Random(seed ^ 0x5eed);
        var r = new Random(seed);
        var allocator = new HierarchicalAllocator(new AllocatorOptions { Seed = seed });
        var m = new Model();
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < r.Next(1, 6); i++)
        {
            var id = new FrameworkId($"f{i}");
            var roles = Enumerable.Range(0, r.Next(1, 3)).Select(_ => RoleNames[r.Next(RoleNames.Length)]).Distinct().ToArray();
            var caps = r.Next(2) == 0 ? new[] { FrameworkCapabilities.RevocableResources } : Array.Empty<string>();
            var info = new FrameworkInfo { Name = id.Value, Roles = roles, Capabilities = caps };
            allocator.AddFramework(id, info, new Dictionary<AgentId, Res>(), active: true);
            m.Infos[id] = info;
        }
        for (var i = 0; i < r.Next(1, 8); i++)
        {
            var id = new AgentId($"a{i}");
            var total = RandomAgent(r);
            allocator.AddAgent(id, new AgentInfo { Hostname = id.Value, Resources = total }, total, new Dictionary<FrameworkId, Res>());
            m.Totals[id] = total;
        }
        foreach (var role in RoleNames.Skip(1))
            if (r.Next(3) == 0)
            {
                var limit = r.Next(1, 20);
                m.CpuLimit[role] = limit;
                allocator.UpdateQuota(role, new Quota(new Dictionary<string, double> { ["cpus"] = r.Next(0, limit) }, new Dictionary<string, double> { ["cpus"] = limit }));
            }
        if (r.Next(2) == 0) allocator.UpdateWeights(new Dictionary<string, double> { ["eng"] = r.Next(1, 4), ["ads"] = r.Next(1, 4) });

        var fws = m.Infos.Keys.ToArray();
        for (var step = 0; step < 30; step++)
        {
            // Random control operations.
            var f = fws[r.Next(fws.Length)];
            switch (r.Next(8))
            {
                case 0: allocator.DeactivateFramework(f); m.Inactive.Add(f); break;
                case 1: allocator.ActivateFramework(f); m.Inactive.Remove(f); break;
                case 2:
                    var role = m.Infos[f].Roles[0];
                    allocator.SuppressOffers(f, new[] { role });
                    m.Suppressed.Add((f, role));
                    break;
                case 3:
                    allocator.ReviveOffers(f, null);
                    m.Suppressed.RemoveWhere(x => x.Item1 == f);
                    break;
                case 4:
                    var a = m.Totals.Keys.ElementAt(r.Next(m.Totals.Count));
                    var available = r.Next(3) != 0;
                    allocator.SetAgentAvailable(a, available);
                    if (available) m.Unavailable.Remove(a); else m.Unavailable.Add(a);
                    break;
            }
            m.Recovered.Clear(); // a full cycle visits every agent
            foreach (var g in allocator.Allocate(now))
            {
                checkGrant(m, g);
                m.Held[(g.Framework, g.Agent)] = m.Held.GetValueOrDefault((g.Framework, g.Agent), Res.Empty) + g.Resources;
                m.HeldByRole[(g.Framework, g.Agent, g.Role)] = m.HeldByRole.GetValueOrDefault((g.Framework, g.Agent, g.Role), Res.Empty) + g.Resources;
            }
            checkCycle?.Invoke(m);
            // Frameworks give back some of what they hold, some of it with a filter.
            foreach (var key in m.HeldByRole.Keys.ToList())
            {
                if (r.Next(3) != 0) continue;
                var held = m.HeldByRole[key];
                var back = r.Next(2) == 0 ? held : Res.From(held.Where(x => x.Type == Resources.ValueType.Scalar).Select(x => x with { Scalar = Math.Floor(x.Scalar / 2) }));
                var filter = r.Next(2) == 0 ? new Filters { RefuseSeconds = r.Next(0, 5) } : null;
                allocator.RecoverResources(key.Item1, key.Item2, key.Item3, back, filter, now);
                m.HeldByRole[key] = held - back;
                m.Held[(key.Item1, key.Item2)] = m.Held[(key.Item1, key.Item2)] - back;
                if (filter == null) m.Recovered.Add(key.Item2); // refusals are no candidates
            }
            if (incremental && ri.Next(3) != 0)
            {
                foreach (var g in allocator.AllocateRecovered(now))
                {
                    Assert.Contains(g.Agent, m.Recovered);
                    checkGrant(m, g);
                    m.Held[(g.Framework, g.Agent)] = m.Held.GetValueOrDefault((g.Framework, g.Agent), Res.Empty) + g.Resources;
                    m.HeldByRole[(g.Framework, g.Agent, g.Role)] = m.HeldByRole.GetValueOrDefault((g.Framework, g.Agent, g.Role), Res.Empty) + g.Resources;
                }
                Assert.Equal(0, allocator.RecoveredAgents);
                m.Recovered.Clear();
                checkCycle?.Invoke(m);
            }
            now += TimeSpan.FromSeconds(1);
        }
    }

    [Property(MaxTest = 60)]
    public void Offers_never_exceed_what_the_agent_has_free(int seed) =>
        Simulate(seed, (m, g) =>
        {
            var heldHere = m.Held.Where(kv => kv.Key.Item2 == g.Agent).Aggregate(Res.Empty, (s, kv) => s + kv.Value);
            Assert.True((m.Totals[g.Agent] - heldHere).Contains(g.Resources), $"offer {g.Resources} exceeds free {m.Totals[g.Agent] - heldHere}");
        });

    [Property(MaxTest = 60)]
    public void Resources_reserved_for_another_role_are_never_offered(int seed) =>
        Simulate(seed, (m, g) =>
        {
            Assert.Contains(g.Role, m.Infos[g.Framework].Roles);
            foreach (var r in g.Resources.Where(x => x.IsReserved))
                Assert.True(Roles.IsSelfOrAncestor(r.Role, g.Role), $"{r} offered to role {g.Role}");
        });

    [Property(MaxTest = 60)]
    public void Suppressed_inactive_and_unavailable_get_nothing_and_revocable_goes_only_to_capable(int seed) =>
        Simulate(seed, (m, g) =>
        {
            Assert.DoesNotContain(g.Framework, m.Inactive);
            Assert.DoesNotContain((g.Framework, g.Role), m.Suppressed);
            Assert.DoesNotContain(g.Agent, m.Unavailable);
            if (g.Resources.Any(x => x.Revocable)) Assert.True(m.Infos[g.Framework].Has(FrameworkCapabilities.RevocableResources));
        });

    [Property(MaxTest = 60)]
    public void Quota_limits_are_never_exceeded_by_offers(int seed) =>
        Simulate(seed, (_, _) => { }, AssertCpuLimitsHeld);

    private static void AssertCpuLimitsHeld(Model m)
    {
        foreach (var (role, limit) in m.CpuLimit)
        {
            var unreserved = m.HeldByRole.Where(kv => Roles.IsSelfOrAncestor(role, kv.Key.Item3))
                .Sum(kv => kv.Value.Where(x => !x.IsReserved && !x.Revocable && x.Name == "cpus").Sum(x => x.Scalar));
            var reserved = m.Totals.Values.Sum(t => t.Where(x => x.IsReserved && Roles.IsSelfOrAncestor(role, x.Role) && x.Name == "cpus").Sum(x => x.Scalar));
            // Reservations alone may exceed a limit (they were made by an operator); offers must not add unreserved cpus beyond it.
            if (reserved <= limit) Assert.True(unreserved + reserved <= limit + 1e-6, $"role {role}: {unreserved} + {reserved} reserved > limit {limit}");
            else Assert.Equal(0, unreserved, 6);
        }
    }

    [Property(MaxTest = 60)]
    public void Recovered_agent_cycles_keep_every_invariant_and_offer_only_recovered_agents(int seed)
    {
        Simulate(seed, (m, g) =>
        {
            var heldHere = m.Held.Where(kv => kv.Key.Item2 == g.Agent).Aggregate(Res.Empty, (s, kv) => s + kv.Value);
            Assert.True((m.Totals[g.Agent] - heldHere).Contains(g.Resources), $"offer {g.Resources} exceeds free {m.Totals[g.Agent] - heldHere}");
            Assert.Contains(g.Role, m.Infos[g.Framework].Roles);
            foreach (var r in g.Resources.Where(x => x.IsReserved)) Assert.True(Roles.IsSelfOrAncestor(r.Role, g.Role), $"{r} offered to role {g.Role}");
            Assert.DoesNotContain(g.Framework, m.Inactive);
            Assert.DoesNotContain((g.Framework, g.Role), m.Suppressed);
            Assert.DoesNotContain(g.Agent, m.Unavailable);
            if (g.Resources.Any(x => x.Revocable)) Assert.True(m.Infos[g.Framework].Has(FrameworkCapabilities.RevocableResources));
        }, AssertCpuLimitsHeld, incremental: true);
    }

    [Property(MaxTest = 30)]
    public void The_same_seed_gives_the_same_offers(int seed)
    {
        static List<string> Run(int seed)
        {
            var log = new List<string>();
            Simulate(seed, (_, g) => log.Add($"{g.Framework}/{g.Role}@{g.Agent}:{g.Resources}"));
            return log;
        }
        Assert.Equal(Run(seed), Run(seed));
    }
}
