using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>FrameworkInfo.task_shapes (ClusterKernel extension) in v1 JSON: parse, write, validation; absent for Mesos clients.</summary>
public sealed class TaskShapesJsonSpec
{
    private const string Subscribe = """
        {"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n","roles":["web"],"task_shapes":[
          {"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},{"name":"mem","type":"SCALAR","scalar":{"value":128}}],"count":4},
          {"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":2}}]}]}}}
        """;

    [Fact]
    public void Task_shapes_parse_and_write_back_the_same()
    {
        var call = SchedulerJson.ParseCall(Subscribe);
        var info = ((SubscribeCall)call.Body!).Info;
        Assert.Equal(2, info.TaskShapes.Count);
        Assert.Equal((0.5, 128.0, 4), (info.TaskShapes[0].Resources.Scalar("cpus"), info.TaskShapes[0].Resources.Scalar("mem"), info.TaskShapes[0].Count));
        Assert.Equal((2.0, 1), (info.TaskShapes[1].Resources.Scalar("cpus"), info.TaskShapes[1].Count));

        var json = SchedulerJson.WriteCall(call).ToJsonString();
        Assert.Equal(json, SchedulerJson.WriteCall(SchedulerJson.ParseCall(json)).ToJsonString());
        var shapes = JsonNode.Parse(json)!["subscribe"]!["framework_info"]!["task_shapes"]!.AsArray();
        Assert.Equal((4, 1), ((int)shapes[0]!["count"]!, (int)shapes[1]!["count"]!));

        var update = new UpdateFramework(new FrameworkId("f"), info with { Id = new FrameworkId("f") });
        var back = (UpdateFramework)SchedulerJson.ParseCall(SchedulerJson.WriteCall(new SchedulerCall("UPDATE_FRAMEWORK", update.FrameworkId, update)).ToJsonString()).Body!;
        Assert.Equal(4, back.Info.TaskShapes[0].Count);
    }

    [Fact]
    public void Without_task_shapes_the_FrameworkInfo_is_plain_Mesos()
    {
        var info = new FrameworkInfo { Name = "n" };
        Assert.Null(SchedulerJson.WriteFrameworkInfo(info)["task_shapes"]);
        Assert.Empty(SchedulerJson.ParseFrameworkInfo(JsonNode.Parse("""{"name":"n","task_shapes":[]}""")!.AsObject()).TaskShapes);
    }

    [Theory]
    [InlineData("""[{"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}],"count":0}]""", "task_shapes[0].count")]
    [InlineData("""[{"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}],"count":1.5}]""", "task_shapes[0].count")]
    [InlineData("""[{"resources":[]}]""", "task_shapes[0].resources")]
    [InlineData("""[{"count":1}]""", "task_shapes[0].resources")]
    [InlineData("""{"resources":[]}""", "task_shapes")]
    public void Bad_task_shapes_are_refused_naming_the_field(string shapes, string field)
    {
        var e = Assert.Throws<SchedulerJsonException>(() => SchedulerJson.ParseFrameworkInfo(JsonNode.Parse($$"""{"name":"n","task_shapes":{{shapes}}}""")!.AsObject()));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void The_record_validation_matches()
    {
        Assert.Null(TaskShape.Validate(new[] { new TaskShape(Res.Parse("cpus:1")) }));
        Assert.NotNull(TaskShape.Validate(new[] { new TaskShape(Res.Parse("cpus:1"), TaskShape.MaxCount + 1) }));
        Assert.NotNull(TaskShape.Validate(new[] { new TaskShape(Res.Empty) }));
    }
}
