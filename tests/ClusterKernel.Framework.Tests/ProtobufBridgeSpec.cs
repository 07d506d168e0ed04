using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Api.Protobuf;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Google.Protobuf;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>The protobuf bridge is lossless for every scheduler call and event: our JSON → v1 binary → protobuf JSON → our parser
/// gives back the same call/event (64-bit integers come back as strings and the readers take both).</summary>
public sealed class ProtobufBridgeSpec
{
    private static readonly FrameworkId Fw = new("fw-1");
    private static readonly Guid Uuid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    private static SchedulerCall ThroughProtobuf(SchedulerCall call)
    {
        var json = SchedulerJson.WriteCall(call).ToJsonString();
        var bytes = ProtobufBridge.Encode(ProtobufBridge.Scheduler.Call, json);
        var typed = Mesos.V1.Scheduler.Call.Parser.ParseFrom(bytes);
        Assert.Equal(call.Type.Replace("_", ""), typed.Type.ToString().ToUpperInvariant());
        var parsed = SchedulerJson.ParseCall(ProtobufBridge.Decode(ProtobufBridge.Scheduler.Call, bytes));
        Assert.Equal(json, SchedulerJson.WriteCall(parsed).ToJsonString());
        return parsed;
    }

    private static object EventThroughProtobuf(object ev)
    {
        var json = SchedulerJson.WriteEvent(ev)!.ToJsonString();
        var bytes = ProtobufBridge.Encode(ProtobufBridge.Scheduler.Event, json);
        var parsed = SchedulerJson.ParseEvent(JsonNode.Parse(ProtobufBridge.Decode(ProtobufBridge.Scheduler.Event, bytes)));
        Assert.Equal(json, SchedulerJson.WriteEvent(parsed)!.ToJsonString());
        return parsed;
    }

    [Fact]
    public void Every_scheduler_call_survives_protobuf()
    {
        var info = new FrameworkInfo
        {
            Name = "pb", Id = Fw, User = "alice", FailoverTimeout = 60, Checkpoint = true, Roles = new[] { "ads", "web" },
            Capabilities = new[] { FrameworkCapabilities.MultiRole }, Hostname = "h", Principal = "p", Labels = new Dictionary<string, string> { ["a"] = "b" },
        };
        ThroughProtobuf(new SchedulerCall("SUBSCRIBE", Fw, new SubscribeCall(info, new[] { "ads" })));
        var task = new TaskInfo
        {
            Name = "web", TaskId = new TaskId("t1"), AgentId = new AgentId("agent-1"),
            Resources = Res.Parse("cpus:0.1;mem:32;ports:[31000-31001];cpus(ads):1;disks:{a,b}"),
            Command = new CommandInfo { Value = "echo hi", Shell = true, Arguments = new[] { "x" }, Environment = new Dictionary<string, string> { ["A"] = "1" } },
            Container = new ContainerInfo { DockerImage = "alpine:3" },
            KillGracePeriodSeconds = 2.5,
            Labels = new Dictionary<string, string> { ["k"] = "v" },
        };
        var accept = (AcceptOffers)ThroughProtobuf(new SchedulerCall("ACCEPT", Fw, new AcceptOffers(Fw, new[] { new OfferId("o1") },
            new OfferOperation[] { new LaunchOperation(new[] { task }) }, new Filters { RefuseSeconds = 7 }))).Body!;
        var back = Assert.IsType<LaunchOperation>(Assert.Single(accept.Operations)).TaskInfos.Single();
        Assert.Equal(task.Resources, back.Resources); // ports ranges are uint64: strings in protobuf JSON
        Assert.Equal(2.5, back.KillGracePeriodSeconds); // nanoseconds are int64: a string too
        ThroughProtobuf(new SchedulerCall("DECLINE", Fw, new DeclineOffers(Fw, new[] { new OfferId("o1") }, new Filters { RefuseSeconds = 120 })));
        ThroughProtobuf(new SchedulerCall("REVIVE", Fw, new ReviveOffers(Fw, new[] { "ads" })));
        ThroughProtobuf(new SchedulerCall("SUPPRESS", Fw, new SuppressOffers(Fw, null)));
        ThroughProtobuf(new SchedulerCall("KILL", Fw, new KillTask(Fw, new TaskId("t1"), new AgentId("a1"), 3)));
        var ack = (AcknowledgeStatus)ThroughProtobuf(new SchedulerCall("ACKNOWLEDGE", Fw, new AcknowledgeStatus(Fw, new AgentId("a1"), new TaskId("t1"), Uuid))).Body!;
        Assert.Equal(Uuid, ack.Uuid);
        ThroughProtobuf(new SchedulerCall("RECONCILE", Fw, new ReconcileTasks(Fw, new[] { new ReconcileTask(new TaskId("t1"), new AgentId("a1")) })));
        ThroughProtobuf(new SchedulerCall("TEARDOWN", Fw, new TeardownFramework(Fw)));
    }

