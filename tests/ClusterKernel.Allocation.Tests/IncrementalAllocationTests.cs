using ClusterKernel.Resources;

namespace ClusterKernel.Allocation.Tests;

/// <summary>Cycles over the agents whose resources came back (<see cref="IIncrementalAllocator"/>).</summary>
public class IncrementalAllocationTests
{
    [Fact]
    public void Returned_resources_go_to_another_framework_without_a_full_cycle_but_refused_ones_wait_for_it()
    {
        var c = new Cluster();
        var a = c.Framework("a");
        var b = c.Framework("b");
        var s1 = c.Agent("s1", "cpus:4;mem:1024");
        var first = Assert.Single(c.Allocate());
        Assert.Equal(0, c.Allocator.RecoveredAgents);
        // A refusal (DECLINE, the unused part of an ACCEPT) is no candidate: Mesos offers it at the next cycle.
        c.Decline(first, refuseSeconds: 60);
        Assert.Equal(0, c.Allocator.RecoveredAgents);
        Assert.Empty(c.Allocator.AllocateRecovered(c.Now));
        var second = Assert.Single(c.Allocate());
        Assert.NotEqual(first.Framework, second.Framework);
        // Given back without a filter (a task ended, the offer was rescinded): offered again over that agent alone, here to the
        // framework whose filter still refuses nothing, i.e. the one that just gave it back (the other one declined for 60 s).
        c.Return(second);
        Assert.Equal(1, c.Allocator.RecoveredAgents);
        var again = Assert.Single(c.Allocator.AllocateRecovered(c.Now));
        Assert.Equal(s1, again.Agent);
        Assert.Equal(second.Framework, again.Framework);
        Assert.Contains(again.Framework, new[] { a, b });
        Assert.Equal(Cluster.R("cpus:4;mem:1024"), again.Resources);
        Assert.Equal(0, c.Allocator.RecoveredAgents);
        Assert.Empty(c.Allocator.AllocateRecovered(c.Now));
    }

    [Fact]
    public void Only_agents_that_got_resources_back_are_visited()
    {
        var c = new Cluster();
        var a = c.Framework("a");
        c.Agent("s1", "cpus:4;mem:1024");
        c.Agent("s2", "cpus:4;mem:1024");
        var grants = c.Allocate();
        Assert.Equal(2, grants.Count);
        // Half of s1 comes back without a filter; s2 stays held. A third agent added meanwhile is not a candidate (AddAgent
        // triggers a full cycle in the master).
        var s1 = grants.Single(g => g.Agent.Value == "s1");
        c.Allocator.RecoverResources(a, s1.Agent, Cluster.R("cpus:2;mem:512"), null, c.Now);
        c.Agent("s3", "cpus:4;mem:1024");
        var again = Assert.Single(c.Allocator.AllocateRecovered(c.Now));
        Assert.Equal("s1", again.Agent.Value);
        Assert.Equal(Cluster.R("cpus:2;mem:512"), again.Resources);
        Assert.Equal("s3", Assert.Single(c.Allocate()).Agent.Value);
    }

    [Fact]
    public void A_full_cycle_or_the_agents_removal_clears_the_candidates()
    {
        var c = new Cluster();
        var a = c.Framework("a");
        var s1 = c.Agent("s1", "cpus:4;mem:1024");
        var s2 = c.Agent("s2", "cpus:4;mem:1024");
        var grants = c.Allocate();
        foreach (var g in grants) c.Return(g);
        Assert.Equal(2, c.Allocator.RecoveredAgents);
        Assert.Equal(2, c.Allocate().Count);
        Assert.Equal(0, c.Allocator.RecoveredAgents);
        Assert.Empty(c.Allocator.AllocateRecovered(c.Now));
        c.Allocator.RecoverResources(a, s1, Cluster.R("cpus:4;mem:1024"), null, c.Now);
        c.Allocator.RemoveAgent(s1);
        Assert.Equal(0, c.Allocator.RecoveredAgents);
        Assert.Empty(c.Allocator.AllocateRecovered(c.Now));
        _ = s2;
    }
}
