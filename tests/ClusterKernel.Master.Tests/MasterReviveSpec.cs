using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>REVIVE, as in Mesos: clears the framework's decline filters and makes offers at once, not at the next allocation
/// interval (an hour here, so only the cycle the REVIVE triggers can make the second offer).</summary>
public sealed class MasterReviveSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public MasterReviveSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) { }

    [Fact]
    public void Revive_after_a_long_decline_gets_the_offer_again_before_the_next_interval()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { AllocationInterval = TimeSpan.FromHours(1), AgentPingTimeout = TimeSpan.FromMinutes(5) });
        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "a", Roles = new[] { "*" } }, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        var agent = CreateTestProbe();
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        agent.ExpectMsg<AgentRegistered>(Wait);
        // The agent's arrival triggers a cycle; the framework declines it for an hour.
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        master.Tell(new DeclineOffers(fwId, new[] { offer.Id }, new Filters { RefuseSeconds = 3600 }), fw.Ref);

        // New demand: a burst of REVIVEs (coalesced by the allocator) brings the agent back now.
        for (var i = 0; i < 5; i++) master.Tell(new ReviveOffers(fwId, null), fw.Ref);
        var again = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.NotEqual(offer.Id, again.Id);
        Assert.Equal(2, again.Resources.Scalar("cpus"));
    }
}
