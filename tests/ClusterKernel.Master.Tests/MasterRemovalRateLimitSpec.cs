using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>agent-removal-rate-limit in the master: of two agents that stop at once, only one is taken out per permit.</summary>
public sealed class MasterRemovalRateLimitSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public MasterRemovalRateLimitSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) { }

    [Fact]
    public void With_one_removal_per_hour_only_one_of_two_silent_agents_has_its_task_lost()
    {
        var master = TestMaster.Start(Sys, TestMaster.Settings with { AgentRemovalRateLimit = "1/1hrs" });
        var fw = CreateTestProbe();
        master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "test" }, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        var agents = new Dictionary<AgentId, Akka.TestKit.TestProbe>();
        for (var i = 0; i < 2; i++)
        {
            var probe = CreateTestProbe();
            master.Tell(new RegisterAgent(new AgentInfo { Hostname = $"host{i}", Resources = ResourceBag.Parse("cpus:1;mem:256") }, probe.Ref), probe.Ref);
            agents[probe.ExpectMsg<AgentRegistered>(Wait).AgentId] = probe;
        }
        var launched = new HashSet<AgentId>();
        while (launched.Count < 2)
            foreach (var offer in fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Where(o => !launched.Contains(o.AgentId)))
            {
                var task = new TaskInfo
                {
                    Name = "t", TaskId = new TaskId("t-" + offer.AgentId), AgentId = offer.AgentId, Resources = ResourceBag.Parse("cpus:1;mem:128"),
                    Command = new CommandInfo { Value = "true" },
                };
                master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null), fw.Ref);
                agents[offer.AgentId].FishForMessage<RunTasks>(_ => true, Wait);
                master.Tell(new StatusUpdate(fwId, new TaskStatus { TaskId = task.TaskId, State = TaskState.TASK_RUNNING, AgentId = offer.AgentId, Uuid = Guid.NewGuid() }),
                    agents[offer.AgentId].Ref);
                launched.Add(offer.AgentId);
            }

        foreach (var probe in agents.Values) Sys.Stop(probe.Ref);

        fw.FishForMessage<TaskStatusUpdate>(m => m.Status.State == TaskState.TASK_LOST, Wait);
        // The ping timeout is 1 s and the master sweeps every second: without the limit the second agent would follow at once.
        var more = fw.ReceiveWhile<object>(TimeSpan.FromSeconds(4), m => m); // everything the framework gets in 4 s
        Assert.DoesNotContain(more, m => m is TaskStatusUpdate { Status.State: TaskState.TASK_LOST });
    }
}
