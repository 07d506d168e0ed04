using Akka.Actor;
using Akka.Event;
using ClusterKernel.Allocation;
using ClusterKernel.Master;
using ClusterKernel.Protocol;
using Xunit;
using static ClusterKernel.Integration.Tests.RegistrySnapshotTests;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// Two masters writing one registry at once — a stale leader (frozen, cut off) that still takes a change beside the new leader:
/// the journal's unique (persistence_id, sequence_number) lets only one write land at each position, so the other master's
/// write fails, its caller gets an error instead of an acknowledgement, and that master stops; a master recovering afterwards
/// sees every change that was acknowledged, from either. Nothing acknowledged is lost, nothing half-applied is acknowledged.
/// </summary>
public sealed class StaleLeaderWriteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public Task Only_one_of_two_masters_writing_the_same_registry_position_is_acknowledged_on_SQLite() => Scenario(null);

    [PostgresFact]
    public async Task Only_one_of_two_masters_writing_the_same_registry_position_is_acknowledged_on_PostgreSQL() =>
        await Scenario(await PostgresFactAttribute.CreateDatabase());

    private static IActorRef StartMaster(ActorSystem system) =>
        system.ActorOf(Master.Master.Props(new MasterSettings(), () => new HierarchicalAllocator(new AllocatorOptions())), "master");

    private static async Task Scenario(string? postgres)
    {
        var dataDir = TestCluster.TempDir("stale-writer");
        using var oldSystem = ActorSystem.Create("stale", SystemConfig(dataDir, postgres));
        var oldLogs = Logs(oldSystem);
        var oldMaster = StartMaster(oldSystem);
        await AwaitLog(oldLogs, "recovered registry: 0 agents");
        var first = Assert.IsType<AgentRegistered>(await Register(oldSystem, oldMaster, 0));

        // The new leader recovers while the old one is still alive (it has not noticed it was replaced).
        using var newSystem = ActorSystem.Create("stale", SystemConfig(dataDir, postgres));
        var newLogs = Logs(newSystem);
        var newMaster = StartMaster(newSystem);
        await AwaitLog(newLogs, "recovered registry: 1 agents");

        // The new leader writes the next position; the stale one then tries the same position and must not be acknowledged.
        var byNew = Assert.IsType<AgentRegistered>(await Register(newSystem, newMaster, 1));
        // (An inbox throws the cause of a Status.Failure answer.)
        var failure = await Assert.ThrowsAsync<RegistryUnavailableException>(() => Register(oldSystem, oldMaster, 2));
        Assert.Contains("another master wrote the registry", failure.Message);

        // Every acknowledged change is in the registry a later master recovers.
        await newSystem.Terminate();
        await oldSystem.Terminate();
        using var laterSystem = ActorSystem.Create("stale", SystemConfig(dataDir, postgres));
        var laterLogs = Logs(laterSystem);
        var later = StartMaster(laterSystem);
        await AwaitLog(laterLogs, "recovered registry: 2 agents");
        foreach (var id in new[] { first.AgentId, byNew.AgentId })
        {
            var probe = Inbox.Create(laterSystem);
            later.Tell(new ReregisterAgent(Info(9) with { Id = id }, Array.Empty<TaskReport>(), probe.Receiver));
            Assert.IsType<AgentRegistered>(await Answer(probe));
        }
        await laterSystem.Terminate();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    private static Inbox Logs(ActorSystem system)
    {
        var logs = Inbox.Create(system);
        system.EventStream.Subscribe(logs.Receiver, typeof(Info));
        return logs;
    }

    private static async Task<object> Register(ActorSystem system, IActorRef master, int i)
    {
        var agent = Inbox.Create(system);
        master.Tell(new RegisterAgent(Info(i), agent.Receiver), agent.Receiver);
        return await Answer(agent);
    }

    /// <summary>The registration's answer, skipping what else the master tells a registering agent.</summary>
    private static async Task<object> Answer(Inbox inbox)
    {
        while (true)
        {
            var m = await inbox.ReceiveAsync(Timeout);
            if (m is AgentRegistered or AgentRegistrationRefused) return m;
        }
    }
}
