using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

public sealed class SchedulerJsonSpec
{
    private static readonly FrameworkId Fw = new("fw-1");
    private static readonly Guid Uuid = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    private static TaskInfo SampleTask() => new()
    {
        Name = "web",
        TaskId = new TaskId("t1"),
        AgentId = new AgentId("agent-1"),
        Resources = Res.Parse("cpus:0.1;mem:32;ports:[31000-31001];cpus(ads):1;disks:{a,b}"),
        Command = new CommandInfo { Value = "echo hi", Shell = true, Arguments = new[] { "x" }, Environment = new Dictionary<string, string> { ["A"] = "1" } },
        Container = new ContainerInfo { DockerImage = "alpine:3" },
        KillGracePeriodSeconds = 2.5,
        Labels = new Dictionary<string, string> { ["k"] = "v" },
    };

    /// <summary>Write, serialise, parse, write again: the two JSON texts match.</summary>
    private static SchedulerCall RoundTrip(SchedulerCall call)
    {
        var json = SchedulerJson.WriteCall(call).ToJsonString();
        var parsed = SchedulerJson.ParseCall(json);
        Assert.Equal(json, SchedulerJson.WriteCall(parsed).ToJsonString());
        Assert.Equal(call.Type, parsed.Type);
        Assert.Equal(call.FrameworkId, parsed.FrameworkId);
        return parsed;
    }

    private static object RoundTripEvent(object ev)
    {
        var json = SchedulerJson.WriteEvent(ev)!.ToJsonString();
        var parsed = SchedulerJson.ParseEvent(JsonNode.Parse(json));
        Assert.Equal(json, SchedulerJson.WriteEvent(parsed)!.ToJsonString());
        return parsed;
    }

    [Fact]
    public void Every_call_round_trips()
    {
        var info = new FrameworkInfo
        {
            Name = "py", Id = Fw, User = "alice", FailoverTimeout = 60, Checkpoint = true, Roles = new[] { "ads", "web" },
            Capabilities = new[] { FrameworkCapabilities.MultiRole }, Hostname = "h", Principal = "p", Labels = new Dictionary<string, string> { ["a"] = "b" },
        };
        var sub = (SubscribeCall)RoundTrip(new SchedulerCall("SUBSCRIBE", Fw, new SubscribeCall(info, new[] { "ads" }))).Body!;
        Assert.Equal(new[] { "ads", "web" }, sub.Info.Roles);
        Assert.Equal(60, sub.Info.FailoverTimeout);
        Assert.Equal(new[] { "ads" }, sub.SuppressedRoles);

        var accept = (AcceptOffers)RoundTrip(new SchedulerCall("ACCEPT", Fw, new AcceptOffers(Fw, new[] { new OfferId("o1") },
            new OfferOperation[] { new LaunchOperation(new[] { SampleTask() }) }, new Filters { RefuseSeconds = 7 }))).Body!;
        var task = Assert.IsType<LaunchOperation>(Assert.Single(accept.Operations)).TaskInfos.Single();
        Assert.Equal(SampleTask().Resources, task.Resources);
        Assert.Equal("alpine:3", task.Container!.DockerImage);
        Assert.Equal(2.5, task.KillGracePeriodSeconds);
        Assert.Equal("1", task.Command!.Environment["A"]);
        Assert.Equal(7, accept.Filters!.RefuseSeconds);

        RoundTrip(new SchedulerCall("DECLINE", Fw, new DeclineOffers(Fw, new[] { new OfferId("o1"), new OfferId("o2") }, new Filters { RefuseSeconds = 120 })));
        RoundTrip(new SchedulerCall("REVIVE", Fw, new ReviveOffers(Fw, new[] { "ads" })));
        RoundTrip(new SchedulerCall("SUPPRESS", Fw, new SuppressOffers(Fw, null)));
        var kill = (KillTask)RoundTrip(new SchedulerCall("KILL", Fw, new KillTask(Fw, new TaskId("t1"), new AgentId("a1"), 3))).Body!;
        Assert.Equal(3, kill.GracePeriodSeconds);
        var ack = (AcknowledgeStatus)RoundTrip(new SchedulerCall("ACKNOWLEDGE", Fw, new AcknowledgeStatus(Fw, new AgentId("a1"), new TaskId("t1"), Uuid))).Body!;
        Assert.Equal(Uuid, ack.Uuid);
        RoundTrip(new SchedulerCall("RECONCILE", Fw, new ReconcileTasks(Fw, new[] { new ReconcileTask(new TaskId("t1"), new AgentId("a1")), new ReconcileTask(new TaskId("t2"), null) })));
        RoundTrip(new SchedulerCall("TEARDOWN", Fw, new TeardownFramework(Fw)));
    }

