using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>GET_STATE rendered once per snapshot through the /state cache (GetStateWriter): every answer, cached or
/// incremental, is byte for byte the node tree OperatorJson.GetState serialized, as GET_STATE was answered before.</summary>
public sealed class GetStateCacheSpec
{
    private static readonly MaintenanceView None = new(Array.Empty<string>(), Array.Empty<AgentId>(), Array.Empty<AgentId>(), Array.Empty<AgentId>());

    private static ClusterState Big(int extra)
    {
        var sample = MesosStateJsonSpec.SampleState();
        var fid = sample.Frameworks[0].Id;
        var more = Enumerable.Range(0, extra).Select(i => new TaskView(new TaskId($"bulk-{i}"), "bulk", fid, sample.Agents[i % 2].Id,
            TaskState.TASK_RUNNING, Res.Parse("cpus:0.1;mem:32"),
            new[] { new TaskStatus { TaskId = new TaskId($"bulk-{i}"), State = TaskState.TASK_RUNNING, Timestamp = 1700000020 + i } }, null));
        var gone = new FrameworkView(new FrameworkId("fw-old"), "old \"one\"", new[] { "ads" }, false, false, 0, Res.Empty, Res.Empty, 1700000004, 1700000050);
        return sample with
        {
            Tasks = sample.Tasks.Concat(more).ToArray(),
            CompletedFrameworks = new[]
            {
                new CompletedFrameworkView(gone, new[] { new TaskView(new TaskId("old-1"), "o", gone.Id, sample.Agents[1].Id, TaskState.TASK_KILLED, Res.Parse("cpus:1"), Array.Empty<TaskStatus>(), null) }),
            },
        };
    }

    /// <summary>GET_STATE as it was answered before the cache: the node tree, serialized.</summary>
    private static string Fresh(ClusterState s, MaintenanceView? m) =>
        new JsonObject { ["type"] = "GET_STATE", ["get_state"] = OperatorJson.GetState(s, m) }.ToJsonString();

    private static string Text(RenderedState r) => Encoding.UTF8.GetString(r.Body, 0, r.Length);

    [Fact]
    public void The_cached_answer_equals_a_fresh_rendering_after_each_change()
    {
        var cache = GetStateWriter.Cache();
        var state = Big(400);
        var first = cache.Get(state, GetStateWriter.Variant(None));
        Assert.Equal(Fresh(state, None), Text(first));
        Assert.Same(first, cache.Get(state, GetStateWriter.Variant(None)));

        // A task fails, another becomes unreachable, one is added; agent-1 gets a new view.
        var tasks = state.Tasks.ToList();
        var i = tasks.FindIndex(t => t.Id.Value == "bulk-150");
        tasks[i] = tasks[i] with
        {
            State = TaskState.TASK_FAILED,
            Statuses = tasks[i].Statuses.Append(new TaskStatus { TaskId = tasks[i].Id, State = TaskState.TASK_FAILED, Timestamp = 1700009999, Message = "gone" }).ToArray(),
        };
        var j = tasks.FindIndex(t => t.Id.Value == "bulk-7");
        tasks[j] = tasks[j] with { State = TaskState.TASK_UNREACHABLE };
        tasks.Add(tasks[0] with { Id = new TaskId("new-1"), State = TaskState.TASK_STAGING, Statuses = Array.Empty<TaskStatus>() });
        var agents = state.Agents.ToArray();
        agents[0] = agents[0] with { Used = Res.Parse("cpus:2;mem:512") };
        var next = state with { Tasks = tasks, Agents = agents, Timestamp = state.Timestamp + 1 };

        var second = cache.Get(next, GetStateWriter.Variant(None));
        Assert.Equal(Fresh(next, None), Text(second));
        Assert.Equal(3 + 1, second.Rendered); // the three tasks and the agent; everything else copied
        Assert.True(second.Reused > 400, $"{second.Reused} copied");

        // An operator deactivates agent-2 and drains agent-1 (the snapshot is the same): the agents are mapped again.
        var maintenance = new MaintenanceView(new[] { "node9" }, new[] { new AgentId("agent-2") }, new[] { new AgentId("agent-1") }, new[] { new AgentId("agent-0") });
        var third = cache.Get(next, GetStateWriter.Variant(maintenance));
        Assert.Equal(Fresh(next, maintenance), Text(third));
        Assert.Equal(next.Agents.Count, third.Rendered);

        // And back: still equal to a fresh rendering.
        Assert.Equal(Fresh(next, None), Text(cache.Get(next, GetStateWriter.Variant(None))));
    }

    [Fact]
    public void Protobuf_built_per_element_equals_the_bridge_encoding_of_the_whole_answer_after_changes()
    {
        static byte[] Bridge(ClusterState s, MaintenanceView? m) =>
            ClusterKernel.Api.Protobuf.ProtobufBridge.Encode(ClusterKernel.Api.Protobuf.ProtobufBridge.Operator.Response!, Fresh(s, m));
        var cache = GetStateWriter.Cache();
        var state = Big(300);
        var first = ClusterKernel.Api.Protobuf.GetStateProtobuf.Build(cache.Get(state, GetStateWriter.Variant(None)), null);
        Assert.Equal(Bridge(state, None), first.Bytes);

        var tasks = state.Tasks.ToArray();
        tasks[5] = tasks[5] with { State = TaskState.TASK_KILLED };
        tasks[9] = tasks[9] with { State = TaskState.TASK_UNREACHABLE };
        var next = state with { Tasks = tasks };
        var second = ClusterKernel.Api.Protobuf.GetStateProtobuf.Build(cache.Get(next, GetStateWriter.Variant(None)), first);
        Assert.Equal(Bridge(next, None), second.Bytes);
        Assert.Equal(2, second.Encoded);

        var drained = new MaintenanceView(Array.Empty<string>(), Array.Empty<AgentId>(), new[] { new AgentId("agent-2") }, Array.Empty<AgentId>());
        var third = ClusterKernel.Api.Protobuf.GetStateProtobuf.Build(cache.Get(next, GetStateWriter.Variant(drained)), second);
        Assert.Equal(Bridge(next, drained), third.Bytes);
        Assert.Equal(next.Agents.Count, third.Encoded);
    }

    [Fact]
    public void Gzip_form_of_get_state_decompresses_to_the_answer()
    {
        var cache = GetStateWriter.Cache();
        var state = Big(1000);
        var rendered = cache.Get(state, GetStateWriter.Variant(None));
        using var z = new GZipStream(new MemoryStream(cache.Gzip(rendered).Bytes), CompressionMode.Decompress);
        Assert.Equal(Fresh(state, None), new StreamReader(z, Encoding.UTF8).ReadToEnd());
    }

    [Fact]
    public void A_maintenance_view_without_agents_renders_as_none()
    {
        Assert.Equal(Fresh(Big(3), null), Text(GetStateWriter.Cache().Get(Big(3), GetStateWriter.Variant(null))));
        Assert.Equal(GetStateWriter.Variant(None), GetStateWriter.Variant(None with { GoneAgents = new[] { new AgentId("x") } }));
    }
}
