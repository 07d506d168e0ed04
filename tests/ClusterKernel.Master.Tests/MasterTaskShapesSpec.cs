using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>Task shapes declared at SUBSCRIBE / UPDATE_FRAMEWORK (FrameworkInfo task_shapes) cut that framework's offers.</summary>
public sealed class MasterTaskShapesSpec(ITestOutputHelper output) : TestKit(TestMaster.Config, output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static FrameworkInfo Info(string name, string role, params TaskShape[] shapes) => new() { Name = name, Roles = new[] { role }, TaskShapes = shapes };

    private (Akka.TestKit.TestProbe Probe, FrameworkId Id) Subscribe(IActorRef master, FrameworkInfo info)
    {
        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(info, fw.Ref), fw.Ref);
        return (fw, fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId);
    }

    private void RegisterAgent(IActorRef master, string resources)
    {
        var agent = CreateTestProbe();
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse(resources) }, agent.Ref), agent.Ref);
        agent.ExpectMsg<AgentRegistered>(Wait);
    }

    private static (double Cpus, double Mem) Size(Offer o) => (o.Resources.Scalar("cpus"), o.Resources.Scalar("mem"));

    [Fact]
    public void A_framework_with_a_small_shape_gets_a_slice_the_other_the_rest_and_UPDATE_FRAMEWORK_changes_the_shape()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) }) /* probe agents send no heartbeats */;
        // Role "a" sorts before "b" (equal shares, then name), so the shaped framework is served first on the agent.
        var small = Info("small", "a", new TaskShape(ResourceBag.Parse("cpus:1;mem:128"), 2));
        var (fa, aId) = Subscribe(master, small);
        var (fb, bId) = Subscribe(master, Info("whole", "b"));
        RegisterAgent(master, "cpus:8;mem:4096");

        var slice = fa.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal((2.0, 256.0), Size(slice));
        var rest = fb.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal((6.0, 3840.0), Size(rest));
        Assert.Equal(slice.AgentId, rest.AgentId);

        // The shaped framework changes its shape (nothing is free, so no offer yet); then the other one steps aside: of the
        // 6 free cpus the next offer fits the new shape, and the 2 left fit it no more.
        master.Tell(new UpdateFramework(aId, small with { Id = aId, TaskShapes = new[] { new TaskShape(ResourceBag.Parse("cpus:4;mem:512")) } }), fa.Ref);
        Assert.True(fa.FishForMessage<FrameworkUpdateResult>(_ => true, Wait).Ok);
        master.Tell(new DeclineOffers(bId, new[] { rest.Id }, new Filters { RefuseSeconds = 3600 }), fb.Ref);
        Assert.Equal((4.0, 512.0), Size(fa.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single()));

        // Dropping the declaration brings back Mesos' whole-agent offers: everything left on the agent.
        master.Tell(new UpdateFramework(aId, small with { Id = aId, TaskShapes = Array.Empty<TaskShape>() }), fa.Ref);
        Assert.True(fa.FishForMessage<FrameworkUpdateResult>(_ => true, Wait).Ok);
        Assert.Equal((2.0, 4096.0 - 256 - 512), Size(fa.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single()));
    }

    [Fact]
    public void With_shape_aware_offers_off_a_declared_shape_still_gets_the_whole_agent_and_invalid_shapes_are_refused()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { ShapeAwareOffers = false, AgentPingTimeout = TimeSpan.FromMinutes(5) });
        var (fa, _) = Subscribe(master, Info("small", "*", new TaskShape(ResourceBag.Parse("cpus:1;mem:128"))));
        RegisterAgent(master, "cpus:8;mem:4096");
        Assert.Equal((8.0, 4096.0), Size(fa.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single()));

        var bad = CreateTestProbe();
        master.Tell(new SubscribeFramework(Info("bad", "*", new TaskShape(ResourceBag.Parse("cpus:1"), 0)), bad.Ref), bad.Ref);
        Assert.Contains("task_shapes[0].count", bad.ExpectMsg<FrameworkError>(Wait).Message);
    }

    [Fact]
    public void Shape_aware_offers_are_on_by_default_and_read_from_config()
    {
        static MasterSettings Read(string hocon) => MasterSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString(hocon));
        Assert.True(Read("").ShapeAwareOffers);
        Assert.False(Read("clusterkernel.master.shape-aware-offers = off").ShapeAwareOffers);
        Assert.Throws<Akka.Configuration.ConfigurationException>(() => Read("clusterkernel.master.shape-aware-offers = maybe"));
    }
}