    [Fact]
    public void Mesos_documentation_calls_parse()
    {
        // The shapes of docs/scheduler-http-api.md.
        var sub = SchedulerJson.ParseCall("""
            {"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"foo","name":"Example HTTP Framework","roles":["test"],
             "capabilities":[{"type":"MULTI_ROLE"}]}}}
            """);
        var info = ((SubscribeCall)sub.Body!).Info;
        Assert.Equal("Example HTTP Framework", info.Name);
        Assert.Equal(new[] { "test" }, info.Roles);
        Assert.True(info.Has(FrameworkCapabilities.MultiRole));
        Assert.Null(info.Id);

        var legacy = ((SubscribeCall)SchedulerJson.ParseCall("""{"type":"SUBSCRIBE","framework_id":{"value":"f"},"subscribe":{"framework_info":{"user":"u","name":"n","role":"ads","id":{"value":"f"}}}}""").Body!).Info;
        Assert.Equal(new[] { "ads" }, legacy.Roles);
        Assert.Equal(new FrameworkId("f"), legacy.Id);

        var accept = SchedulerJson.ParseCall("""
            {"framework_id":{"value":"12220-3440-12532-2345"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"12220-3440-12532-O12"}],
             "operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"My Task","task_id":{"value":"12220-3440-12532-my-task"},
               "agent_id":{"value":"12220-3440-12532-S1233"},"command":{"shell":true,"value":"sleep 1000"},
               "resources":[{"allocation_info":{"role":"engineering"},"name":"cpus","role":"*","type":"SCALAR","scalar":{"value":1.0}},
                            {"allocation_info":{"role":"engineering"},"name":"mem","role":"*","type":"SCALAR","scalar":{"value":128.0}},
                            {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31001}]},"reservations":[{"type":"DYNAMIC","role":"ads"}]}],
               "container":{"type":"MESOS","mesos":{"image":{"type":"DOCKER","docker":{"name":"alpine:3"}}}},
               "kill_policy":{"grace_period":{"nanoseconds":"5000000000"}}}]}}],
             "filters":{"refuse_seconds":5.0}}}
            """);
        var a = (AcceptOffers)accept.Body!;
        var t = ((LaunchOperation)a.Operations.Single()).TaskInfos.Single();
        Assert.Equal(new FrameworkId("12220-3440-12532-2345"), a.FrameworkId);
        Assert.Equal(new OfferId("12220-3440-12532-O12"), a.OfferIds.Single());
        Assert.Equal("sleep 1000", t.Command!.Value);
        Assert.Equal(Res.Parse("cpus:1;mem:128;ports(ads):[31000-31001]").Select(r => r.Role), t.Resources.Select(r => r.Role));
        Assert.Equal(ClusterKernel.Resources.ReservationInfo.Dynamic, t.Resources.Single(r => r.IsReserved).Reservations.Single().Type);
        Assert.Equal("alpine:3", t.Container!.DockerImage);
        Assert.Equal(5, t.KillGracePeriodSeconds);
        Assert.Equal(5, a.Filters!.RefuseSeconds);

        var ack = (AcknowledgeStatus)SchedulerJson.ParseCall("""
            {"framework_id":{"value":"f"},"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"jhadf73jhakdlfha723adf"}}
            """.Replace("jhadf73jhakdlfha723adf", SchedulerJson.WriteUuid(Uuid))).Body!;
        Assert.Equal(Uuid, ack.Uuid);

        var implicitReconcile = (ReconcileTasks)SchedulerJson.ParseCall("""{"framework_id":{"value":"f"},"type":"RECONCILE","reconcile":{"tasks":[]}}""").Body!;
        Assert.Empty(implicitReconcile.Tasks);
        var revive = (ReviveOffers)SchedulerJson.ParseCall("""{"framework_id":{"value":"f"},"type":"REVIVE"}""").Body!;
        Assert.Null(revive.Roles);
        Assert.Null(SchedulerJson.ParseCall("""{"framework_id":{"value":"f"},"type":"REQUEST","request":{"requests":[]}}""").Body);
    }

    [Fact]
    public void Uuids_are_base64_of_the_16_big_endian_bytes()
    {
        Assert.Equal("ABEiM0RVZneImaq7zN3u/w==", SchedulerJson.WriteUuid(Uuid));
        Assert.Equal(Uuid, SchedulerJson.ParseUuid("ABEiM0RVZneImaq7zN3u/w=="));
    }

