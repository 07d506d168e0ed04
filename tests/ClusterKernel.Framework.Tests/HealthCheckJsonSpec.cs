using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Api.Protobuf;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>TaskInfo.health_check in Mesos' v1 JSON and protobuf: names, defaults, field numbers, malformed input.</summary>
public sealed class HealthCheckJsonSpec
{
    private static readonly FrameworkId Fw = new("fw-1");

    private static string Accept(string healthCheck) => $$$"""
        {"framework_id":{"value":"fw-1"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"o1"}],"operations":[{"type":"LAUNCH","launch":{"task_infos":[
          {"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"a1"},
           "resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1}}],
           "command":{"value":"sleep 60"},
           "health_check":{{{healthCheck}}}}]}}]}}
        """;

    private static TaskInfo TaskOf(SchedulerCall call) =>
        ((LaunchOperation)((AcceptOffers)call.Body!).Operations.Single()).TaskInfos.Single();

    private static SchedulerCall AcceptWith(HealthCheck check) => new("ACCEPT", Fw, new AcceptOffers(Fw, new[] { new OfferId("o1") },
        new OfferOperation[]
        {
            new LaunchOperation(new[]
            {
                new TaskInfo
                {
                    Name = "t", TaskId = new TaskId("t1"), AgentId = new AgentId("a1"), Resources = Res.Parse("cpus:0.1"),
                    Command = new CommandInfo { Value = "sleep 60" }, HealthCheck = check,
                },
            }),
        }, new Filters()));

    [Fact]
    public void Mesos_json_health_check_parses_with_its_names()
    {
        var t = TaskOf(SchedulerJson.ParseCall(Accept("""
            {"type":"HTTP","http":{"scheme":"http","port":8080,"path":"/health","statuses":[200,204]},
             "delay_seconds":0.5,"interval_seconds":0.25,"timeout_seconds":2,"consecutive_failures":2,"grace_period_seconds":0}
            """)));
        var hc = Assert.IsType<HealthCheck>(t.HealthCheck);
        Assert.Equal(HealthCheckType.HTTP, hc.Type);
        Assert.Equal((8080, "http", "/health"), (hc.Http!.Port, hc.Http.Scheme, hc.Http.Path));
        Assert.Equal(new[] { 200, 204 }, hc.Http.Statuses);
        Assert.Equal((0.5, 0.25, 2.0, 2, 0.0), (hc.DelaySeconds, hc.IntervalSeconds, hc.TimeoutSeconds, hc.ConsecutiveFailures, hc.GracePeriodSeconds));
        Assert.Null(hc.Validate());
    }

    [Fact]
    public void Absent_fields_take_Mesos_defaults()
    {
        var hc = TaskOf(SchedulerJson.ParseCall(Accept("""{"type":"TCP","tcp":{"port":9000}}"""))).HealthCheck!;
        Assert.Equal((15.0, 10.0, 20.0, 3, 10.0), (hc.DelaySeconds, hc.IntervalSeconds, hc.TimeoutSeconds, hc.ConsecutiveFailures, hc.GracePeriodSeconds));
        Assert.Equal(9000, hc.Tcp!.Port);
        Assert.Null(TaskOf(SchedulerJson.ParseCall(Accept("null"))).HealthCheck);
    }

    public static TheoryData<HealthCheck> Checks => new()
    {
        new HealthCheck { Type = HealthCheckType.HTTP, Http = new HttpCheckInfo { Port = 8080, Scheme = "https", Path = "/h", Statuses = new[] { 200 } }, DelaySeconds = 0.1 },
        new HealthCheck { Type = HealthCheckType.TCP, Tcp = new TcpCheckInfo { Port = 1 }, ConsecutiveFailures = 7, GracePeriodSeconds = 0 },
        new HealthCheck
        {
            Type = HealthCheckType.COMMAND, TimeoutSeconds = 0,
            Command = new CommandInfo { Value = "test -f ready", Environment = new Dictionary<string, string> { ["A"] = "b" } },
        },
    };

