using ClusterKernel.Resources;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Core.Tests;

public class ResourcesTests
{
    [Theory]
    [InlineData("cpus:2;mem:1024;ports:[31000-32000];cpus(ads):4")]
    [InlineData("cpus:0.5")]
    [InlineData("ports:[1-5,10-20];disk(eng/web):100")]
    [InlineData("zones:{a,b}")]
    public void Mesos_text_form_round_trips(string text)
    {
        var parsed = Res.Parse(text);
        Assert.Equal(text, parsed.ToString());
        Assert.Equal(parsed, Res.Parse(parsed.ToString()));
    }

    [Fact]
    public void Same_kinds_are_merged_and_reservations_kept_apart()
    {
        var r = Res.Parse("cpus:2;cpus:1.5;cpus(ads):4;ports:[1-3];ports:[4-6]");
        Assert.Equal(3.5, r.Unreserved().Scalar("cpus"));
        Assert.Equal(7.5, r.Scalar("cpus"));
        Assert.Equal(new[] { new ValueRange(1, 6) }, r.Ranges("ports"));
    }

    [Theory]
    [InlineData("cpus", "NAME:VALUE")]
    [InlineData("cpus:-1", "non-negative number")]
    [InlineData("cpus:abc", "non-negative number")]
    [InlineData("ports:[5-1]", "BEGIN <= END")]
    [InlineData("ports:[1-5", "closed with ']'")]
    [InlineData("cpus(ads:2", "unclosed role")]
    [InlineData("cpus(/bad):2", "not a valid role")]
    [InlineData("", "empty resource string")]
    public void Malformed_text_gives_a_FormatException_that_says_what_to_fix(string text, string hint)
    {
        var e = Assert.Throws<FormatException>(() => Res.Parse(text));
        Assert.Contains(hint, e.Message);
    }

    [Fact]
    public void A_child_role_may_use_what_is_reserved_for_its_ancestor()
    {
        var r = Res.Parse("cpus:1;cpus(eng):2;cpus(ads):4");
        Assert.Equal(3, r.AllocatableTo("eng/web").Scalar("cpus"));
        Assert.Equal(1, r.AllocatableTo("engineering").Scalar("cpus"));
    }

    // ---- properties over generated resource bags

    private static Gen<Res> Bags =>
        from cpus in Gen.Choose(0, 64)
        from mem in Gen.Choose(0, 8192)
        from reserved in Gen.Choose(0, 8)
        from lo in Gen.Choose(31000, 31500)
        from len in Gen.Choose(0, 400)
        from revocable in Gen.Choose(0, 4)
        select Res.From(new[]
        {
            Resource.OfScalar("cpus", cpus / 4.0),
            Resource.OfScalar("mem", mem),
            Resource.OfScalar("cpus", reserved, "ads"),
            Resource.OfRanges("ports", new[] { new ValueRange(lo, lo + len) }),
            Resource.OfScalar("cpus", revocable) with { Revocable = true },
        });

    private static Arbitrary<Res> Arb => Bags.ToArbitrary();

    private static bool PortsOverlap(Res a, Res b) =>
        a.Ranges("ports").Any(x => b.Ranges("ports").Any(y => x.Begin <= y.End && y.Begin <= x.End));

    // Ranges are sets: ports both bags hold are removed by the subtraction, so the law holds for disjoint ports.
    [Property]
    public Property Adding_then_subtracting_gives_back_the_original() =>
        Prop.ForAll(Arb, Arb, (a, b) => PortsOverlap(a, b) || (a + b - b).Equals(a));

    [Property]
    public Property A_sum_contains_both_parts() =>
        Prop.ForAll(Arb, Arb, (a, b) => (a + b).Contains(a) && (a + b).Contains(b));

    [Property]
    public Property Addition_is_commutative() =>
        Prop.ForAll(Arb, Arb, (a, b) => (a + b).Equals(b + a));

    [Property]
    public Property What_is_left_after_subtracting_a_contained_part_plus_the_part_is_the_whole() =>
        Prop.ForAll(Arb, Arb, (a, b) => !a.Contains(b) || (a - b + b).Equals(a));

    // The text form has no revocable marker (as Mesos' --resources), so only non-revocable bags round-trip.
    [Property]
    public Property Printing_and_parsing_round_trips() =>
        Prop.ForAll(Arb, bag =>
        {
            var a = bag.NonRevocable();
            return a.IsEmpty || Res.Parse(a.ToString()).Equals(a);
        });
}
