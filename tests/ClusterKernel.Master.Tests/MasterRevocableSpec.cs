using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>An agent's oversubscribed (revocable) resources reach the allocator and are offered only to REVOCABLE_RESOURCES frameworks.</summary>
public sealed class MasterRevocableSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private (Akka.TestKit.TestProbe Probe, FrameworkId Id) Subscribe(IActorRef master, string name, params string[] capabilities)
    {
        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = name, Capabilities = capabilities }, fw.Ref), fw.Ref);
        return (fw, fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId);
    }

    [Fact]
    public void Revocable_resources_of_an_agent_go_only_to_a_framework_with_REVOCABLE_RESOURCES()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) }) /* the probe agent sends no heartbeats */;
        var (plain, _) = Subscribe(master, "plain");
        var agent = CreateTestProbe();
        var revocable = ResourceBag.From(ResourceBag.Parse("cpus:4;mem:512").Select(r => r with { Revocable = true }));
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:256") + revocable }, agent.Ref), agent.Ref);
        agent.ExpectMsg<AgentRegistered>(Wait);

        // The plain framework holds everything it may have: the non-revocable part only.
        var first = plain.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.DoesNotContain(first.Resources, r => r.Revocable);
        Assert.Equal(2, first.Resources.Scalar("cpus"));

        // What is left is revocable: it goes to the framework that accepts revocable resources, marked as such.
        var (rev, _) = Subscribe(master, "rev", FrameworkCapabilities.RevocableResources);
        var second = rev.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.All(second.Resources, r => Assert.True(r.Revocable));
        Assert.Equal(4, second.Resources.Scalar("cpus"));
        Assert.Equal(512, second.Resources.Scalar("mem"));
    }
}
