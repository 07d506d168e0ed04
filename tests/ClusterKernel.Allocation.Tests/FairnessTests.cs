using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

public class FairnessTests
{
    /// <summary>Frameworks that launch one task per offer and hand the rest back, until a cycle places nothing.</summary>
    private static Dictionary<FrameworkId, int> Fill(Cluster c, Dictionary<FrameworkId, Res> task, int cycles = 200)
    {
        var count = task.Keys.ToDictionary(k => k, _ => 0);
        for (var i = 0; i < cycles; i++)
        {
            foreach (var g in c.Allocate())
            {
                if (g.Resources.Contains(task[g.Framework]))
                {
                    count[g.Framework]++;
                    c.Allocator.RecoverResources(g.Framework, g.Agent, g.Resources - task[g.Framework], null, c.Now);
                }
                else c.Decline(g, refuseSeconds: 1000);
            }
        }
        return count;
    }

    [Fact]
    public void Role_weights_scale_what_each_role_gets()
    {
        var c = new Cluster();
        var heavy = c.Framework("heavy", "gold");
        var light = c.Framework("light", "bronze");
        c.Allocator.UpdateWeights(new Dictionary<string, double> { ["gold"] = 2 });
        for (var i = 0; i < 30; i++) c.Agent($"a{i}", "cpus:1;mem:100");
        var held = Fill(c, new() { [heavy] = Cluster.R("cpus:1;mem:100"), [light] = Cluster.R("cpus:1;mem:100") });
        Assert.Equal(20, held[heavy]);
        Assert.Equal(10, held[light]);
    }

    [Fact]
    public void Progressive_filling_converges_to_equal_dominant_shares()
    {
        var c = new Cluster();
        var cpuHeavy = c.Framework("cpu", "r1");
        var memHeavy = c.Framework("mem", "r2");
        var third = c.Framework("third", "r3");
        c.Agent("big", "cpus:60;mem:60000");
        var task = new Dictionary<FrameworkId, Res>
        {
            [cpuHeavy] = Cluster.R("cpus:2;mem:500"),
            [memHeavy] = Cluster.R("cpus:0.5;mem:2000"),
            [third] = Cluster.R("cpus:1;mem:1000"),
        };
        var held = Fill(c, task);
        double Dominant(FrameworkId f) => Math.Max(held[f] * task[f].Scalar("cpus") / 60, held[f] * task[f].Scalar("mem") / 60000);
        var shares = held.Keys.Select(Dominant).ToArray();
        // Every framework ends within one task of the others' dominant share.
        Assert.True(shares.Max() - shares.Min() <= 2.0 / 60 + 1e-9, string.Join(", ", shares));
    }

    [Fact]
    public void Frameworks_inside_a_role_are_served_by_dominant_share()
    {
        var c = new Cluster();
        var rich = c.Framework("rich", "web");
        var poor = c.Framework("poor", "web");
        var a1 = c.Agent("a1", "cpus:4;mem:100");
        c.Allocator.AddAllocation(rich, a1, Cluster.R("cpus:2;mem:10"));
        c.Agent("a2", "cpus:1;mem:10");
        // Whichever agent comes first, the poorer framework is served first on it.
        var first = c.Allocate().First();
        Assert.Equal(poor, first.Framework);
    }

    [Fact]
    public void A_filter_does_not_hold_back_more_than_was_refused()
    {
        var c = new Cluster();
        var f = c.Framework("f");
        var other = c.Framework("other");
        var a = c.Agent("a", "cpus:4;mem:1024");
        c.Allocator.AddAllocation(other, a, Cluster.R("cpus:2;mem:512"));
        c.Allocator.DeactivateFramework(other);
        var g = Assert.Single(c.Allocate());
        Assert.Equal(f, g.Framework);
        c.Decline(g, refuseSeconds: 1000);
        Assert.Empty(c.Allocate());
        // More becomes free than was refused: the filter no longer covers the offer (Mesos' subset rule).
        c.Allocator.RecoverResources(other, a, Cluster.R("cpus:2;mem:512"), null, c.Now);
        var offers = c.Allocate();
        Assert.Contains(offers, x => x.Framework == f && x.Resources.Scalar("cpus") == 4);
    }

    [Fact]
    public void Task_shapes_give_a_slice_and_leave_the_rest_for_others()
    {
        var c = new Cluster();
        var shaped = c.Framework("shaped", "a");
        var other = c.Framework("other", "b");
        c.Allocator.SetTaskShapes(shaped, new[] { Cluster.R("cpus:1;mem:100"), Cluster.R("cpus:1;mem:100") });
        c.Agent("agent", "cpus:8;mem:8000");
        var grants = c.Allocate();
        var mine = Assert.Single(grants, g => g.Framework == shaped);
        Assert.Equal(Cluster.R("cpus:2;mem:200"), mine.Resources);
        var theirs = Assert.Single(grants, g => g.Framework == other);
        Assert.Equal(Cluster.R("cpus:6;mem:7800"), theirs.Resources);
    }

    [Fact]
    public void Quota_guarantees_are_served_first_and_headroom_is_held_for_them()
    {
        var c = new Cluster();
        var greedy = c.Framework("greedy", "batch");
        var guaranteed = c.Framework("guaranteed", "prod");
        c.Allocator.SuppressOffers(guaranteed, null);
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 6 }, new Dictionary<string, double>()));
        for (var i = 0; i < 4; i++) c.Agent($"a{i}", "cpus:2;mem:1000");
        // prod is suppressed, yet 6 of the 8 cpus are held back for its unmet guarantee.
        var greedyCpus = c.Allocate().Where(g => g.Framework == greedy).Sum(g => g.Resources.Scalar("cpus"));
        Assert.Equal(2, greedyCpus, 3);
    }

    [Fact]
    public void The_random_sorter_is_deterministic_for_a_seed()
    {
        static string Run(int seed)
        {
            var c = new Cluster(new AllocatorOptions { RoleSorter = "random", FrameworkSorter = "random", Seed = seed });
            for (var i = 0; i < 5; i++) c.Framework($"f{i}", $"r{i % 3}");
            for (var i = 0; i < 10; i++) c.Agent($"a{i}", "cpus:1;mem:64");
            return string.Join(";", c.Allocate().Select(g => $"{g.Framework}@{g.Agent}"));
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void A_child_role_may_use_its_parents_reservation()
    {
        var c = new Cluster();
        var child = c.Framework("child", "eng/web");
        c.Agent("a", "cpus(eng):3;mem(eng):300");
        var g = Assert.Single(c.Allocate());
        Assert.Equal(child, g.Framework);
        Assert.Equal(3, g.Resources.Scalar("cpus"));
    }
}
