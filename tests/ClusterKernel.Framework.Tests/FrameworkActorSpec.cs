using Akka.Actor;
using Akka.TestKit;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Framework.Tests;

public sealed class FrameworkActorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    /// <summary>Reports every callback to a probe and exposes the calls as messages, so tests drive it from outside.</summary>
    private sealed class ProbeFramework : FrameworkActor
    {
        public sealed record DoLaunch(Offer Offer, IReadOnlyList<TaskInfo> Tasks);
        public sealed record Registered(FrameworkId Id);
        public sealed record Reregistered(FrameworkId Id);
        public sealed record Update(TaskStatus Status);
        public sealed record Error(string Message);

        private readonly IActorRef _report;

        public ProbeFramework(FrameworkInfo info, IActorRef master, IActorRef report, bool explicitAcks) : base(info, master)
        {
            _report = report;
            ExplicitAcknowledgements = explicitAcks;
            Receive<DoLaunch>(m => Launch(m.Offer, m.Tasks));
        }

        protected override TimeSpan SubscribeRetryInterval => TimeSpan.FromMilliseconds(200);
        protected override void OnRegistered(FrameworkId frameworkId) => _report.Tell(new Registered(frameworkId));
        protected override void OnReregistered(FrameworkId frameworkId) => _report.Tell(new Reregistered(frameworkId));
        protected override void OnStatusUpdate(TaskStatus status) => _report.Tell(new Update(status));
        protected override void OnError(string message) => _report.Tell(new Error(message));
    }

    private static FrameworkInfo Info => new() { Name = "probe" };

    private (TestProbe master, TestProbe report, IActorRef framework) Start(bool explicitAcks = false)
    {
        var master = CreateTestProbe();
        var report = CreateTestProbe();
        var framework = Sys.ActorOf(Props.Create(() => new ProbeFramework(Info, master.Ref, report.Ref, explicitAcks)));
        return (master, report, framework);
    }

    private (TestProbe master, TestProbe report, IActorRef framework) StartSubscribed(bool explicitAcks = false)
    {
        var (master, report, framework) = Start(explicitAcks);
        master.ExpectMsg<SubscribeFramework>(Wait);
        framework.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, false), master.Ref);
        report.ExpectMsg<ProbeFramework.Registered>(Wait);
        return (master, report, framework);
    }

    [Fact]
    public void Framework_subscribes_on_start_and_repeats_until_the_master_answers()
    {
        var (master, report, framework) = Start();

        var first = master.ExpectMsg<SubscribeFramework>(Wait);
        Assert.Null(first.Info.Id);
        Assert.Equal(framework, first.Framework);
        master.ExpectMsg<SubscribeFramework>(Wait); // no answer yet: retried

        framework.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, false), master.Ref);
        Assert.Equal(Samples.FrameworkId, report.ExpectMsg<ProbeFramework.Registered>(Wait).Id);
    }

    [Fact]
    public void Framework_stops_subscribing_once_subscribed()
    {
        var (master, _, _) = StartSubscribed();
        // One retry may already be in flight when the answer arrives; after that, silence.
        master.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as SubscribeFramework);
        master.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void Resubscribe_required_subscribes_again_with_the_same_framework_id_and_reports_reregistered()
    {
        var (master, report, framework) = StartSubscribed();
        master.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as SubscribeFramework);

        framework.Tell(new ResubscribeRequired("master failover"), master.Ref);
        var again = master.ExpectMsg<SubscribeFramework>(Wait);
        Assert.Equal(Samples.FrameworkId, again.Info.Id);

        framework.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, true), master.Ref);
        Assert.Equal(Samples.FrameworkId, report.ExpectMsg<ProbeFramework.Reregistered>(Wait).Id);
    }

    [Fact]
    public void Framework_error_reaches_on_error()
    {
        var (master, report, framework) = StartSubscribed();
        framework.Tell(new FrameworkError("torn down"), master.Ref);
        Assert.Equal("torn down", report.ExpectMsg<ProbeFramework.Error>(Wait).Message);
    }

    [Fact]
    public void Status_update_with_uuid_is_acknowledged_after_the_callback()
    {
        var (master, report, framework) = StartSubscribed();
        var uuid = Guid.NewGuid();
        var status = new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = Samples.AgentId, Uuid = uuid };

        framework.Tell(new TaskStatusUpdate(status), master.Ref);

        report.ExpectMsg<ProbeFramework.Update>(Wait);
        var ack = master.FishForMessage<AcknowledgeStatus>(_ => true, Wait);
        Assert.Equal(new AcknowledgeStatus(Samples.FrameworkId, Samples.AgentId, new TaskId("t1"), uuid), ack);
    }

    [Fact]
    public void A_batch_of_updates_gets_every_callback_in_order_and_one_batch_of_acknowledgements()
    {
        var (master, report, framework) = StartSubscribed();
        TaskStatus Status(string id) => new() { TaskId = new TaskId(id), State = TaskState.TASK_RUNNING, AgentId = Samples.AgentId, Uuid = Guid.NewGuid() };
        var statuses = new[] { Status("t1"), Status("t2"), Status("t3") with { Uuid = null } };

        framework.Tell(new TaskStatusUpdates(statuses), master.Ref);

        Assert.Equal(new[] { "t1", "t2", "t3" }, Enumerable.Range(0, 3).Select(_ => report.ExpectMsg<ProbeFramework.Update>(Wait).Status.TaskId.Value));
        var acks = master.FishForMessage<AcknowledgeStatuses>(_ => true, Wait);
        Assert.Equal(Samples.FrameworkId, acks.FrameworkId);
        // The master-made one (no uuid) needs no acknowledgement.
        Assert.Equal(new[] { statuses[0].Uuid, statuses[1].Uuid }, acks.Acks.Select(a => (Guid?)a.Uuid));
    }

    [Fact]
    public void Status_update_without_uuid_is_not_acknowledged()
    {
        var (master, report, framework) = StartSubscribed();
        master.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as SubscribeFramework);
        framework.Tell(new TaskStatusUpdate(new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_LOST, AgentId = Samples.AgentId }), master.Ref);
        report.ExpectMsg<ProbeFramework.Update>(Wait);
        master.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Explicit_acknowledgements_turn_the_automatic_acknowledgement_off()
    {
        var (master, report, framework) = StartSubscribed(explicitAcks: true);
        master.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m as SubscribeFramework);
        framework.Tell(new TaskStatusUpdate(new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = Samples.AgentId, Uuid = Guid.NewGuid() }), master.Ref);
        report.ExpectMsg<ProbeFramework.Update>(Wait);
        master.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Launch_sends_accept_offers_with_one_launch_operation()
    {
        var (master, _, framework) = StartSubscribed();
        var offer = Samples.Offer("o1", "cpus:1;mem:128");
        var task = new TaskInfo { Name = "t", TaskId = new TaskId("t1"), AgentId = offer.AgentId, Resources = offer.Resources };

        framework.Tell(new ProbeFramework.DoLaunch(offer, new[] { task }));

        var accept = master.FishForMessage<AcceptOffers>(_ => true, Wait);
        Assert.Equal(Samples.FrameworkId, accept.FrameworkId);
        Assert.Equal(new[] { offer.Id }, accept.OfferIds);
        var launch = Assert.IsType<LaunchOperation>(Assert.Single(accept.Operations));
        Assert.Equal(task, Assert.Single(launch.TaskInfos));
    }
}