    [Theory]
    [InlineData("{", "Malformed JSON")]
    [InlineData("[]", "'call' must be an object")]
    [InlineData("""{"framework_id":{"value":"f"}}""", "'call.type' is required")]
    [InlineData("""{"type":"FLY","framework_id":{"value":"f"}}""", "Unknown call type 'FLY'")]
    [InlineData("""{"type":"DECLINE","decline":{"offer_ids":[]}}""", "needs 'framework_id'")]
    [InlineData("""{"type":"DECLINE","framework_id":{"value":"f"}}""", "'call.decline' is required")]
    [InlineData("""{"type":"DECLINE","framework_id":{"value":"f"},"decline":{"offer_ids":[{"id":"x"}]}}""", "'decline.offer_ids[0].value' is required")]
    [InlineData("""{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u"}}}""", "'subscribe.framework_info.name' is required")]
    [InlineData("""{"type":"SUBSCRIBE","framework_id":{"value":"a"},"subscribe":{"framework_info":{"name":"n","id":{"value":"b"}}}}""", "differs from")]
    [InlineData("""{"type":"ACKNOWLEDGE","framework_id":{"value":"f"},"acknowledge":{"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"AAAA"}}""", "expected 16 bytes")]
    [InlineData("""{"type":"ACCEPT","framework_id":{"value":"f"},"accept":{"offer_ids":[{"value":"o"}],"operations":[{"type":"GROW_VOLUME","grow_volume":{}}]}}""", "GROW_VOLUME is not supported")]
    [InlineData("""{"type":"ACCEPT","framework_id":{"value":"f"},"accept":{"offer_ids":[{"value":"o"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"n","task_id":{"value":"t"},"agent_id":{"value":"a"},"command":{"value":"x"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":"lots"}}]}]}}]}}""", "'accept.operations[0].launch.task_infos[0].resources[0].scalar.value' must be a number")]
    public void Invalid_calls_say_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<SchedulerJsonException>(() => SchedulerJson.ParseCall(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Every_event_round_trips()
    {
        var subscribed = (FrameworkSubscribed)RoundTripEvent(new FrameworkSubscribed(Fw, Akka.Actor.ActorRefs.Nobody, 15, false));
        Assert.Equal(Fw, subscribed.FrameworkId);
        Assert.Equal(15, subscribed.HeartbeatIntervalSeconds);

        var offer = new Offer
        {
            Id = new OfferId("o1"), FrameworkId = Fw, AgentId = new AgentId("a1"), Hostname = "node1",
            Resources = Res.Parse("cpus:2;mem:1024;ports:[31000-32000];cpus(ads):1"), AllocationRole = "ads",
            Attributes = new Dictionary<string, string> { ["rack"] = "r1" },
        };
        var offers = (ResourceOffers)RoundTripEvent(new ResourceOffers(new[] { offer }));
        var back = offers.Offers.Single();
        Assert.Equal(offer.Resources, back.Resources);
        Assert.Equal("ads", back.AllocationRole);
        Assert.Equal("r1", back.Attributes["rack"]);

        Assert.Equal(new OfferId("o1"), ((OfferRescinded)RoundTripEvent(new OfferRescinded(new OfferId("o1")))).OfferId);

        var status = new TaskStatus
        {
            TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = new AgentId("a1"), ExecutorId = new ExecutorId("e1"),
            Message = "ok", Source = StatusSource.SOURCE_EXECUTOR, Reason = Reasons.Reconciliation, Uuid = Uuid, Timestamp = 1700000000.5, Healthy = true,
        };
        var update = ((TaskStatusUpdate)RoundTripEvent(new TaskStatusUpdate(status))).Status;
        Assert.Equal(status with { ExitCode = null }, update);

        Assert.Equal("gone", ((FrameworkError)RoundTripEvent(new FrameworkError("gone"))).Message);
        Assert.Same(SchedulerHeartbeat.Instance, RoundTripEvent(SchedulerHeartbeat.Instance));
    }

    [Fact]
    public void Events_have_Mesos_field_names()
    {
        var status = new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_FINISHED, AgentId = new AgentId("a1"), Uuid = Uuid, Timestamp = 1 };
        var json = SchedulerJson.WriteEvent(new TaskStatusUpdate(status))!;
        Assert.Equal("UPDATE", (string?)json["type"]);
        Assert.Equal("TASK_FINISHED", (string?)json["update"]!["status"]!["state"]);
        Assert.Equal("SOURCE_AGENT", (string?)json["update"]!["status"]!["source"]);
        Assert.Equal("a1", (string?)json["update"]!["status"]!["agent_id"]!["value"]);
        Assert.Equal("ABEiM0RVZneImaq7zN3u/w==", (string?)json["update"]!["status"]!["uuid"]);

        var sub = SchedulerJson.WriteEvent(new FrameworkSubscribed(Fw, Akka.Actor.ActorRefs.Nobody, 15, false), heartbeatIntervalSeconds: 1)!;
        Assert.Equal("""{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"fw-1"},"heartbeat_interval_seconds":1}}""", sub.ToJsonString());

        var offer = SchedulerJson.WriteOffer(new Offer
        {
            Id = new OfferId("o1"), FrameworkId = Fw, AgentId = new AgentId("a1"), Hostname = "h", Resources = Res.Parse("cpus(ads):1"), AllocationRole = "ads",
        });
        var cpus = offer["resources"]![0]!;
        Assert.Equal("SCALAR", (string?)cpus["type"]);
        Assert.Equal(1.0, (double)cpus["scalar"]!["value"]!);
        Assert.Equal("ads", (string?)cpus["reservations"]![0]!["role"]);
        Assert.Equal("ads", (string?)cpus["allocation_info"]!["role"]);
        Assert.Equal("ads", (string?)offer["allocation_info"]!["role"]);
    }
}
