using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

/// <summary>Test harness: builds frameworks and agents with short names and keeps track of the clock.</summary>
internal sealed class Cluster
{
    public HierarchicalAllocator Allocator { get; }
    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyDictionary<AgentId, Res> NoUse = new Dictionary<AgentId, Res>();
    private static readonly IReadOnlyDictionary<FrameworkId, Res> NoFwUse = new Dictionary<FrameworkId, Res>();

    public Cluster(AllocatorOptions? options = null) => Allocator = new HierarchicalAllocator(options ?? new AllocatorOptions());

    public static Res R(string text) => Res.Parse(text);

    public FrameworkId Framework(string name, params string[] roles) => Framework(name, roles, Array.Empty<string>());

    public FrameworkId Framework(string name, string[] roles, string[] capabilities, bool active = true)
    {
        var id = new FrameworkId(name);
        Allocator.AddFramework(id, new FrameworkInfo { Name = name, Roles = roles.Length == 0 ? new[] { "*" } : roles, Capabilities = capabilities }, NoUse, active);
        return id;
    }

    public AgentId Agent(string name, string resources, IReadOnlyDictionary<FrameworkId, Res>? used = null)
    {
        var id = new AgentId(name);
        var total = R(resources);
        Allocator.AddAgent(id, new AgentInfo { Hostname = name, Resources = total }, total, used ?? NoFwUse);
        return id;
    }

    public IReadOnlyList<OfferGrant> Allocate()
    {
        var grants = Allocator.Allocate(Now);
        Now += TimeSpan.FromSeconds(1);
        return grants;
    }

    public void Decline(OfferGrant g, double refuseSeconds = 5) =>
        Allocator.RecoverResources(g.Framework, g.Agent, g.Resources, new Filters { RefuseSeconds = refuseSeconds }, Now);

    public void Return(OfferGrant g) => Allocator.RecoverResources(g.Framework, g.Agent, g.Resources, null, Now);
}
