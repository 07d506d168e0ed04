using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

public class AllocatorBasicsTests
{
    [Fact]
    public void A_single_framework_is_offered_the_whole_agent()
    {
        var c = new Cluster();
        var f = c.Framework("f1");
        var a = c.Agent("a1", "cpus:4;mem:1024;ports:[31000-32000]");
        var g = Assert.Single(c.Allocate());
        Assert.Equal(f, g.Framework);
        Assert.Equal(a, g.Agent);
        Assert.Equal(Cluster.R("cpus:4;mem:1024;ports:[31000-32000]"), g.Resources);
    }

    [Fact]
    public void Offered_resources_are_not_offered_again_until_recovered()
    {
        var c = new Cluster();
        c.Framework("f1");
        c.Agent("a1", "cpus:4;mem:1024");
        var g = Assert.Single(c.Allocate());
        Assert.Empty(c.Allocate());
        c.Return(g);
        Assert.Single(c.Allocate());
    }

    [Fact]
    public void Declined_resources_are_filtered_until_refuse_seconds_pass()
    {
        var c = new Cluster();
        c.Framework("f1");
        c.Agent("a1", "cpus:4;mem:1024");
        c.Decline(Assert.Single(c.Allocate()), refuseSeconds: 10);
        for (var i = 0; i < 9; i++) Assert.Empty(c.Allocate());
        c.Now += TimeSpan.FromSeconds(1);
        Assert.Single(c.Allocate());
    }

    [Fact]
    public void Revive_clears_filters()
    {
        var c = new Cluster();
        var f = c.Framework("f1");
        c.Agent("a1", "cpus:4;mem:1024");
        c.Decline(Assert.Single(c.Allocate()), refuseSeconds: 1000);
        Assert.Empty(c.Allocate());
        c.Allocator.ReviveOffers(f, null);
        Assert.Single(c.Allocate());
    }

    [Fact]
    public void Suppressed_frameworks_get_nothing_until_revived()
    {
        var c = new Cluster();
        var f = c.Framework("f1");
        c.Agent("a1", "cpus:4;mem:1024");
        c.Allocator.SuppressOffers(f, null);
        Assert.Empty(c.Allocate());
        c.Allocator.ReviveOffers(f, null);
        Assert.Single(c.Allocate());
    }

    [Fact]
    public void Deactivated_frameworks_and_unavailable_agents_get_nothing()
    {
        var c = new Cluster();
        var f = c.Framework("f1");
        var a = c.Agent("a1", "cpus:4;mem:1024");
        c.Allocator.DeactivateFramework(f);
        Assert.Empty(c.Allocate());
        c.Allocator.ActivateFramework(f);
        c.Allocator.SetAgentAvailable(a, false);
        Assert.Empty(c.Allocate());
        c.Allocator.SetAgentAvailable(a, true);
        Assert.Single(c.Allocate());
    }

    [Fact]
    public void Reserved_resources_go_only_to_the_role_and_its_descendants()
    {
        var c = new Cluster();
        c.Framework("other", "web");
        var ads = c.Framework("ads", "ads/search");
        c.Agent("a1", "cpus(ads):8;mem(ads):1024");
        var g = Assert.Single(c.Allocate());
        Assert.Equal(ads, g.Framework);
        Assert.Equal("ads/search", g.Role);
    }

    [Fact]
    public void Revocable_resources_go_only_to_frameworks_that_accept_them()
    {
        var c = new Cluster();
        var plain = c.Framework("plain");
        c.Agent("a1", "cpus:1;mem:64");
        c.Allocator.UpdateAgentTotal(new AgentId("a1"), Res.From(Cluster.R("cpus:1;mem:64").Concat(new[] { Resources.Resource.OfScalar("cpus", 4) with { Revocable = true } })));
        var g = Assert.Single(c.Allocate());
        Assert.Equal(plain, g.Framework);
        Assert.DoesNotContain(g.Resources, r => r.Revocable);
        var rev = c.Framework("rev", new[] { "*" }, new[] { FrameworkCapabilities.RevocableResources });
        var g2 = Assert.Single(c.Allocate());
        Assert.Equal(rev, g2.Framework);
        Assert.All(g2.Resources, r => Assert.True(r.Revocable));
    }

