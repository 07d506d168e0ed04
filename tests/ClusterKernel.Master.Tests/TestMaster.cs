using Akka.Actor;
using Akka.Configuration;
using ClusterKernel.Allocation;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master.Tests;

/// <summary>A master on an in-memory journal with short intervals, for the actor specs.</summary>
internal static class TestMaster
{
    public static readonly Config Config = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        akka.loglevel = WARNING
        """).WithFallback(ProtocolConfig.DefaultConfig());

    public static readonly MasterSettings Settings = new()
    {
        AllocationInterval = TimeSpan.FromMilliseconds(100),
        StateSnapshotMaxAge = TimeSpan.Zero,
        AgentPingTimeout = TimeSpan.FromSeconds(1),
        JournalPlugin = "akka.persistence.journal.inmem",
        SnapshotPlugin = "akka.persistence.snapshot-store.inmem",
    };

    /// <param name="settings">Defaults to <see cref="Settings"/>; specs change single settings with <c>TestMaster.Settings with { ... }</c>.</param>
    public static IActorRef Start(ActorSystem system, MasterSettings? settings = null) =>
        system.ActorOf(Master.Props(settings ?? Settings, () => new HierarchicalAllocator(new AllocatorOptions { ShapeAwareOffers = (settings ?? Settings).ShapeAwareOffers })), "master");
}
