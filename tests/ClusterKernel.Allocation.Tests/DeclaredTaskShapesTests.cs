using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

/// <summary>Task shapes declared in FrameworkInfo (ClusterKernel extension) reach the shape-aware mode through Add/UpdateFramework.</summary>
public sealed class DeclaredTaskShapesTests
{
    private static readonly IReadOnlyDictionary<AgentId, Res> NoUse = new Dictionary<AgentId, Res>();

    private static FrameworkInfo Info(string name, string role, params TaskShape[] shapes) =>
        new() { Name = name, Roles = new[] { role }, TaskShapes = shapes };

    private static double Cpus(IEnumerable<OfferGrant> grants, FrameworkId fw) => grants.Where(g => g.Framework == fw).Sum(g => g.Resources.Scalar("cpus"));

    [Fact]
    public void A_declared_shape_gets_a_slice_and_the_rest_of_the_agent_goes_to_another_framework_in_the_same_cycle()
    {
        var c = new Cluster();
        var small = new FrameworkId("small");
        c.Allocator.AddFramework(small, Info("small", "a", new TaskShape(Cluster.R("cpus:1;mem:128"), 2)), NoUse, active: true);
        var whole = c.Framework("whole", "b");
        c.Agent("s1", "cpus:8;mem:4096");

        var grants = c.Allocate();
        var slice = Assert.Single(grants, g => g.Framework == small);
        Assert.Equal((2.0, 256.0), (slice.Resources.Scalar("cpus"), slice.Resources.Scalar("mem")));
        Assert.Equal(6.0, Cpus(grants, whole));
    }

    [Fact]
    public void UpdateFramework_changes_and_clears_the_shapes()
    {
        var c = new Cluster();
        var fw = new FrameworkId("f");
        c.Allocator.AddFramework(fw, Info("f", "*", new TaskShape(Cluster.R("cpus:1;mem:128"))), NoUse, active: true);
        c.Agent("s1", "cpus:8;mem:4096");
        var g = Assert.Single(c.Allocate());
        Assert.Equal(1.0, g.Resources.Scalar("cpus"));
        c.Return(g);

        c.Allocator.UpdateFramework(fw, Info("f", "*", new TaskShape(Cluster.R("cpus:3;mem:512"))));
        g = Assert.Single(c.Allocate());
        Assert.Equal((3.0, 512.0), (g.Resources.Scalar("cpus"), g.Resources.Scalar("mem")));
        c.Return(g);

        c.Allocator.UpdateFramework(fw, Info("f", "*"));
        Assert.Equal(8.0, Assert.Single(c.Allocate()).Resources.Scalar("cpus"));
    }

    [Fact]
    public void With_shape_aware_offers_off_declared_shapes_are_ignored()
    {
        var c = new Cluster(new AllocatorOptions { ShapeAwareOffers = false });
        var fw = new FrameworkId("f");
        c.Allocator.AddFramework(fw, Info("f", "*", new TaskShape(Cluster.R("cpus:1;mem:128"))), NoUse, active: true);
        c.Agent("s1", "cpus:8;mem:4096");
        Assert.Equal(8.0, Assert.Single(c.Allocate()).Resources.Scalar("cpus"));
    }
}