    [Fact]
    public void Gaining_or_dropping_REVOCABLE_RESOURCES_by_UpdateFramework_changes_what_is_offered()
    {
        var c = new Cluster();
        var f = c.Framework("f");
        var total = Res.From(Cluster.R("cpus:1;mem:64").Concat(new[] { Resources.Resource.OfScalar("cpus", 4) with { Revocable = true } }));
        var agent = new AgentId("a1");
        c.Allocator.AddAgent(agent, new AgentInfo { Hostname = "a1", Resources = total }, total, new Dictionary<FrameworkId, Res>());
        var g = Assert.Single(c.Allocate());
        Assert.DoesNotContain(g.Resources, r => r.Revocable);
        c.Return(g);

        var info = new FrameworkInfo { Name = "f", Roles = new[] { "*" }, Capabilities = new[] { FrameworkCapabilities.RevocableResources } };
        c.Allocator.UpdateFramework(f, info);
        g = Assert.Single(c.Allocate());
        Assert.Equal(4, g.Resources.Where(r => r.Revocable && r.Name == "cpus").Sum(r => r.Scalar));
        c.Return(g);

        c.Allocator.UpdateFramework(f, info with { Capabilities = Array.Empty<string>() });
        g = Assert.Single(c.Allocate());
        Assert.DoesNotContain(g.Resources, r => r.Revocable);
    }

    [Fact]
    public void Quota_limits_are_never_exceeded()
    {
        var c = new Cluster();
        c.Framework("f1", "capped");
        c.Allocator.UpdateQuota("capped", new Quota(new Dictionary<string, double>(), new Dictionary<string, double> { ["cpus"] = 3 }));
        c.Agent("a1", "cpus:2;mem:1024");
        c.Agent("a2", "cpus:2;mem:1024");
        var total = c.Allocate().Sum(g => g.Resources.Scalar("cpus"));
        Assert.Equal(3, total, 3);
    }

    [Fact]
    public void Drf_paper_example_gives_user_A_three_tasks_and_user_B_two()
    {
        // Ghodsi et al. 2011: 9 CPUs, 18 GB; A's tasks <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>.
        var c = new Cluster();
        var a = c.Framework("A");
        var b = c.Framework("B");
        var agent = c.Agent("agent", "cpus:9;mem:18432");
        var need = new Dictionary<FrameworkId, Res> { [a] = Cluster.R("cpus:1;mem:4096"), [b] = Cluster.R("cpus:3;mem:1024") };
        var tasks = new Dictionary<FrameworkId, int> { [a] = 0, [b] = 0 };
        for (var round = 0; round < 50; round++)
        {
            foreach (var g in c.Allocate())
            {
                var task = need[g.Framework];
                if (g.Resources.Contains(task))
                {
                    tasks[g.Framework]++;
                    c.Return(g with { Resources = g.Resources - task });
                }
                else c.Return(g);
            }
        }
        Assert.Equal(3, tasks[a]);
        Assert.Equal(2, tasks[b]);
    }

    [Fact]
    public void A_cluster_without_frameworks_offers_nothing()
    {
        var c = new Cluster();
        c.Agent("a1", "cpus:4;mem:1024");
        Assert.Empty(c.Allocate());
        Assert.Empty(c.Allocate());
    }

    [Fact]
    public void Removing_a_framework_returns_its_resources_and_drops_its_filters()
    {
        var c = new Cluster();
        var f = c.Framework("f1");
        c.Agent("a1", "cpus:4;mem:1024");
        Assert.Single(c.Allocate());
        c.Allocator.RemoveFramework(f);
        var g = c.Framework("f2");
        Assert.Equal(g, Assert.Single(c.Allocate()).Framework);
    }

    [Fact]
    public void Removing_an_agent_takes_its_resources_out_of_the_cycle()
    {
        var c = new Cluster();
        c.Framework("f1");
        var a = c.Agent("a1", "cpus:4;mem:1024");
        c.Agent("a2", "cpus:4;mem:1024");
        c.Allocator.RemoveAgent(a);
        Assert.Equal("a2", Assert.Single(c.Allocate()).Agent.Value);
    }

    [Fact]
    public void A_framework_that_returns_after_its_agent_is_not_charged_twice_for_its_tasks()
    {
        var c = new Cluster();
        var late = new FrameworkId("late");
        var a = c.Agent("a1", "cpus:4;mem:1024", new Dictionary<FrameworkId, Res> { [late] = Cluster.R("cpus:1;mem:256") });
        c.Allocator.AddFramework(late, new FrameworkInfo { Name = "late" }, new Dictionary<AgentId, Res> { [a] = Cluster.R("cpus:1;mem:256") }, active: true);
        var g = Assert.Single(c.Allocate());
        Assert.Equal(Cluster.R("cpus:3;mem:768"), g.Resources);
    }
}
