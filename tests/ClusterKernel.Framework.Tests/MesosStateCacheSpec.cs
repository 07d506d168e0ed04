using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>/state rendered once per snapshot, re-rendering only what changed; its gzip form reuses unchanged pieces.</summary>
public sealed class MesosStateCacheSpec
{
    private const string Leader = "master@127.0.0.1:5050";

    /// <summary>The sample state with <paramref name="extra"/> more running tasks (enough for several gzip pieces).</summary>
    private static ClusterState Big(int extra)
    {
        var sample = MesosStateJsonSpec.SampleState();
        var fid = sample.Frameworks[0].Id;
        var more = Enumerable.Range(0, extra).Select(i => new TaskView(new TaskId($"bulk-{i}"), "bulk", fid, sample.Agents[0].Id,
            TaskState.TASK_RUNNING, Res.Parse("cpus:0.1;mem:32"),
            new[] { new TaskStatus { TaskId = new TaskId($"bulk-{i}"), State = TaskState.TASK_RUNNING, Timestamp = 1700000020 + i } }, null));
        return sample with { Tasks = sample.Tasks.Concat(more).ToArray() };
    }

    private static string Expected(ClusterState state) => JsonSerializer.Serialize(MesosStateJson.Map(state, Leader));
    private static string Text(RenderedState r) => Encoding.UTF8.GetString(r.Body, 0, r.Length);

    private static string Gunzip(byte[] gz)
    {
        using var z = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        using var reader = new StreamReader(z, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [Fact]
    public void An_idle_cache_lets_its_renderings_go_but_not_while_one_is_sent()
    {
        var cache = new MesosStateCache();
        var state = Big(10);
        var first = cache.Get(state, Leader);

        Assert.False(cache.DropIfIdle(DateTime.UtcNow.AddMinutes(-1)));   // read since then: kept
        using (cache.Rent(state, Leader)) Assert.False(cache.DropIfIdle(DateTime.UtcNow.AddMinutes(1)));   // being sent: kept
        Assert.Same(first, cache.Get(state, Leader));

        Assert.True(cache.DropIfIdle(DateTime.UtcNow.AddMinutes(1)));
        var again = cache.Get(state, Leader);
        Assert.NotSame(first, again);
        Assert.Equal(Expected(state), Text(again));
    }

    [Fact]
    public void The_same_snapshot_is_rendered_once()
    {
        var cache = new MesosStateCache();
        var state = Big(10);

        var first = cache.Get(state, Leader);

        Assert.Same(first, cache.Get(state, Leader));
        Assert.Equal(Expected(state), Text(first));
        Assert.Equal(0, first.Reused);
    }

    [Fact]
    public void A_changed_task_shows_in_the_next_rendering_and_unchanged_elements_are_copied()
    {
        var cache = new MesosStateCache();
        var state = Big(300);
        cache.Get(state, Leader);

        var tasks = state.Tasks.ToArray();
        var i = Array.FindIndex(tasks, t => t.Id.Value == "bulk-150");
        tasks[i] = tasks[i] with
        {
            State = TaskState.TASK_FAILED,
            Statuses = tasks[i].Statuses.Append(new TaskStatus { TaskId = tasks[i].Id, State = TaskState.TASK_FAILED, Timestamp = 1700009999, Message = "gone" }).ToArray(),
        };
        var next = state with { Tasks = tasks };
        var second = cache.Get(next, Leader);

        Assert.Equal(Expected(next), Text(second));
        Assert.Contains("\"gone\"", Text(second));
        var elements = next.Agents.Count + next.Tasks.Count + next.Offers.Count + next.Executors.Count;
        Assert.Equal((elements - 1, 1), (second.Reused, second.Rendered));
    }

    [Fact]
    public void Another_leader_name_renders_again_from_the_same_fragments()
    {
        var cache = new MesosStateCache();
        var state = Big(5);
        cache.Get(state, Leader);

        var other = cache.Get(state, "master@localhost:5050");

        Assert.Equal(JsonSerializer.Serialize(MesosStateJson.Map(state, "master@localhost:5050")), Text(other));
        Assert.Equal(0, other.Rendered);
    }

    [Fact]
    public void Gzip_form_decompresses_to_the_body_and_reuses_unchanged_pieces()
    {
        var cache = new MesosStateCache();
        var state = Big(1000);
        var first = cache.Get(state, Leader);
        var gz = cache.Gzip(first);
        Assert.Equal(Text(first), Gunzip(gz.Bytes)); // GZipStream checks the trailer's CRC-32 and length
        Assert.Same(gz, cache.Gzip(first));
        Assert.True(gz.Bytes.Length < first.Length / 4, $"{gz.Bytes.Length} of {first.Length}");

        var tasks = state.Tasks.ToArray();
        var i = Array.FindIndex(tasks, t => t.Id.Value == "bulk-500");
        tasks[i] = tasks[i] with { State = TaskState.TASK_KILLED };
        var next = state with { Tasks = tasks };
        var second = cache.Get(next, Leader);
        var gz2 = cache.Gzip(second);

        Assert.Equal(Expected(next), Gunzip(gz2.Bytes));
        // The killed task moves to completed_tasks, so the pieces of "tasks" from it on shift; those before it are reused.
        Assert.InRange(gz2.Reused, 1, gz2.Pieces - 1);
    }

    [Fact]
    public void A_task_written_directly_is_the_mapped_node_byte_for_byte()
    {
        var id = new TaskId("t \"quoted\" ü");
        var statuses = new[]
        {
            new TaskStatus { TaskId = id, State = TaskState.TASK_STARTING, Timestamp = 1700000000.125 },
            new TaskStatus { TaskId = id, State = TaskState.TASK_FAILED, Timestamp = 1700000001, Message = "exit <1>", Reason = "REASON_COMMAND_EXECUTOR_FAILED", Healthy = false, ExitCode = 1 },
        };
        foreach (var resources in new[] { "cpus:0.1;mem:32", "mem:64;foo:3;cpus(ads):1", "cpus:1;ports:[31000-31001]", "" })
            foreach (var image in new[] { null, "alpine:3" })
            {
                var t = new TaskView(id, "n/ä", new FrameworkId("fw"), new AgentId("a"), TaskState.TASK_FAILED,
                    resources == "" ? Res.Empty : Res.Parse(resources), statuses, image);
                var buffer = new System.Buffers.ArrayBufferWriter<byte>();
                using (var w = new Utf8JsonWriter(buffer)) MesosStateJson.WriteTask(w, t);
                Assert.Equal(MesosStateJson.Task(t).ToJsonString(), Encoding.UTF8.GetString(buffer.WrittenSpan));
            }
    }

    [Fact]
    public void Reused_bodies_still_give_each_snapshot_its_own_json()
    {
        var cache = new MesosStateCache();
        var state = Big(400);
        var held = cache.Rent(state, Leader); // a response still sending the first body: it must not be written over
        var heldText = Text(held.State);
        for (var round = 0; round < 6; round++)
        {
            var tasks = state.Tasks.ToArray();
            var i = Array.FindIndex(tasks, t => t.Id.Value == $"bulk-{round * 50}");
            tasks[i] = tasks[i] with { Name = $"renamed-{round}" };
            state = state with { Tasks = tasks };
            using var lease = cache.Rent(state, Leader);
            Assert.Equal(Expected(state), Text(lease.State));
            Assert.Equal(Expected(state), Gunzip(cache.Gzip(lease.State).Bytes));
        }
        Assert.Equal(heldText, Text(held.State));
        held.Dispose();
    }
}