    [Fact]
    public void Every_scheduler_event_survives_protobuf()
    {
        EventThroughProtobuf(new FrameworkSubscribed(Fw, Akka.Actor.ActorRefs.Nobody, 15, false));
        EventThroughProtobuf(new ResourceOffers(new[]
        {
            new Offer
            {
                Id = new OfferId("o1"), FrameworkId = Fw, AgentId = new AgentId("a1"), Hostname = "node1",
                Resources = Res.Parse("cpus:2;mem:1024;ports:[31000-32000];cpus(ads):1"), AllocationRole = "ads",
                Attributes = new Dictionary<string, string> { ["rack"] = "r1" },
            },
        }));
        EventThroughProtobuf(new OfferRescinded(new OfferId("o1")));
        EventThroughProtobuf(new TaskStatusUpdate(new TaskStatus
        {
            TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = new AgentId("a1"), ExecutorId = new ExecutorId("e1"),
            Message = "ok", Source = StatusSource.SOURCE_EXECUTOR, Reason = Reasons.Reconciliation, Uuid = Uuid, Timestamp = 1700000000.5, Healthy = true,
        }));
        EventThroughProtobuf(new FrameworkError("gone"));
        EventThroughProtobuf(SchedulerHeartbeat.Instance);
    }

    [Fact]
    public void Binary_fields_have_Mesos_numbers()
    {
        // Call{framework_id=1, type=2, acknowledge=8{agent_id=1, task_id=2, uuid=3}} as Mesos' scheduler.proto numbers them.
        var call = new Mesos.V1.Scheduler.Call
        {
            FrameworkId = new Mesos.V1.FrameworkID { Value = "f" },
            Type = Mesos.V1.Scheduler.Call.Types.Type.Acknowledge,
            Acknowledge = new Mesos.V1.Scheduler.Call.Types.Acknowledge
            {
                AgentId = new Mesos.V1.AgentID { Value = "a" }, TaskId = new Mesos.V1.TaskID { Value = "t" }, Uuid = ByteString.CopyFrom(new byte[] { 1 }),
            },
        };
        Assert.Equal(new byte[] { 0x0a, 3, 0x0a, 1, (byte)'f', 0x10, 8, 0x42, 13, 0x0a, 3, 0x0a, 1, (byte)'a', 0x12, 3, 0x0a, 1, (byte)'t', 0x1a, 1, 1 }, call.ToByteArray());
        Assert.Equal("""{ "framework_id": { "value": "f" }, "type": "ACKNOWLEDGE", "acknowledge": { "agent_id": { "value": "a" }, "task_id": { "value": "t" }, "uuid": "AQ==" } }""",
            ProtobufBridge.Formatter.Format(call));
    }

    [Theory]
    [InlineData("application/x-protobuf", true)]
    [InlineData("application/x-protobuf, application/json", true)]
    [InlineData("application/json, application/x-protobuf", false)]
    [InlineData("application/json", false)]
    [InlineData("*/*", false)]
    public void Accept_picks_the_first_named_encoding(string accept, bool protobuf) => Assert.Equal(protobuf, ProtobufBridge.AcceptsProtobuf(accept));

    [Fact]
    public void Drain_agent_grace_period_is_a_protobuf_Duration_as_in_Mesos()
    {
        var json = """{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a1"},"max_grace_period":"2.500s","mark_gone":true}}""";
        var call = Mesos.V1.Master.Call.Parser.ParseFrom(ProtobufBridge.Encode(ProtobufBridge.Operator.Call, json));
        Assert.Equal((2L, 500_000_000), (call.DrainAgent.MaxGracePeriod.Seconds, call.DrainAgent.MaxGracePeriod.Nanos));
    }
}
