using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Http;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>/state's choice of rendering (freshness bound), background rendering, and the sliced body write.</summary>
public sealed class MesosStateEndpointSpec
{
    private const string Leader = "master@127.0.0.1:5050";

    private static ClusterState Big(int extra, double timestamp)
    {
        var sample = MesosStateJsonSpec.SampleState();
        var fid = sample.Frameworks[0].Id;
        var more = Enumerable.Range(0, extra).Select(i => new TaskView(new TaskId($"bulk-{i}"), "bulk", fid, sample.Agents[0].Id,
            TaskState.TASK_RUNNING, Res.Parse("cpus:0.1;mem:32"),
            new[] { new TaskStatus { TaskId = new TaskId($"bulk-{i}"), State = TaskState.TASK_RUNNING, Timestamp = 1700000020 + i } }, null));
        return sample with { Tasks = sample.Tasks.Concat(more).ToArray(), Timestamp = timestamp };
    }

    /// <summary>A new snapshot <paramref name="seconds"/> later in which task bulk-<paramref name="changed"/> was renamed.</summary>
    private static ClusterState Next(ClusterState s, double seconds, int changed)
    {
        var tasks = s.Tasks.ToArray();
        var i = Array.FindIndex(tasks, t => t.Id.Value == $"bulk-{changed}");
        tasks[i] = tasks[i] with { Name = $"renamed-{changed}-{s.Timestamp + seconds}" };
        return s with { Tasks = tasks, Timestamp = s.Timestamp + seconds };
    }

    private static string Fresh(ClusterState state, string leader = Leader)
    {
        var r = MesosStateWriter.Render(state, leader, previous: null);
        return Encoding.UTF8.GetString(r.Body, 0, r.Length);
    }

    private static string Text(RenderedState r) => Encoding.UTF8.GetString(r.Body, 0, r.Length);

    [Fact]
    public void A_rendering_at_most_MaxLag_behind_the_newest_snapshot_answers_an_older_one_does_not()
    {
        var published = Big(300, 1700000300);
        using var endpoint = new MesosStateEndpoint(() => published, () => true, background: false);
        RenderedState first;
        using (var l = endpoint.Pick(published, Leader, gzip: false)) first = l.State;
        Assert.Equal(Fresh(published), Text(first));

        var within = Next(published, MesosStateEndpoint.MaxLag.TotalSeconds - 0.5, 7);
        using (var l = endpoint.Pick(within, Leader, gzip: false)) Assert.Same(first, l.State);   // behind, but within the bound
        using (var l = endpoint.Pick(within, "master@elsewhere:5050", gzip: false))            // another leader's name: rendered
            Assert.Equal(Fresh(within, "master@elsewhere:5050"), Text(l.State));

        var beyond = Next(published, MesosStateEndpoint.MaxLag.TotalSeconds + 0.5, 8);
        using (var l = endpoint.Pick(beyond, Leader, gzip: false))
        {
            Assert.Same(beyond, l.State.State);
            Assert.Equal(Fresh(beyond), Text(l.State));
        }
        var (hits, lagging, rendered, _) = endpoint.Counts;
        Assert.Equal((0, 1, 3), (hits, lagging, rendered));
    }

    [Fact]
    public void The_background_renders_the_newest_snapshot_byte_identical_to_a_fresh_rendering()
    {
        var published = Big(300, 1700000300);
        using var endpoint = new MesosStateEndpoint(() => published, () => true, background: false);
        Assert.False(endpoint.RenderNewest()); // nothing read yet: nothing to render ahead of
        using (endpoint.Pick(published, Leader, gzip: true)) { }
        Assert.False(endpoint.RenderNewest()); // the newest is rendered already

        for (var round = 1; round <= 4; round++)
        {
            published = Next(published, 0.25, round * 40);
            Assert.True(endpoint.RenderNewest());
            using var l = endpoint.Pick(published, Leader, gzip: true);
            Assert.Same(published, l.State.State);
            Assert.Equal(Fresh(published), Text(l.State));
            // gzip was asked for: its form was built ahead too, and decompresses to the same bytes
            using var z = new GZipStream(new MemoryStream(endpoint.Cache.Gzip(l.State).Bytes), CompressionMode.Decompress);
            Assert.Equal(Fresh(published), new StreamReader(z, Encoding.UTF8).ReadToEnd());
        }
        var (hits, _, _, background) = endpoint.Counts;
        Assert.Equal((4, 4), (hits, background));

        var older = published with { Timestamp = published.Timestamp - 5 }; // a stale publication is not rendered over a newer one
        published = older;
        Assert.False(endpoint.RenderNewest());
    }

    [Fact]
    public async Task The_body_goes_out_whole_in_slices_with_its_length()
    {
        var body = new byte[MesosStateEndpoint.Slice * 3 + 12345];
        new Random(5).NextBytes(body);
        var ctx = new DefaultHttpContext();
        var sink = new MemoryStream();
        ctx.Response.Body = sink;
        await MesosStateEndpoint.WriteBodyAsync(ctx.Response, body, CancellationToken.None);
        await ctx.Response.BodyWriter.FlushAsync();
        Assert.Equal(body.Length, ctx.Response.ContentLength);
        Assert.Equal(body, sink.ToArray());
    }

    [Fact]
    public async Task Concurrent_readers_and_renderings_each_get_their_snapshots_exact_json()
    {
        var cache = new MesosStateCache();
        var states = new List<ClusterState> { Big(600, 1700000300) };
        for (var i = 1; i < 8; i++) states.Add(Next(states[^1], 0.25, i * 60));
        var expected = states.ToDictionary(s => s, s => Fresh(s));
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            for (var n = 0; n < 12; n++)
            {
                var s = states[(n + worker) % states.Count];
                var last = cache.TryRentLast(_ => true);
                using (var lease = last ?? cache.Rent(s, Leader))
                {
                    var want = expected[lease.State.State];
                    if (Text(lease.State) != want) failures.Add($"plain {lease.State.State.Timestamp}");
                    using var z = new GZipStream(new MemoryStream(cache.Gzip(lease.State).Bytes), CompressionMode.Decompress);
                    if (new StreamReader(z, Encoding.UTF8).ReadToEnd() != want) failures.Add($"gzip {lease.State.State.Timestamp}");
                }
                if (last is null) continue;
                using var again = cache.Rent(s, Leader);
                if (Text(again.State) != expected[s]) failures.Add($"rent {s.Timestamp}");
            }
        })));
        Assert.Empty(failures);
    }
}
