using ClusterKernel.Allocation.Preemption;

namespace ClusterKernel.Allocation.Tests;

public class PreemptionTests
{
    [Fact]
    public void Lower_priority_allocations_are_revoked_for_an_unmet_higher_priority_guarantee()
    {
        var c = new Cluster();
        var batch = c.Framework("batch", "batch");
        var prod = c.Framework("prod", "prod");
        for (var i = 0; i < 4; i++) c.Agent($"a{i}", "cpus:2;mem:1000");
        c.Allocator.SuppressOffers(prod, null);
        Assert.Equal(4, c.Allocate().Count(g => g.Framework == batch));
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 3 }, new Dictionary<string, double>()));
        c.Allocator.UpdatePriority("prod", 10);
        c.Allocator.ReviveOffers(prod, null); // prod now wants offers, and every cpu is held by batch
        var decisions = c.Allocator.ComputePreemptions();
        Assert.Equal(2, decisions.Count); // two agents' worth (2 cpus each) cover the 3 cpus
        Assert.All(decisions, d => Assert.Equal(batch, d.Framework));
    }

    [Fact]
    public void A_guarantee_no_framework_asks_for_preempts_nothing()
    {
        var c = new Cluster();
        c.Framework("batch", "batch");
        var prod = c.Framework("prod", "prod");
        c.Agent("a", "cpus:2;mem:1000");
        c.Allocator.SuppressOffers(prod, null);
        c.Allocate();
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 1 }, new Dictionary<string, double>()));
        c.Allocator.UpdatePriority("prod", 10);
        Assert.Empty(c.Allocator.ComputePreemptions()); // prod is suppressed
        c.Allocator.ReviveOffers(prod, null);
        Assert.Single(c.Allocator.ComputePreemptions());
    }

    [Fact]
    public void Preempted_resources_recovered_go_to_the_higher_priority_role()
    {
        var c = new Cluster();
        var batch = c.Framework("batch", "batch");
        var prod = c.Framework("prod", "prod");
        c.Agent("a", "cpus:2;mem:1000");
        c.Allocator.SuppressOffers(prod, null);
        Assert.Equal(batch, c.Allocate().Single().Framework);
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 2 }, new Dictionary<string, double>()));
        c.Allocator.UpdatePriority("prod", 10);
        c.Allocator.ReviveOffers(prod, null);
        var d = c.Allocator.ComputePreemptions().Single();
        c.Allocator.RecoverResources(d.Framework, d.Agent, d.Role, d.Resources, null, DateTimeOffset.UnixEpoch);
        Assert.Equal(prod, c.Allocate().Single(g => g.Resources.Scalar("cpus") > 0).Framework);
        Assert.Empty(c.Allocator.ComputePreemptions());
    }

    [Fact]
    public void Equal_or_higher_priority_roles_are_never_preempted()
    {
        var c = new Cluster();
        c.Framework("batch", "batch");
        var prod = c.Framework("prod", "prod");
        c.Agent("a", "cpus:2;mem:1000");
        c.Allocator.SuppressOffers(prod, null);
        c.Allocate();
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 1 }, new Dictionary<string, double>()));
        Assert.Empty(c.Allocator.ComputePreemptions());
    }

    [Fact]
    public void Only_the_non_revocable_part_of_an_allocation_is_a_candidate()
    {
        // Guarantees are counted in unreserved non-revocable resources, so revoking revocable ones could never meet one:
        // they are left alone (docs/architecture.md, "Offer timeout and preemption").
        var c = new Cluster();
        var batch = c.Framework("batch", new[] { "batch" }, new[] { FrameworkCapabilities.RevocableResources });
        var prod = c.Framework("prod", "prod");
        c.Agent("a", "cpus:2;mem:1000");
        c.Allocator.UpdateAgentTotal(new AgentId("a"), ClusterKernel.Resources.Resources.From(Cluster.R("cpus:2;mem:1000")
            .Concat(new[] { ClusterKernel.Resources.Resource.OfScalar("cpus", 4) with { Revocable = true } })));
        c.Allocator.SuppressOffers(prod, null);
        Assert.Contains(c.Allocate().SelectMany(g => g.Resources), r => r.Revocable);
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 2 }, new Dictionary<string, double>()));
        c.Allocator.UpdatePriority("prod", 10);
        c.Allocator.ReviveOffers(prod, null);
        var d = Assert.Single(c.Allocator.ComputePreemptions());
        Assert.Equal(batch, d.Framework);
        Assert.DoesNotContain(d.Resources, r => r.Revocable);
        Assert.Equal(2.0, d.Resources.Scalar("cpus"));
    }

    [Fact]
    public void The_policy_is_replaceable()
    {
        var c = new Cluster();
        c.Framework("batch", "batch");
        c.Allocator.UpdateQuota("prod", new Quota(new Dictionary<string, double> { ["cpus"] = 1 }, new Dictionary<string, double>()));
        c.Allocator.PreemptionPolicy = new NeverPreempt();
        Assert.Empty(c.Allocator.ComputePreemptions());
    }

    private sealed class NeverPreempt : IPreemptionPolicy
    {
        public IReadOnlyList<PreemptionDecision> Decide(IReadOnlyList<PreemptionNeed> needs, IReadOnlyList<PreemptionCandidate> candidates) => Array.Empty<PreemptionDecision>();
    }
}
