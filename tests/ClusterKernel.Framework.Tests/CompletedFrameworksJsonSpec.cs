using System.Text;
using System.Text.Json;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>Removed frameworks in /state `completed_frameworks` (v0 names, as active frameworks) and in GET_FRAMEWORKS
/// `completed_frameworks` / GET_TASKS `completed_tasks` (v1 names), as Mesos' master writes them.</summary>
public sealed class CompletedFrameworksJsonSpec
{
    private static ClusterState State()
    {
        var gone = new FrameworkId("fw-gone");
        var killed = new TaskStatus { TaskId = new TaskId("g1"), State = TaskState.TASK_KILLED, Reason = Reasons.FrameworkRemoved, Timestamp = 1700000200 };
        return MesosStateJsonSpec.SampleState() with
        {
            CompletedFrameworks = new[]
            {
                new CompletedFrameworkView(new FrameworkView(gone, "old-fw", new[] { "web" }, false, false, 0, Res.Empty, Res.Empty, 1700000050, 1700000200),
                    new[] { new TaskView(new TaskId("g1"), "g1", gone, new AgentId("agent-1"), TaskState.TASK_KILLED, Res.Parse("cpus:1"), new[] { killed }, null) }),
            },
        };
    }

    [Fact]
    public void State_lists_them_under_completed_frameworks_with_their_completed_tasks()
    {
        var json = MesosStateJson.Map(State());
        var f = Assert.Single(json["completed_frameworks"]!.AsArray())!;
        Assert.Equal(("fw-gone", "old-fw", false, false, 1700000200.0), ((string?)f["id"], (string?)f["name"], (bool)f["active"]!, (bool)f["connected"]!, (double)f["unregistered_time"]!));
        Assert.Empty(f["tasks"]!.AsArray());
        var task = Assert.Single(f["completed_tasks"]!.AsArray())!;
        Assert.Equal(("g1", "TASK_KILLED"), ((string?)task["id"], (string?)task["state"]));
        Assert.Equal("fw-1", (string?)json["frameworks"]![0]!["id"]); // the active ones stay where they were
    }

    [Fact]
    public async Task The_streamed_state_writes_them_the_same()
    {
        var state = State();
        using var body = new MemoryStream();
        await MesosStateWriter.WriteAsync(body, state, null);
        Assert.Equal(JsonSerializer.Serialize(MesosStateJson.Map(state, null)), Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public void Get_frameworks_and_get_tasks_carry_them_with_v1_names()
    {
        var frameworks = OperatorJson.GetFrameworks(State());
        var f = Assert.Single(frameworks["completed_frameworks"]!.AsArray())!;
        Assert.Equal("fw-gone", (string?)f["framework_info"]!["id"]!["value"]);
        Assert.False((bool)f["active"]!);
        Assert.Single(frameworks["frameworks"]!.AsArray());
        var tasks = OperatorJson.GetTasks(State())["completed_tasks"]!.AsArray();
        Assert.Contains(tasks, t => (string?)t!["task_id"]!["value"] == "g1" && (string?)t["state"] == "TASK_KILLED");
    }
}
