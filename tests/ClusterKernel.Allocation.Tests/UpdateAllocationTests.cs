using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

/// <summary>The allocator side of RESERVE/UNRESERVE (the master side belongs to the reservations work): an allocation converted in place.</summary>
public class UpdateAllocationTests
{
    private static double Cpus(OfferGrant g, string role) => g.Resources.Where(r => r.Name == "cpus" && r.Role == role).Sum(r => r.Scalar);

    [Fact]
    public void A_reserve_keeps_the_converted_resources_with_the_framework_and_only_its_role_is_offered_them_later()
    {
        var c = new Cluster();
        var ads = c.Framework("ads", "ads");
        var a1 = c.Agent("a1", "cpus:4;mem:1024");
        Assert.Single(c.Allocate());
        c.Allocator.UpdateAllocation(ads, a1, "ads", Cluster.R("cpus:2"), Cluster.R("cpus(ads):2"), c.Now);

        // Everything it now holds comes back: 2 unreserved cpus, 2 reserved for ads, the mem.
        c.Allocator.RecoverResources(ads, a1, "ads", Cluster.R("cpus:2;cpus(ads):2;mem:1024"), null, c.Now);
        c.Allocator.SuppressOffers(ads, null);
        var eng = c.Framework("eng", "eng");
        var toEng = Assert.Single(c.Allocate());
        Assert.Equal(eng, toEng.Framework);
        Assert.Equal(2, Cpus(toEng, "*"));
        Assert.Equal(0, Cpus(toEng, "ads"));

        c.Allocator.ReviveOffers(ads, null);
        var toAds = Assert.Single(c.Allocate());
        Assert.Equal(ads, toAds.Framework);
        Assert.Equal(2, Cpus(toAds, "ads"));
    }

    [Fact]
    public void An_unreserve_gives_the_resources_back_to_everyone()
    {
        var c = new Cluster();
        var ads = c.Framework("ads", "ads");
        var a1 = c.Agent("a1", "cpus(ads):2;cpus:2;mem:1024");
        Assert.Equal(2, Cpus(Assert.Single(c.Allocate()), "ads"));
        c.Allocator.UpdateAllocation(ads, a1, "ads", Cluster.R("cpus(ads):2"), Cluster.R("cpus:2"), c.Now);
        c.Allocator.RecoverResources(ads, a1, "ads", Cluster.R("cpus:4;mem:1024"), null, c.Now);
        c.Allocator.SuppressOffers(ads, null);
        c.Framework("eng", "eng");
        Assert.Equal(4, Cpus(Assert.Single(c.Allocate()), "*"));
    }

    [Fact]
    public void A_reservation_counts_toward_its_roles_quota_limit()
    {
        var c = new Cluster();
        var ads = c.Framework("ads", "ads");
        var a1 = c.Agent("a1", "cpus:4;mem:1024");
        c.Allocate();
        c.Allocator.UpdateAllocation(ads, a1, "ads", Cluster.R("cpus:2"), Cluster.R("cpus(ads):2"), c.Now);
        c.Allocator.RecoverResources(ads, a1, "ads", Cluster.R("cpus:2;cpus(ads):2;mem:1024"), null, c.Now);
        c.Allocator.UpdateQuota("ads", new Quota(new Dictionary<string, double>(), new Dictionary<string, double> { ["cpus"] = 2 }));
        // Its reservation already uses its cpu limit: it gets the reserved cpus (and mem), no unreserved cpus.
        var g = Assert.Single(c.Allocate());
        Assert.Equal(2, Cpus(g, "ads"));
        Assert.Equal(0, Cpus(g, "*"));
    }
}
