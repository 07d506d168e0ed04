using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

public class AllocatorOperationsTests
{
    private static Res DynReserved(string text, string role) =>
        Res.From(Res.Parse(text).Select(r => r with { Role = role, Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, role, "ops") } }));

    [Fact]
    public void A_reserve_in_an_accept_converts_the_allocation_and_the_reservation_then_goes_only_to_its_role()
    {
        var c = new Cluster();
        var eng = c.Framework("eng", "eng");
        _ = c.Agent("a1", "cpus:4;mem:1024");
        var g = Assert.Single(c.Allocate());
        var reserved = DynReserved("cpus:2;mem:512", "eng");
        c.Allocator.UpdateAllocation(eng, g.Agent, "eng", ResourceOperations.Reserve(reserved));
        // Nothing was launched: the whole (converted) offer comes back.
        c.Allocator.RecoverResources(eng, g.Agent, "eng", ResourceOperations.Reserve(reserved).ApplyTo(g.Resources)!, null, c.Now);

        var ads = c.Framework("ads", "ads");
        c.Allocator.SuppressOffers(eng, null);
        var forAds = Assert.Single(c.Allocate());
        Assert.Equal(ads, forAds.Framework);
        Assert.Equal(Cluster.R("cpus:2;mem:512"), forAds.Resources); // never what is reserved for eng

        c.Allocator.ReviveOffers(eng, null);
        var forEng = Assert.Single(c.Allocate());
        Assert.Equal(eng, forEng.Framework);
        Assert.Equal(reserved, forEng.Resources); // the reservation comes back whole, principal and all
    }

    [Fact]
    public void An_operator_reserve_needs_the_resources_free()
    {
        var c = new Cluster();
        var a = c.Agent("a1", "cpus:4;mem:1024");
        var reserve = ResourceOperations.Reserve(DynReserved("cpus:1", "eng"));
        Assert.False(c.Allocator.UpdateAvailable(a, ResourceOperations.Reserve(DynReserved("cpus:5", "eng"))));
        Assert.True(c.Allocator.UpdateAvailable(a, reserve));

        var f = c.Framework("f", "*");
        var g = Assert.Single(c.Allocate());
        Assert.Equal(Cluster.R("cpus:3;mem:1024"), g.Resources);
        // All of it is offered now: nothing left to reserve.
        Assert.False(c.Allocator.UpdateAvailable(a, ResourceOperations.Reserve(DynReserved("cpus:1", "eng"))));
        c.Return(g);
        Assert.True(c.Allocator.UpdateAvailable(a, ResourceOperations.Unreserve(DynReserved("cpus:1", "eng"))));
        c.Allocator.SuppressOffers(f, null);
        c.Allocator.ReviveOffers(f, null);
        Assert.Equal(Cluster.R("cpus:4;mem:1024"), Assert.Single(c.Allocate()).Resources);
    }

    [Fact]
    public void A_persistent_volume_is_offered_back_as_the_same_volume()
    {
        var c = new Cluster();
        var eng = c.Framework("eng", "eng");
        var a = c.Agent("a1", "cpus:1;mem:64;disk:100");
        var disk = DynReserved("disk:40", "eng");
        Assert.True(c.Allocator.UpdateAvailable(a, ResourceOperations.Reserve(disk)));
        var volume = Res.From(disk.Select(r => r with { Disk = new DiskInfo("v1", "ops", "data") }));
        Assert.True(c.Allocator.UpdateAvailable(a, ResourceOperations.Create(volume)));
        var g = Assert.Single(c.Allocate());
        Assert.Contains(g.Resources, r => r.IsPersistentVolume && r.Disk!.PersistenceId == "v1" && r.Scalar == 40);
        Assert.Equal(100, g.Resources.Scalar("disk"));
    }
}
