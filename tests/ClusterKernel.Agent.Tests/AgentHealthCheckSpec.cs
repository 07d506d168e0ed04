using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests;

/// <summary>Mesos-native health checks run by the agent on real process tasks, with a probe standing in for the master
/// that acknowledges every update (so the next one is sent).</summary>
public sealed class AgentHealthCheckSpec : TestKit
{
    private static readonly TimeSpan Wait = TestSupport.Seconds(20);
    private static readonly FrameworkId Fw = new("fw-1");
    private readonly TempDir _work = new();
    private readonly ProcessContainerizer _containerizer;
    private readonly Akka.TestKit.TestProbe _master;
    private readonly IActorRef _agent;
    private readonly AgentId _id = new("agent-1");

    public AgentHealthCheckSpec(ITestOutputHelper output) : base("akka.loglevel = WARNING", output: output)
    {
        var containerizer = _containerizer = new ProcessContainerizer(Path.Combine(_work.Path, "meta", "process"));
        _master = CreateTestProbe();
        var settings = new AgentSettings
        {
            WorkDir = _work.Path, Resources = ResourceBag.Parse("cpus:2;mem:1024"), Hostname = "test-host",
            HeartbeatInterval = TimeSpan.FromSeconds(1), RegistrationRetryInterval = TimeSpan.FromMilliseconds(300),
            StatusUpdateRetryMin = TimeSpan.FromSeconds(2), StatusUpdateRetryMax = TimeSpan.FromSeconds(4),
            KillGracePeriod = TimeSpan.FromSeconds(1),
        };
        _agent = Sys.ActorOf(Agent.Props(settings, _master.Ref, new IContainerizer[] { containerizer }), "agent");
        _master.FishForMessage<RegisterAgent>(_ => true, Wait);
        _master.Send(_agent, new AgentRegistered(_id, "epoch-1", 5));
    }

    private TaskInfo Task(string id, HealthCheck check) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = _id, Resources = ResourceBag.Parse("cpus:0.1;mem:32"),
        Command = new CommandInfo { Value = "sleep 60" }, KillGracePeriodSeconds = 1, HealthCheck = check,
    };

    /// <summary>Acknowledges every update (each once) until one matches; returns the distinct updates seen, in order.</summary>
    private List<TaskStatus> UpdatesUntil(Func<TaskStatus, bool> until)
    {
        var seen = new List<TaskStatus>();
        while (true)
        {
            var u = _master.FishForMessage<StatusUpdate>(_ => true, Wait).Status;
            if (seen.Any(s => s.Uuid == u.Uuid)) continue; // a retry of one already acknowledged
            seen.Add(u);
            _agent.Tell(new StatusUpdateAcknowledgement(Fw, u.TaskId, u.Uuid!.Value));
            if (until(u)) return seen;
        }
    }

    private static HealthCheck Fast(HealthCheck c) => c with { DelaySeconds = 0, IntervalSeconds = 0.2, TimeoutSeconds = 5, GracePeriodSeconds = 0 };

    private static int UnusedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public void A_failing_HTTP_check_reports_unhealthy_then_kills_the_task()
    {
        var check = Fast(new HealthCheck { Type = HealthCheckType.HTTP, Http = new HttpCheckInfo { Port = UnusedPort(), Path = "/health" }, ConsecutiveFailures = 2 });
        _agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t1", check) }), _master.Ref);

        var updates = UpdatesUntil(u => u.State.IsTerminal());

        var unhealthy = updates.Where(u => u.State == TaskState.TASK_RUNNING && u.Healthy == false).ToList();
        Assert.Equal(2, unhealthy.Count);
        Assert.All(unhealthy, u => Assert.Equal(Reasons.TaskHealthCheckStatusUpdated, u.Reason));
        Assert.All(unhealthy, u => Assert.Contains("HTTP health check", u.Message));
        Assert.DoesNotContain(updates, u => u.Healthy == true);
        var last = updates[^1];
        Assert.Equal(TaskState.TASK_KILLED, last.State);
        Assert.False(last.Healthy);
        Assert.Contains("2 consecutive failed HTTP health checks", last.Message);
    }

    [Fact]
    public void A_passing_COMMAND_check_reports_healthy_once_with_the_task_environment()
    {
        var check = Fast(new HealthCheck
        {
            Type = HealthCheckType.COMMAND, Command = new CommandInfo { Value = "test \"$MESOS_TASK_ID\" = t2 && test -d \"$MESOS_SANDBOX\"" },
        });
        _agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t2", check) }), _master.Ref);

        var updates = UpdatesUntil(u => u.Healthy is not null);

        var healthy = updates[^1];
        Assert.Equal((TaskState.TASK_RUNNING, true, Reasons.TaskHealthCheckStatusUpdated), (healthy.State, healthy.Healthy, healthy.Reason));
        Assert.Equal(TaskState.TASK_RUNNING, updates[^2].State); // the plain RUNNING came first, without health
        Assert.Null(updates[^2].Healthy);

        _agent.Tell(new KillTaskOnAgent(Fw, new TaskId("t2"), 0.5));
        var end = UpdatesUntil(u => u.State.IsTerminal());
        // Only the first success is reported; the task then ends as killed by request, health unset.
        Assert.DoesNotContain(end, u => u.State == TaskState.TASK_RUNNING);
        Assert.Equal(TaskState.TASK_KILLED, end[^1].State);
        Assert.Null(end[^1].Healthy);
    }

    [Fact]
    public void A_TCP_check_against_a_listening_port_is_healthy()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var check = Fast(new HealthCheck { Type = HealthCheckType.TCP, Tcp = new TcpCheckInfo { Port = ((IPEndPoint)listener.LocalEndpoint).Port } });
            _agent.Tell(new RunTasks(Fw, new FrameworkInfo { Name = "fw" }, new[] { Task("t3", check) }), _master.Ref);
            Assert.True(UpdatesUntil(u => u.Healthy is not null)[^1].Healthy);
            _agent.Tell(new KillTaskOnAgent(Fw, new TaskId("t3"), 0.5));
            UpdatesUntil(u => u.State.IsTerminal());
        }
        finally { listener.Stop(); }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _containerizer.Dispose();
        _work.Dispose();
    }
}
