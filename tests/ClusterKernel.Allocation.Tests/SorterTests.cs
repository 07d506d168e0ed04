using ClusterKernel.Allocation.Sorting;

namespace ClusterKernel.Allocation.Tests;

public class SorterTests
{
    private static (DrfSorter Sorter, SorterContext Ctx) Drf(bool hierarchical)
    {
        var ctx = new SorterContext(4) { Count = 2 };
        ctx.AddToTotals(new double[] { 100, 100 }, +1);
        return (new DrfSorter(ctx, hierarchical), ctx);
    }

    private static string[] Order(ISorter s)
    {
        var order = s.Sort();
        var names = new string[order.Length];
        for (var i = 0; i < order.Length; i++) names[i] = s.Name(order[i]);
        return names;
    }

    [Fact]
    public void Hierarchical_roles_compete_by_the_share_of_their_whole_subtree()
    {
        var (s, _) = Drf(hierarchical: true);
        var a = s.Add("eng/a");
        var b = s.Add("eng/b");
        var ops = s.Add("ops");
        foreach (var h in new[] { a, b, ops }) s.Activate(h);
        s.Allocated(a, new double[] { 50, 0 });
        s.Allocated(ops, new double[] { 10, 0 });
        // eng (0.5) is behind ops (0.1) as a whole, so eng/b waits for ops although eng/b holds nothing.
        Assert.Equal(new[] { "ops", "eng/b", "eng/a" }, Order(s));
    }

    [Fact]
    public void A_role_that_gains_a_child_keeps_its_allocation_and_place()
    {
        var (s, _) = Drf(hierarchical: true);
        var eng = s.Add("eng");
        var ops = s.Add("ops");
        s.Activate(eng);
        s.Activate(ops);
        s.Allocated(eng, new double[] { 30, 0 });
        s.Allocated(ops, new double[] { 20, 0 });
        var web = s.Add("eng/web");
        s.Activate(web);
        Assert.Equal(new[] { "ops", "eng/web", "eng" }, Order(s));
        Assert.Equal(0.3, s.Share(eng), 6);
    }

    [Fact]
    public void Weights_divide_shares_and_inactive_clients_are_not_returned()
    {
        var (s, _) = Drf(hierarchical: false);
        var x = s.Add("x");
        var y = s.Add("y");
        var z = s.Add("z");
        s.Activate(x);
        s.Activate(y);
        s.Allocated(x, new double[] { 40, 0 });
        s.Allocated(y, new double[] { 30, 0 });
        s.UpdateWeight("x", 2);
        Assert.Equal(new[] { "x", "y" }, Order(s)); // 0.4/2 = 0.2 < 0.3
        Assert.Equal(0.2, s.Share(x), 6);
        s.Deactivate(x);
        s.Activate(z);
        Assert.Equal(new[] { "z", "y" }, Order(s));
    }

    [Fact]
    public void Ties_go_to_fewer_allocations_then_to_the_name()
    {
        var (s, _) = Drf(hierarchical: false);
        var b = s.Add("b");
        var a = s.Add("a");
        s.Activate(a);
        s.Activate(b);
        Assert.Equal(new[] { "a", "b" }, Order(s));
        s.Allocated(a, new double[] { 0, 0 });
        Assert.Equal(new[] { "b", "a" }, Order(s));
    }
}
