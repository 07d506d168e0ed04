using Akka.Actor;
using Akka.Configuration;
using ClusterKernel.Hosting;
using Akka.Event;
using ClusterKernel.Allocation;
using ClusterKernel.Master;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// The leader lease on the real databases: the row's compare-and-set (<see cref="LeaderLeaseStore"/>), and two nodes' keepers
/// (<see cref="LeaderLease"/>) on one registry — the second takes the lease only after the first stopped renewing it, and the
/// two are never valid at once in any sample.
/// </summary>
public sealed class LeaderLeaseTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    // A master's first recovery on a fresh SQLite file took ~40 s at load average 125.
    private static readonly TimeSpan SlowTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public Task The_row_is_taken_renewed_and_released_by_compare_and_set_on_SQLite() =>
        RowScenario(SqliteConnection(), "SQLite");

    [PostgresFact]
    public async Task The_row_is_taken_renewed_and_released_by_compare_and_set_on_PostgreSQL() =>
        await RowScenario(await PostgresFactAttribute.CreateDatabase(), "PostgreSQL.15");

    [Fact]
    public Task A_second_node_holds_the_lease_only_after_the_first_stopped_renewing_on_SQLite() =>
        KeeperScenario(null);

    [PostgresFact]
    public async Task A_second_node_holds_the_lease_only_after_the_first_stopped_renewing_on_PostgreSQL() =>
        await KeeperScenario(await PostgresFactAttribute.CreateDatabase());

    /// <summary>
    /// The fence seen acting in the master itself: while another holder keeps renewing the row, a master on that registry with an
    /// agent and a hungry framework sends no offer (its grants go back to the allocator, a warning says why); once the other
    /// holder gives the row up, the master takes it and offers. (Expiry without a release is the keeper scenario above; here the
    /// TTL is long, so that a renewal stalled by a loaded machine cannot hand the lease over early.)
    /// </summary>
    [Fact]
    public async Task A_master_offers_only_while_it_holds_the_lease_on_SQLite()
    {
        var dataDir = TestCluster.TempDir("lease-master");
        var store = LeaderLeaseStore.For("SQLite", $"Data Source={Path.Combine(dataDir, "registry.db")}")!;
        var version = (await store.Take("previous-master", 0))!.Value;
        using var renewing = new CancellationTokenSource();
        var renewer = Task.Run(async () =>
        {
            while (!renewing.IsCancellationRequested)
            {
                version = await store.Renew("previous-master", version) ?? throw new InvalidOperationException("the previous holder lost its row");
                try { await Task.Delay(200, renewing.Token); } catch (OperationCanceledException) { }
            }
        });
        using var system = ActorSystem.Create("lease", ConfigurationFactory.ParseString("""
            akka.actor.provider = local
            akka.loglevel = INFO
            clusterkernel.master.leader-lease { renew-interval = 200ms, ttl = 60s, margin = 5s }
            """).WithFallback(NodeConfig.Build(new NodeOptions { Master = true, Port = 0, DataDir = dataDir })));
        var logs = Inbox.Create(system);
        system.EventStream.Subscribe(logs.Receiver, typeof(Warning));
        var master = system.ActorOf(Master.Master.Props(new MasterSettings { AllocationInterval = TimeSpan.FromMilliseconds(100) },
            () => new HierarchicalAllocator(new AllocatorOptions { AllocationInterval = TimeSpan.FromMilliseconds(100) })), "master");
        var agent = Inbox.Create(system);
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host-1", Resources = Res.Parse("cpus:1;mem:128") }, agent.Receiver));
        // A recorder, not an Inbox: an Inbox's timed-out receive can swallow the next message (the first offer, here).
        var seen = new System.Collections.Concurrent.ConcurrentQueue<object>();
        var framework = system.ActorOf(Props.Create(() => new Recorder(seen)), "framework");
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "hungry", User = "root" }, framework));

        // The master holds its offers back while the previous holder renews (a few seconds, many allocation cycles).
        var warned = await AwaitWarning(logs, "holds no valid leader lease"); // after recovery, the agent and the framework
        Assert.Contains("holding offers back", warned);
        var windowEnd = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < windowEnd) await Task.Delay(100);
        Assert.DoesNotContain(seen, m => m is ResourceOffers);
        renewing.Cancel();
        await renewer;
        Assert.True(await store.Release("previous-master", version));
        var offersBy = DateTime.UtcNow + SlowTimeout;
        while (!seen.Any(m => m is ResourceOffers) && DateTime.UtcNow < offersBy) await Task.Delay(100);
        Assert.Contains(seen, m => m is ResourceOffers);
        Assert.Equal(LeaderLease.Get(system).Owner, (await store.Read())!.Owner);
        await system.Terminate();
    }

    private sealed class Recorder : ReceiveActor
    {
        public Recorder(System.Collections.Concurrent.ConcurrentQueue<object> seen) => ReceiveAny(seen.Enqueue);
    }

    private static async Task<string> AwaitWarning(Inbox logs, string contains)
    {
        while (true)
            if (await logs.ReceiveAsync(SlowTimeout) is Warning w && w.Message.ToString()!.Contains(contains)) return w.Message.ToString()!;
    }

    private static string SqliteConnection() => $"Data Source={Path.Combine(TestCluster.TempDir("lease"), "registry.db")}";

    private static async Task RowScenario(string connection, string provider)
    {
        var a = LeaderLeaseStore.For(provider, connection)!;
        var b = LeaderLeaseStore.For(provider, connection)!;
        Assert.Null(await b.Read());
        Assert.Equal(1, await a.Take("a", 0));
        Assert.Null(await b.Take("b", 0));                     // the insert lost: a was first
        Assert.Equal(new LeaseRow("a", 1), await b.Read());
        Assert.Equal(2, await a.Renew("a", 1));
        Assert.Null(await b.Take("b", 1));                     // b read version 1, a renewed meanwhile
        Assert.Null(await b.Renew("b", 2));                    // not b's
        Assert.True(await a.Release("a", 2));
        Assert.Equal(new LeaseRow(null, 3), await b.Read());
        Assert.Equal(4, await b.Take("b", 3));
        Assert.Null(await a.Renew("a", 2));                    // a's lease is gone
        Assert.False(await a.Release("a", 4));
        Assert.Equal(new LeaseRow("b", 4), await a.Read());
    }

    private static ActorSystem Node(string dataDir, string? postgres) => ActorSystem.Create("lease",
        ConfigurationFactory.ParseString("""
            akka.actor.provider = local
            akka.loglevel = INFO
            clusterkernel.master.leader-lease { renew-interval = 200ms, ttl = 1s, margin = 200ms }
            """).WithFallback(NodeConfig.Build(new NodeOptions { Master = true, Port = 0, DataDir = dataDir, PostgresConnection = postgres })));

    private static async Task KeeperScenario(string? postgres)
    {
        var dataDir = TestCluster.TempDir("lease-keeper"); // both nodes on one SQLite file when there is no PostgreSQL
        using var first = Node(dataDir, postgres);
        using var second = Node(dataDir, postgres);
        var a = LeaderLease.Get(first);
        var b = LeaderLease.Get(second);
        Assert.True(a.Enabled);
        a.Acquire();
        await Until(() => a.IsValid, "the first node holding the lease");
        b.Acquire();
        // Both want it; only the first holds it while it renews.
        var violations = 0;
        for (var i = 0; i < 20; i++)
        {
            if (a.IsValid && b.IsValid) violations++;
            Assert.True(a.IsValid, "the renewing holder lost its lease: " + a.Describe());
            await Task.Delay(100);
        }
        Assert.False(b.IsValid, b.Describe());
        // The first node stops without releasing (as a SIGKILLed or frozen master): the second takes over once the first's
        // lease has expired on its own clock, and never while the first still counts itself valid.
        await first.Terminate();
        var deadline = DateTime.UtcNow + Timeout;
        while (!b.IsValid && DateTime.UtcNow < deadline)
        {
            if (a.IsValid && b.IsValid) violations++;
            await Task.Delay(20);
        }
        Assert.True(b.IsValid, b.Describe());
        Assert.False(a.IsValid, a.Describe());
        Assert.Equal(0, violations);
        // A graceful stop releases it: a third node takes it without waiting for the TTL (the rule: a free row).
        b.Release();
        using var third = Node(dataDir, postgres);
        var c = LeaderLease.Get(third);
        await Until(() => !b.IsValid, "the second node releasing");
        c.Acquire();
        await Until(() => c.IsValid, "a third node taking the released lease");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(condition(), "timed out waiting for " + what);
    }
}
