using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>Offer constraints given at SUBSCRIBE reach the allocator: only agents that satisfy them are offered.</summary>
public sealed class MasterOfferConstraintsSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static OfferConstraints Rack(string rack) => new(new Dictionary<string, IReadOnlyList<AttributeConstraintGroup>>
    {
        ["web"] = new[] { new AttributeConstraintGroup(new[] { new AttributeConstraint("rack", null, AttributePredicateKind.TextEquals, rack) }) },
    });

    private AgentId RegisterAgent(IActorRef master, string host, string rack)
    {
        var agent = CreateTestProbe();
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = host, Resources = ResourceBag.Parse("cpus:2;mem:512"), Attributes = new Dictionary<string, string> { ["rack"] = rack } }, agent.Ref), agent.Ref);
        return agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
    }

    [Fact]
    public void An_agent_on_rack_a_is_offered_one_on_rack_b_is_not_and_invalid_constraints_are_refused()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) });
        var onB = RegisterAgent(master, "hb", "b");
        var onA = RegisterAgent(master, "ha", "a");
        var fw = CreateTestProbe();
        var info = new FrameworkInfo { Name = "fw", Roles = new[] { "web" }, OfferConstraints = Rack("a") };
        master.Tell(new SubscribeFramework(info, fw.Ref), fw.Ref);
        var id = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal(onA, offer.AgentId);
        // rack b stays unoffered: a framework without constraints gets it.
        var other = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "other", Roles = new[] { "web" } }, other.Ref), other.Ref);
        other.ExpectMsg<FrameworkSubscribed>(Wait);
        Assert.Equal(onB, other.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single().AgentId);

        // Constraints for a role the framework is not subscribed to: refused at SUBSCRIBE and at UPDATE_FRAMEWORK.
        var bad = CreateTestProbe();
        master.Tell(new SubscribeFramework(info with { Roles = new[] { "batch" } }, bad.Ref), bad.Ref);
        Assert.Contains("not subscribed to role 'web'", bad.ExpectMsg<FrameworkError>(Wait).Message);
        master.Tell(new UpdateFramework(id, info with { Id = id, Roles = new[] { "batch" } }), fw.Ref);
        var result = fw.FishForMessage<FrameworkUpdateResult>(_ => true, Wait);
        Assert.False(result.Ok);
        Assert.Contains("not subscribed to role 'web'", result.Error);
    }
}
