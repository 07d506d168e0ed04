using Akka.Actor;
using Akka.TestKit;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Framework.Tests;

/// <summary>The SDK's task groups, UPDATE_FRAMEWORK, MESSAGE, FAILURE and inverse offers: the same calls and events as over HTTP.</summary>
public sealed class FrameworkActorExtensionsSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    private sealed class ProbeFramework : FrameworkActor
    {
        public sealed record Do(Action<ProbeFramework> Call);
        private readonly IActorRef _report;

        public ProbeFramework(IActorRef master, IActorRef report) : base(new FrameworkInfo { Name = "probe" }, master)
        {
            _report = report;
            Receive<Do>(m => m.Call(this));
        }

        public void CallLaunchGroup(Offer o, ExecutorInfo e, IReadOnlyList<TaskInfo> t) => LaunchGroup(o, e, t);
        public void CallUpdate(FrameworkInfo info) => UpdateFramework(info);
        public void CallMessage(AgentId a, ExecutorId e, byte[] d) => SendFrameworkMessage(a, e, d);
        public void CallDeclineInverse(IReadOnlyList<OfferId> ids) => DeclineInverseOffers(ids);
        public void ReportInfo() => _report.Tell(Info);

        protected override void OnInverseOffers(IReadOnlyList<InverseOffer> offers) => _report.Tell(offers);
        protected override void OnFrameworkMessage(AgentId agentId, ExecutorId executorId, byte[] data) => _report.Tell(data);
        protected override void OnAgentLost(AgentId agentId) => _report.Tell(agentId);
        protected override void OnExecutorLost(ExecutorId executorId, AgentId agentId, int status) => _report.Tell((executorId, status));
        protected override void OnFrameworkUpdated(bool ok, string? error) => _report.Tell(ok);
    }

    [Fact]
    public void The_calls_reach_the_master_and_the_events_reach_the_callbacks()
    {
        var master = CreateTestProbe();
        var report = CreateTestProbe();
        var fw = Sys.ActorOf(Props.Create(() => new ProbeFramework(master.Ref, report.Ref)));
        master.ExpectMsg<SubscribeFramework>(Wait);
        fw.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, false), master.Ref);

        var offer = Samples.Offer("o1", "cpus:2;mem:1024");
        var executor = new ExecutorInfo { ExecutorId = new ExecutorId("e1") };
        fw.Tell(new ProbeFramework.Do(f => f.CallLaunchGroup(offer, executor, Array.Empty<TaskInfo>())));
        Assert.IsType<LaunchGroupOperation>(master.FishForMessage<AcceptOffers>(_ => true, Wait).Operations.Single());

        // UPDATE_FRAMEWORK: Info changes only once the master said yes.
        fw.Tell(new ProbeFramework.Do(f => f.CallUpdate(new FrameworkInfo { Name = "renamed" })));
        var update = master.FishForMessage<UpdateFramework>(_ => true, Wait);
        Assert.Equal((Samples.FrameworkId, (FrameworkId?)Samples.FrameworkId), (update.FrameworkId, update.Info.Id));
        fw.Tell(new ProbeFramework.Do(f => f.ReportInfo()));
        Assert.Equal("probe", report.ExpectMsg<FrameworkInfo>(Wait).Name);
        fw.Tell(new FrameworkUpdateResult(true, null), master.Ref);
        Assert.True(report.ExpectMsg<bool>(Wait));
        fw.Tell(new ProbeFramework.Do(f => f.ReportInfo()));
        Assert.Equal("renamed", report.ExpectMsg<FrameworkInfo>(Wait).Name);

        fw.Tell(new ProbeFramework.Do(f => f.CallMessage(new AgentId("a1"), executor.ExecutorId, new byte[] { 1 })));
        Assert.Equal(executor.ExecutorId, master.FishForMessage<FrameworkToExecutorMessage>(_ => true, Wait).ExecutorId);
        fw.Tell(new ProbeFramework.Do(f => f.CallDeclineInverse(new[] { new OfferId("i1") })));
        Assert.False(master.FishForMessage<RespondInverseOffers>(_ => true, Wait).Accept);

        fw.Tell(new InverseOffers(new[] { new InverseOffer(new OfferId("i1"), Samples.FrameworkId, new AgentId("a1"), "h", 0, null) }), master.Ref);
        Assert.Single(report.ExpectMsg<IReadOnlyList<InverseOffer>>(Wait));
        fw.Tell(new ExecutorToFrameworkMessage(Samples.FrameworkId, new AgentId("a1"), executor.ExecutorId, new byte[] { 9 }), master.Ref);
        Assert.Equal(new byte[] { 9 }, report.ExpectMsg<byte[]>(Wait));
        fw.Tell(new FrameworkFailure(new AgentId("a1"), null, null), master.Ref);
        Assert.Equal(new AgentId("a1"), report.ExpectMsg<AgentId>(Wait));
        fw.Tell(new FrameworkFailure(new AgentId("a1"), executor.ExecutorId, 1), master.Ref);
        Assert.Equal((executor.ExecutorId, 1), report.ExpectMsg<(ExecutorId, int)>(Wait));
    }
}
