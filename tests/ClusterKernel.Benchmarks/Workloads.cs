using ClusterKernel.Allocation;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Benchmarks;

/// <summary>Mesos' allocator benchmark scenarios (hierarchical_allocator_tests.cpp / _benchmarks.cpp), rebuilt on our allocator.</summary>
public static class Workloads
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyDictionary<AgentId, Res> NoUse = new Dictionary<AgentId, Res>();

    public static FrameworkId[] AddFrameworks(IAllocator allocator, int count, string role = "*")
    {
        var ids = new FrameworkId[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = new FrameworkId($"framework{i + 1}");
            allocator.AddFramework(ids[i], new FrameworkInfo { Name = ids[i].Value, User = "user", Roles = new[] { role }, Capabilities = new[] { FrameworkCapabilities.MultiRole } }, NoUse, active: true);
        }
        return ids;
    }

    /// <summary>Mesos' fragment(): n single-port ranges spread over [begin-end].</summary>
    public static ValueRange[] Fragment(long begin, long end, int n)
    {
        var step = (end - begin + 1) / n;
        return Enumerable.Range(0, n).Select(i => new ValueRange(begin + i * step, begin + i * step)).ToArray();
    }

    /// <summary>DeclineOffers agents: cpus:24;mem:4096;disk:4096;ports:[31000-32000], with cpus:16;mem:2014;disk:1024 + 16 ports used by framework[i % F].</summary>
    public static (AgentId Id, AgentInfo Info, Res Total, Dictionary<FrameworkId, Res> Used)[] DeclineOffersAgents(int count, FrameworkId[] frameworks)
    {
        var total = Res.Parse("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
        var used = Res.Parse("cpus:16;mem:2014;disk:1024") + Res.Of(Resource.OfRanges("ports", Fragment(31000, 32000, 16)));
        return Enumerable.Range(0, count).Select(i =>
        {
            var id = new AgentId($"agent{i + 1}");
            return (id, new AgentInfo { Hostname = id.Value, Resources = total }, total, new Dictionary<FrameworkId, Res> { [frameworks[i % frameworks.Length]] = used });
        }).ToArray();
    }

    public static void AddAgents(IAllocator allocator, (AgentId Id, AgentInfo Info, Res Total, Dictionary<FrameworkId, Res> Used)[] agents)
    {
        foreach (var a in agents) allocator.AddAgent(a.Id, a.Info, a.Total, a.Used);
    }

    public static readonly Filters Forever = new() { RefuseSeconds = int.MaxValue };

    public static void DeclineAll(IAllocator allocator, IReadOnlyList<OfferGrant> grants, DateTimeOffset now)
    {
        foreach (var g in grants) allocator.RecoverResources(g.Framework, g.Agent, g.Resources, Forever, now);
    }

    /// <summary>The quota scenario: agents cpus:16;mem:65536;disk:102400 and one framework per quota'd role.</summary>
    public static void AddQuotaCluster(HierarchicalAllocator allocator, int agents, int roles)
    {
        var total = Res.Parse("cpus:16;mem:65536;disk:102400");
        for (var i = 0; i < agents; i++)
        {
            var id = new AgentId($"agent{i + 1}");
            allocator.AddAgent(id, new AgentInfo { Hostname = id.Value, Resources = total }, total, new Dictionary<FrameworkId, Res>());
        }
        for (var i = 0; i < roles; i++)
        {
            var role = $"quota-role-{i}";
            allocator.UpdateQuota(role, new Quota(new Dictionary<string, double> { ["cpus"] = 4, ["mem"] = 8192 }, new Dictionary<string, double> { ["cpus"] = 32, ["mem"] = 131072 }));
            var fw = new FrameworkId($"framework{i + 1}");
            allocator.AddFramework(fw, new FrameworkInfo { Name = fw.Value, Roles = new[] { role } }, NoUse, active: true);
        }
    }
}
