using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Core.Tests;

public class ResourceOperationsTests
{
    private static ReservationInfo Dyn(string role, string? principal = "ops") => new(ReservationInfo.Dynamic, role, principal);

    private static Resource Reserved(string name, double value, params ReservationInfo[] stack) =>
        Resource.OfScalar(name, value) with { Role = stack[^1].Role, Reservations = stack };

    [Fact]
    public void Reserve_turns_unreserved_into_dynamically_reserved_and_unreserve_turns_it_back()
    {
        var total = Res.Parse("cpus:8;mem:1024");
        var reserved = Res.Of(Reserved("cpus", 2, Dyn("eng")));
        Assert.Null(ResourceOperations.ValidateReserve(reserved, "ops", new[] { "eng" }, refinementAllowed: false));

        var after = ResourceOperations.Reserve(reserved).ApplyTo(total)!;
        Assert.Equal(6, after.Unreserved().Scalar("cpus"));
        Assert.Equal(2, after.Reserved("eng").Scalar("cpus"));
        Assert.Equal(reserved, ResourceOperations.Checkpointed(after));

        Assert.Null(ResourceOperations.ValidateUnreserve(reserved));
        Assert.Equal(total, ResourceOperations.Unreserve(reserved).ApplyTo(after));
    }

    [Fact]
    public void Refinement_pushes_a_level_on_a_static_reservation_and_pops_back_to_it()
    {
        var total = Res.Parse("cpus(eng):4");
        var refined = Res.Of(Reserved("cpus", 1, ReservationInfo.Static("eng"), Dyn("eng/web")));
        Assert.Null(ResourceOperations.ValidateReserve(refined, null, new[] { "eng/web" }, refinementAllowed: true));
        Assert.Contains("RESERVATION_REFINEMENT", ResourceOperations.ValidateReserve(refined, null, new[] { "eng/web" }, refinementAllowed: false));

        var after = ResourceOperations.Reserve(refined).ApplyTo(total)!;
        Assert.Equal(3, after.Reserved("eng").Scalar("cpus"));
        Assert.Equal(1, after.Reserved("eng/web").Scalar("cpus"));
        Assert.Equal(total, ResourceOperations.Unreserve(refined).ApplyTo(after));
        // The registry's checkpoint rebuilds the same total from what the agent declares.
        Assert.Equal(after, ResourceOperations.ApplyCheckpointed(total, ResourceOperations.Checkpointed(after)));
    }

    [Theory]
    [InlineData("*", "cannot be reserved")]
    [InlineData("other", "not one of the framework's roles")]
    public void Reserve_is_refused_for_star_and_for_roles_the_framework_does_not_have(string role, string hint)
    {
        var r = Res.Of(Resource.OfScalar("cpus", 1) with { Role = role, Reservations = new[] { Dyn(role) } });
        Assert.Contains(hint, ResourceOperations.ValidateReserve(r, "ops", new[] { "eng" }, refinementAllowed: true));
    }

    [Fact]
    public void Reserve_is_refused_without_a_dynamic_level_a_matching_principal_or_a_real_refinement()
    {
        Assert.Contains("DYNAMIC", ResourceOperations.ValidateReserve(Res.Parse("cpus(eng):1"), null, null, true));
        Assert.Contains("principal", ResourceOperations.ValidateReserve(Res.Of(Reserved("cpus", 1, Dyn("eng", "mallory"))), "ops", null, true));
        Assert.Contains("does not refine", ResourceOperations.ValidateReserve(Res.Of(Reserved("cpus", 1, Dyn("eng"), Dyn("ads"))), null, null, true));
        Assert.Contains("not dynamically reserved", ResourceOperations.ValidateUnreserve(Res.Parse("cpus(eng):1")));
    }

    [Fact]
    public void More_than_is_there_cannot_be_converted()
    {
        var c = ResourceOperations.Reserve(Res.Of(Reserved("cpus", 9, Dyn("eng"))));
        Assert.Null(c.ApplyTo(Res.Parse("cpus:8")));
    }

    [Fact]
    public void Create_and_destroy_a_persistent_volume_on_reserved_disk()
    {
        var disk = Reserved("disk", 64, Dyn("eng"));
        var total = Res.Of(disk, Resource.OfScalar("disk", 100));
        var volume = Res.Of(disk with { Scalar = 32, Disk = new DiskInfo("data-1", "ops", "data") });
        Assert.Null(ResourceOperations.ValidateCreate(volume, total, "ops"));

        var after = ResourceOperations.Create(volume).ApplyTo(total)!;
        Assert.Equal(164, after.Scalar("disk"));
        Assert.Single(after.Where(r => r.IsPersistentVolume));
        Assert.Contains("already in use", ResourceOperations.ValidateCreate(volume, after, "ops"));
        Assert.Contains("[data-1:data]", after.ToString());
        Assert.Equal(after, ResourceOperations.ApplyCheckpointed(Res.Parse("disk:164"), ResourceOperations.Checkpointed(after)));

        Assert.Null(ResourceOperations.ValidateDestroy(volume));
        Assert.Equal(total, ResourceOperations.Destroy(volume).ApplyTo(after));
        Assert.Contains("persistent volume", ResourceOperations.ValidateUnreserve(volume));
    }

    [Theory]
    [InlineData("cpus", "data", "not disk")]
    [InlineData("disk", "/abs", "must be relative")]
    [InlineData("disk", "../up", "must be relative")]
    [InlineData("disk", "", "container_path")]
    public void Create_is_refused_for_bad_volumes(string name, string path, string hint)
    {
        var v = Res.Of(Reserved(name, 1, Dyn("eng")) with { Disk = new DiskInfo("v", null, path) });
        Assert.Contains(hint, ResourceOperations.ValidateCreate(v, Res.Empty, null));
        Assert.Contains("not reserved", ResourceOperations.ValidateCreate(Res.Of(Resource.OfScalar("disk", 1) with { Disk = new DiskInfo("v", null, "d") }), Res.Empty, null));
    }

    [Fact]
    public void Reservations_with_different_principals_or_labels_are_kept_apart()
    {
        var a = Reserved("cpus", 1, Dyn("eng", "a"));
        var b = Reserved("cpus", 1, Dyn("eng", "b"));
        var c = Reserved("cpus", 1, new ReservationInfo(ReservationInfo.Dynamic, "eng", "a", new Dictionary<string, string> { ["k"] = "v" }));
        Assert.Equal(3, Res.Of(a, b, c).Count);
        Assert.Single(Res.Of(a, a with { Reservations = new[] { Dyn("eng", "a") } }));
        // A lone static level written out equals the short form.
        Assert.Single(Res.Of(Resource.OfScalar("cpus", 1, "eng"), Reserved("cpus", 1, ReservationInfo.Static("eng"))));
    }
}
