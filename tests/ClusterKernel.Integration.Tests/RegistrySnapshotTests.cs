using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using ClusterKernel.Allocation;
using ClusterKernel.Hosting;
using ClusterKernel.Master;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// Registry snapshots on the real SQL plugins: a master writes events, snapshots the registry, writes more events; a new master
/// on the same store recovers from the snapshot plus the events after it (agents marked gone before and after the snapshot
/// are both refused; the recovered agent count includes the agent admitted after it).
/// </summary>
public sealed class RegistrySnapshotTests
{
    [Fact]
    public Task A_new_master_recovers_the_registry_from_a_snapshot_and_the_later_events_on_SQLite() =>
        Scenario(postgres: null);

    [PostgresFact]
    public async Task A_new_master_recovers_the_registry_from_a_snapshot_and_the_later_events_on_PostgreSQL() =>
        await Scenario(await PostgresFactAttribute.CreateDatabase());

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    internal static Config SystemConfig(string dataDir, string? postgres) =>
        ConfigurationFactory.ParseString("akka.actor.provider = local\nakka.loglevel = INFO")
            .WithFallback(NodeConfig.Build(new NodeOptions { Master = true, Port = 0, DataDir = dataDir, PostgresConnection = postgres }));

    private static IActorRef StartMaster(ActorSystem system) =>
        system.ActorOf(Master.Master.Props(new MasterSettings { RegistrySnapshotEvery = 3 }, () => new HierarchicalAllocator(new AllocatorOptions())), "master");

    private static async Task Scenario(string? postgres)
    {
        var dataDir = TestCluster.TempDir("snapshot");
        var agents = new List<AgentId>();
        long snapshotSeqNr;
        using (var system = ActorSystem.Create("snap", SystemConfig(dataDir, postgres)))
        {
            var logs = Inbox.Create(system);
            system.EventStream.Subscribe(logs.Receiver, typeof(Info));
            var master = StartMaster(system);
            var inbox = Inbox.Create(system);
            for (var i = 0; i < 5; i++) agents.Add(await Register(system, master, i));
            master.Tell(new MarkAgentGone(agents[0]), inbox.Receiver);
            await inbox.ReceiveAsync(Timeout);
            // The next sweep (every second) saves the registry: 6 events written, snapshot every 3.
            await AwaitLog(logs, "Registry snapshot saved at event 6");
            snapshotSeqNr = await LatestSnapshot(system);
            agents.Add(await Register(system, master, 5));
            master.Tell(new MarkAgentGone(agents[1]), inbox.Receiver);
            await inbox.ReceiveAsync(Timeout);
            await system.Terminate();
        }

        using (var system = ActorSystem.Create("snap", SystemConfig(dataDir, postgres)))
        {
            var logs = Inbox.Create(system);
            system.EventStream.Subscribe(logs.Receiver, typeof(Info));
            var master = StartMaster(system);
            await AwaitLog(logs, $"Registry snapshot at event {snapshotSeqNr} loaded: 4 agents");
            // 6 admitted, 2 gone (one before the snapshot, one after).
            await AwaitLog(logs, "recovered registry: 4 agents");
            foreach (var gone in new[] { agents[0], agents[1] })
            {
                var probe = Inbox.Create(system);
                master.Tell(new ReregisterAgent(Info(9) with { Id = gone }, Array.Empty<TaskReport>(), probe.Receiver));
                Assert.IsType<AgentRegistrationRefused>(await probe.ReceiveAsync(Timeout));
            }
            var kept = Inbox.Create(system);
            master.Tell(new ReregisterAgent(Info(5) with { Id = agents[5] }, Array.Empty<TaskReport>(), kept.Receiver));
            Assert.Equal(agents[5], Assert.IsType<AgentRegistered>(await ReceiveSkipping(kept)).AgentId);
            await system.Terminate();
        }
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    internal static AgentInfo Info(int i) => new() { Hostname = $"host-{i}", Resources = Res.Parse("cpus:1;mem:128") };

    private static async Task<AgentId> Register(ActorSystem system, IActorRef master, int i)
    {
        var agent = Inbox.Create(system);
        master.Tell(new RegisterAgent(Info(i), agent.Receiver));
        return ((AgentRegistered)await ReceiveSkipping(agent)).AgentId;
    }

    /// <summary>The agent's answer, skipping what else the master tells a registering agent.</summary>
    private static async Task<object> ReceiveSkipping(Inbox inbox)
    {
        while (true)
        {
            var m = await inbox.ReceiveAsync(Timeout);
            if (m is AgentRegistered or AgentRegistrationRefused) return m;
        }
    }

    /// <summary>What the store itself holds (the snapshot comes back through the serializer as a registry snapshot).</summary>
    private static async Task<long> LatestSnapshot(ActorSystem system)
    {
        var store = Persistence.Instance.Apply(system).SnapshotStoreFor(null);
        var result = await store.Ask<LoadSnapshotResult>(new LoadSnapshot("clusterkernel-master", SnapshotSelectionCriteria.Latest, long.MaxValue), Timeout);
        var s = Assert.IsType<SelectedSnapshot>(result.Snapshot);
        Assert.IsType<RegistrySnapshot>(s.Snapshot);
        return s.Metadata.SequenceNr;
    }

    internal static async Task AwaitLog(Inbox logs, string contains)
    {
        while (true)
            if (await logs.ReceiveAsync(Timeout) is Info info && info.Message.ToString()!.Contains(contains)) return;
    }
}
