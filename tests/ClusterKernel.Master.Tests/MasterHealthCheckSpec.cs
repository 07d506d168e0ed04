using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>TaskInfo.health_check at the master: Mesos' validation (TASK_ERROR), and health updates forwarded as they come.</summary>
public sealed class MasterHealthCheckSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly IActorRef _master;

    public MasterHealthCheckSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) =>
        // The probe agent never heartbeats: keep it registered for the whole spec on a loaded machine.
        _master = TestMaster.Start(Sys, TestMaster.Settings with { AgentPingTimeout = TimeSpan.FromSeconds(60) });

    private (Akka.TestKit.TestProbe Fw, FrameworkId FwId, Akka.TestKit.TestProbe Agent, AgentId AgentId, Offer Offer) Setup()
    {
        var fw = CreateTestProbe();
        _master.Tell(new SubscribeFramework(new FrameworkInfo { Name = "test" }, fw.Ref), fw.Ref);
        var fwId = fw.ExpectMsg<FrameworkSubscribed>(Wait).FrameworkId;
        var agent = CreateTestProbe();
        _master.Tell(new RegisterAgent(new AgentInfo { Hostname = "host1", Resources = ResourceBag.Parse("cpus:2;mem:1024") }, agent.Ref), agent.Ref);
        var agentId = agent.ExpectMsg<AgentRegistered>(Wait).AgentId;
        return (fw, fwId, agent, agentId, fw.FishForMessage<ResourceOffers>(_ => true, Wait).Offers.Single());
    }

    private static TaskInfo Task(string id, AgentId agent, HealthCheck check) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = ResourceBag.Parse("cpus:1;mem:128"),
        Command = new CommandInfo { Value = "sleep 60" }, HealthCheck = check,
    };

    [Fact]
    public void A_task_with_an_invalid_health_check_gets_TASK_ERROR_naming_the_problem()
    {
        var (fw, fwId, _, agentId, offer) = Setup();
        var check = new HealthCheck { Type = HealthCheckType.TCP, Tcp = new TcpCheckInfo { Port = 80 }, IntervalSeconds = -1 };
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId, check) }) }, null), fw.Ref);
        var error = fw.FishForMessage<TaskStatusUpdate>(_ => true, Wait).Status;
        Assert.Equal((TaskState.TASK_ERROR, Reasons.TaskInvalid), (error.State, error.Reason));
        Assert.Equal("Task uses invalid health check: Expecting 'interval_seconds' to be non-negative", error.Message);
    }

    [Fact]
    public void A_valid_health_check_reaches_the_agent_and_health_updates_reach_the_framework()
    {
        var (fw, fwId, agent, agentId, offer) = Setup();
        var check = new HealthCheck { Type = HealthCheckType.HTTP, Http = new HttpCheckInfo { Port = 8080, Path = "/h" }, ConsecutiveFailures = 2 };
        _master.Tell(new AcceptOffers(fwId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { Task("t1", agentId, check) }) }, null), fw.Ref);
        var sent = agent.FishForMessage<RunTasks>(_ => true, Wait).Tasks.Single().HealthCheck!;
        Assert.Equal((HealthCheckType.HTTP, 8080, "/h", 2), (sent.Type, sent.Http!.Port, sent.Http.Path, sent.ConsecutiveFailures));

        foreach (var healthy in new[] { true, false })
        {
            _master.Tell(new StatusUpdate(fwId, new TaskStatus
            {
                TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = agentId, Uuid = Guid.NewGuid(),
                Healthy = healthy, Reason = Reasons.TaskHealthCheckStatusUpdated,
            }), agent.Ref);
            var update = fw.FishForMessage<TaskStatusUpdate>(m => m.Status.Healthy is not null, Wait).Status;
            Assert.Equal((TaskState.TASK_RUNNING, healthy, Reasons.TaskHealthCheckStatusUpdated), (update.State, update.Healthy, update.Reason));
        }
    }
}