    [Theory]
    [MemberData(nameof(Checks))]
    public void Health_checks_round_trip_through_json_and_protobuf(HealthCheck check)
    {
        var call = AcceptWith(check);
        var json = SchedulerJson.WriteCall(call).ToJsonString();
        var back = TaskOf(SchedulerJson.ParseCall(json)).HealthCheck!;
        Assert.Equal(SchedulerJson.WriteHealthCheck(check).ToJsonString(), SchedulerJson.WriteHealthCheck(back).ToJsonString());

        var bytes = ProtobufBridge.Encode(ProtobufBridge.Scheduler.Call, json);
        var typed = Mesos.V1.Scheduler.Call.Parser.ParseFrom(bytes);
        Assert.Equal((int)check.Type, (int)typed.Accept.Operations[0].Launch.TaskInfos[0].HealthCheck.Type);
        var viaProtobuf = SchedulerJson.ParseCall(ProtobufBridge.Decode(ProtobufBridge.Scheduler.Call, bytes));
        Assert.Equal(json, SchedulerJson.WriteCall(viaProtobuf).ToJsonString());
    }

    [Fact]
    public void Protobuf_field_numbers_are_Mesos_numbers()
    {
        Assert.Equal(8, Mesos.V1.TaskInfo.Descriptor.FindFieldByName("health_check").FieldNumber);
        var d = Mesos.V1.HealthCheck.Descriptor;
        Assert.Equal(
            new[] { ("http", 1), ("delay_seconds", 2), ("interval_seconds", 3), ("timeout_seconds", 4), ("consecutive_failures", 5),
                ("grace_period_seconds", 6), ("command", 7), ("type", 8), ("tcp", 9) },
            d.Fields.InFieldNumberOrder().Select(f => (f.Name, f.FieldNumber)).ToArray());
        var http = Mesos.V1.HealthCheck.Types.HTTPCheckInfo.Descriptor;
        Assert.Equal(new[] { ("port", 1), ("path", 2), ("scheme", 3), ("statuses", 4) },
            http.Fields.InFieldNumberOrder().Select(f => (f.Name, f.FieldNumber)).ToArray());
        Assert.Equal(29, (int)Mesos.V1.TaskStatus.Types.Reason.TaskHealthCheckStatusUpdated);
    }

    [Theory]
    [InlineData("""{"type":"HTTP","http":{"path":"/"}}""", "'task_info.health_check.http.port' is required")]
    [InlineData("""{"type":"HTTP","http":{"port":70000}}""", "must be a port from 1 to 65535")]
    [InlineData("""{"type":"PING"}""", "unknown health check type 'PING'")]
    [InlineData("""{"type":"TCP","tcp":{"port":80},"consecutive_failures":-1}""", "must be a whole non-negative number")]
    [InlineData("""{"type":"TCP","tcp":{"port":80},"interval_seconds":"often"}""", "must be a number")]
    public void Malformed_health_checks_are_refused_with_a_clear_message(string healthCheck, string message)
    {
        var e = Assert.Throws<SchedulerJsonException>(() => SchedulerJson.ParseTaskInfo(JsonNode.Parse($$$"""
            {"name":"t","task_id":{"value":"t1"},"agent_id":{"value":"a1"},"command":{"value":"x"},"health_check":{{{healthCheck}}}}
            """)!.AsObject()));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Negative_durations_parse_but_fail_Mesos_validation()
    {
        var hc = SchedulerJson.ParseHealthCheck(JsonNode.Parse("""{"type":"TCP","tcp":{"port":80},"interval_seconds":-1}""")!);
        Assert.Equal("Expecting 'interval_seconds' to be non-negative", hc.Validate());
    }

    [Theory]
    [MemberData(nameof(Checks))]
    public void Health_checks_survive_the_cluster_wire_and_checkpoint_json(HealthCheck check)
    {
        var options = ClusterKernel.Protocol.Serialization.Json.CreateOptions();
        var task = TaskOf(AcceptWith(check));
        var back = System.Text.Json.JsonSerializer.Deserialize<TaskInfo>(System.Text.Json.JsonSerializer.Serialize(task, options), options)!;
        Assert.Equal(SchedulerJson.WriteTaskInfo(task).ToJsonString(), SchedulerJson.WriteTaskInfo(back).ToJsonString());
    }
}
