using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>What the master enforces around the allocator: offer_timeout, preemption, and the allocation and offer metrics.</summary>
public sealed class MasterAllocationSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    /// <summary>The probes standing in for agents do not heartbeat: keep them reachable for the whole spec.</summary>
    private static readonly MasterSettings Settings = TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromMinutes(5) };

    public MasterAllocationSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) { }

    private static (Akka.TestKit.TestProbe Probe, AgentId Id) RegisterAgent(IActorRef master, Akka.TestKit.TestProbe agent, string resources = "cpus:2;mem:1024")
    {
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse(resources) }, agent.Ref), agent.Ref);
        return (agent, agent.ExpectMsg<AgentRegistered>(Wait).AgentId);
    }

    private static FrameworkId Subscribe(IActorRef master, Akka.TestKit.TestProbe fw, string name, params string[] roles)
    {
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = name, Roles = roles.Length == 0 ? new[] { "*" } : roles }, fw.Ref), fw.Ref);
        return fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
    }

    private static TaskInfo Task(string id, AgentId agent, string resources) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse(resources), Command = new CommandInfo { Value = "true" },
    };

    private static IReadOnlyDictionary<string, double> Metrics(IActorRef master) => master.Ask<MetricsSnapshot>(GetMetrics.Instance, Wait).Result.Values;

    [Fact]
    public void Offer_timeout_is_off_and_no_role_has_a_priority_by_default_and_both_are_read_from_config()
    {
        var defaults = MasterSettings.Create(Akka.Configuration.Config.Empty);
        Assert.Null(defaults.OfferTimeout);
        Assert.Empty(defaults.RolePriorities);
        var set = MasterSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString("""
            clusterkernel.master { offer-timeout = 30s, role-priorities { prod = 10, "eng/web" = -1 } }
            """));
        Assert.Equal(TimeSpan.FromSeconds(30), set.OfferTimeout);
        Assert.Equal(10, set.RolePriorities["prod"]);
        Assert.Equal(-1, set.RolePriorities["eng/web"]);
    }

    [Fact]
    public void An_offer_held_past_offer_timeout_is_rescinded_and_its_resources_offered_again()
    {
        var master = TestMaster.Start(Sys, Settings with { OfferTimeout = TimeSpan.FromMilliseconds(500) });
        var fw = CreateTestProbe();
        var fwId = Subscribe(master, fw, "holder");
        RegisterAgent(master, CreateTestProbe());

        var offer = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.Equal(offer.Id, fw.FishForMessage<OfferRescinded>(_ => true, Wait).OfferId);
        var again = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        Assert.NotEqual(offer.Id, again.Id);
        Assert.Equal(2, again.Resources.Scalar("cpus"));

        AwaitAssert(() => Assert.True(Metrics(master)[$"master/frameworks/holder/{fwId}/offers/rescinded"] >= 1), Wait);
    }

    [Fact]
    public void Offers_are_not_rescinded_without_offer_timeout_and_the_offer_metrics_count_per_framework()
    {
        var master = TestMaster.Start(Sys, Settings);
        var fw = CreateTestProbe();
        var fwId = Subscribe(master, fw, "counted");
        var (_, agentId) = RegisterAgent(master, CreateTestProbe());

        var first = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        fw.ExpectNoMsg(TimeSpan.FromSeconds(1)); // held: no rescind, and nothing else to offer
        master.Tell(new DeclineOffers(fwId, new[] { first.Id }, new Filters { RefuseSeconds = 0 }), fw.Ref);
        var second = fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        master.Tell(new AcceptOffers(fwId, new[] { second.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId, "cpus:1;mem:128") }) }, null), fw.Ref);

        var prefix = $"master/frameworks/counted/{fwId}/offers/";
        AwaitAssert(() =>
        {
            var m = Metrics(master);
            Assert.True(m[prefix + "sent"] >= 2);
            Assert.Equal(1, m[prefix + "declined"]);
            Assert.Equal(1, m[prefix + "accepted"]);
            Assert.Equal(0, m[prefix + "rescinded"]);
            Assert.True(m["allocator/mesos/allocation_runs"] >= 1);
            foreach (var q in new[] { "", "/mean", "/p50", "/p90", "/p99" }) Assert.True(m.ContainsKey("allocator/mesos/allocation_run_ms" + q), q);
        }, Wait);
    }

    [Fact]
    public void A_higher_priority_role_short_of_its_guarantee_preempts_a_lower_priority_task()
    {
        var master = TestMaster.Start(Sys, Settings with { RolePriorities = new Dictionary<string, int> { ["prod"] = 10 } });
        var agent = CreateTestProbe();
        var batch = CreateTestProbe();
        var batchId = Subscribe(master, batch, "batch", "batch");
        var (_, agentId) = RegisterAgent(master, agent);
        var offer = batch.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single();
        master.Tell(new AcceptOffers(batchId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("b1", agentId, "cpus:2;mem:512") }) }, null), batch.Ref);
        agent.FishForMessage<RunTasks>(_ => true, Wait);
        master.Tell(new StatusUpdate(batchId, new TaskStatus { TaskId = new TaskId("b1"), State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid() }), agent.Ref);

        Assert.True(master.Ask<OperatorResult>(new UpdateQuota("prod", new Dictionary<string, double> { ["cpus"] = 2 }, new Dictionary<string, double>()), Wait).Result.Ok);
        var prod = CreateTestProbe();
        var prodId = Subscribe(master, prod, "prod", "prod");

        var kill = agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait);
        Assert.Equal(new TaskId("b1"), kill.TaskId);
        Assert.Equal(batchId, kill.FrameworkId);

        var uuid = Guid.NewGuid();
        master.Tell(new StatusUpdate(batchId, new TaskStatus { TaskId = new TaskId("b1"), State = TaskState.TASK_KILLED, AgentId = agentId, Uuid = uuid }), agent.Ref);
        var killed = batch.FishForMessage<TaskStatusUpdate>(m => m.Status.State == TaskState.TASK_KILLED, Wait).Status;
        Assert.Equal(Reasons.Preempted, killed.Reason);
        Assert.Equal("REASON_CONTAINER_PREEMPTED", killed.Reason);

        var freed = prod.FishForMessage<ResourceOffers>(m => m.Offers.Any(o => o.Resources.Scalar("cpus") >= 2), Wait).Offers.First(o => o.Resources.Scalar("cpus") >= 2);
        Assert.Equal(prodId, freed.FrameworkId);
        Assert.Equal(agentId, freed.AgentId);
        // Killed once, not once per allocation cycle while the kill was in flight.
        Assert.DoesNotContain(agent.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m), m => m is KillTaskOnAgent);
    }

    [Fact]
    public void Preemption_kills_the_tasks_on_non_revocable_resources_not_those_on_revocable_ones()
    {
        var master = TestMaster.Start(Sys, Settings with { RolePriorities = new Dictionary<string, int> { ["prod"] = 10 } });
        var agent = CreateTestProbe();
        var batch = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "batch", Roles = new[] { "batch" }, Capabilities = new[] { FrameworkCapabilities.RevocableResources } }, batch.Ref), batch.Ref);
        var batchId = batch.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        // An agent with oversubscribed (revocable) cpus on top of its own, as the actor protocol allows.
        var revocable = ResourceBag.Of(ClusterKernel.Resources.Resource.OfScalar("cpus", 1) with { Revocable = true });
        master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") + revocable }, agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        var offer = batch.FishForMessage<ResourceOffers>(m => m.Offers.Any(o => o.Resources.Any(r => r.Revocable)), Wait).Offers.Single();
        var onRevocable = Task("r1", agentId, "cpus:1") with { Resources = revocable };
        master.Tell(new AcceptOffers(batchId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("b1", agentId, "cpus:2;mem:512"), onRevocable }) }, null), batch.Ref);
        Assert.Equal(2, agent.FishForMessage<RunTasks>(_ => true, Wait).Tasks.Count);

        Assert.True(master.Ask<OperatorResult>(new UpdateQuota("prod", new Dictionary<string, double> { ["cpus"] = 2 }, new Dictionary<string, double>()), Wait).Result.Ok);
        Subscribe(master, CreateTestProbe(), "prod", "prod");
        Assert.Equal(new TaskId("b1"), agent.FishForMessage<KillTaskOnAgent>(_ => true, Wait).TaskId);
        // Killing r1 would free only revocable cpus, which no guarantee counts: it keeps running.
        Assert.DoesNotContain(agent.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => m), m => m is KillTaskOnAgent k && k.TaskId == new TaskId("r1"));
    }
}
