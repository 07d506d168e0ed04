using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Cli.Commands;

/// <summary>
/// <c>ck bench render-state</c>: the CPU cost of rendering /state on its own, without a cluster: a synthetic snapshot of A agents
/// and T running tasks (the bench's shapes), rendered cold, then R rounds in which C tasks change (a new view each, as the
/// master publishes) and /state is rendered again through <see cref="MesosStateCache"/>, plain and gzip. Wall and process CPU
/// per step, so a loaded machine's figures can be read.
/// </summary>
internal static class BenchRenderStateCommand
{
    public static Command Create()
    {
        var agents = new Option<int>("--agents") { DefaultValueFactory = _ => 10000 };
        var tasks = new Option<int>("--tasks") { DefaultValueFactory = _ => 100000 };
        var frameworks = new Option<int>("--frameworks") { DefaultValueFactory = _ => 10 };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 10 };
        var changes = new Option<int>("--changes") { Description = "Tasks changed between two renderings", DefaultValueFactory = _ => 10000 };
        var serve = new Option<int>("--serve") { Description = "Then serve the snapshot as GET /state on 127.0.0.1:PORT for --serve-seconds, publishing a new snapshot (--changes tasks changed) every 250 ms, so curl can time the HTTP path", DefaultValueFactory = _ => 0 };
        var serveSeconds = new Option<int>("--serve-seconds") { DefaultValueFactory = _ => 60 };
        var oldPath = new Option<bool>("--old-path") { Description = "Serve as before this branch: render on the request, one whole-body write" };
        var getState = new Option<bool>("--get-state") { Description = "Also time the operator API's GET_STATE answer for the snapshot: its JSON (node tree, as served) and the protobuf made from that JSON (as the protobuf bridge does)" };
        var cmd = new Command("render-state", "CPU time of rendering /state (MesosStateCache) for a synthetic snapshot, cold and incremental")
        { agents, tasks, frameworks, rounds, changes, serve, serveSeconds, oldPath, getState };
        cmd.SetAction((r, _) =>
        {
            var (a, t, f, n, c) = (r.GetValue(agents), r.GetValue(tasks), r.GetValue(frameworks), r.GetValue(rounds), r.GetValue(changes));
            if (a <= 0 || t < 0 || f <= 0 || n < 0 || c < 0) { Console.Error.WriteLine("ck: counts must be positive"); return System.Threading.Tasks.Task.FromResult(2); }
            Console.WriteLine($"load: {File.ReadAllText("/proc/loadavg").Trim()} (nproc {Environment.ProcessorCount}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")})");
            var state = Synthetic(a, t, f);
            var random = new Random(1);
            string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

            // The old path for comparison: every element mapped, nothing reused.
            var (full, fw, fc) = Measure(() => MesosStateWriter.Render(state, "master@x", null));
            Console.WriteLine($"uncached rendering (every element mapped): {F(fw)} ms wall, {F(fc)} ms CPU, {full.Length / 1e6:F1} MB");
            var (_, mw, mc) = Measure(() =>
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>(1 << 16);
                using var w = new System.Text.Json.Utf8JsonWriter(buffer);
                foreach (var task in state.Tasks) { buffer.ResetWrittenCount(); w.Reset(buffer); MesosStateJson.WriteTask(w, task); w.Flush(); }
                return 0;
            });
            Console.WriteLine($"mapping every task alone (WriteTask): {F(mw)} ms wall, {F(mc)} ms CPU, {F(mc * 1000 / Math.Max(1, t))} µs per task");
            var cache = new MesosStateCache();
            var (cold, cw, cc) = Measure(() => cache.Get(state, "master@x"));
            var (gz, gw, gc) = Measure(() => cache.Gzip(cold));
            Console.WriteLine($"cold: render {F(cw)} ms wall / {F(cc)} ms CPU; gzip {F(gw)} ms wall / {F(gc)} ms CPU, {gz.Bytes.Length / 1e6:F2} MB");
            var (_, hw, hc) = Measure(() => cache.Get(state, "master@x"));
            Console.WriteLine($"same snapshot again: {F(hw * 1000)} µs wall / {F(hc * 1000)} µs CPU");
            var renders = new List<(double W, double C, double GW, double GC, int Reused, int Pieces)>();
            for (var i = 0; i < n; i++)
            {
                state = Change(state, c, random);
                var (gen2, pause) = (GC.CollectionCount(2), GC.GetTotalPauseDuration());
                var (rs, w1, c1) = Measure(() => cache.Get(state, "master@x"));
                var gcNote = $"{GC.CollectionCount(2) - gen2} gen2 GCs, {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F0} ms paused";
                var (g, w2, c2) = Measure(() => cache.Gzip(rs));
                renders.Add((w1, c1, w2, c2, g.Reused, g.Pieces));
                Console.WriteLine($"round {i + 1}: {c} tasks changed: render {F(w1)} ms wall / {F(c1)} ms CPU ({rs.Rendered} mapped, {rs.Reused} copied, {rs.Length / 1e6:F1} MB, {gcNote}); " +
                                  $"gzip {F(w2)} ms wall / {F(c2)} ms CPU ({g.Reused}/{g.Pieces} pieces reused, {g.Bytes.Length / 1e6:F2} MB)");
            }
            if (renders.Count > 0)
                Console.WriteLine($"incremental, median of {renders.Count}: render {F(Median(renders.Select(x => x.C)))} ms CPU, gzip {F(Median(renders.Select(x => x.GC)))} ms CPU " +
                                  $"(wall {F(Median(renders.Select(x => x.W)))} / {F(Median(renders.Select(x => x.GW)))} ms)");
            if (r.GetValue(getState))
            {
                var (json, jw, jc) = Measure(() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new System.Text.Json.Nodes.JsonObject
                    { ["type"] = "GET_STATE", ["get_state"] = OperatorJson.GetState(state, null) }));
                Console.WriteLine($"GET_STATE JSON (node tree, serialized): {F(jw)} ms wall / {F(jc)} ms CPU, {json.Length / 1e6:F1} MB");
                var (pb, pw, pc) = Measure(() => ClusterKernel.Api.Protobuf.ProtobufBridge.Encode(ClusterKernel.Api.Protobuf.ProtobufBridge.Operator.Response!,
                    System.Text.Encoding.UTF8.GetString(json)));
                Console.WriteLine($"GET_STATE protobuf (from that JSON, as the bridge): {F(pw)} ms wall / {F(pc)} ms CPU, {pb.Length / 1e6:F1} MB");
                // As served now: GetStateWriter through a MesosStateCache, incrementally, gzip pieces reused.
                var gsCache = GetStateWriter.Cache();
                var variant = GetStateWriter.Variant(null);
                var (gsCold, gcw, gcc) = Measure(() => gsCache.Get(state, variant));
                var same = gsCold.Body.AsSpan(0, gsCold.Length).SequenceEqual(json);
                var (gsGz, ggw, ggc) = Measure(() => gsCache.Gzip(gsCold));
                Console.WriteLine($"GET_STATE cached, cold: render {F(gcw)} ms wall / {F(gcc)} ms CPU, {gsCold.Length / 1e6:F1} MB (equal to the node tree's bytes: {same}); " +
                                  $"gzip {F(ggw)} ms wall / {F(ggc)} ms CPU, {gsGz.Bytes.Length / 1e6:F2} MB");
                var (_, ghw, ghc) = Measure(() => gsCache.Get(state, variant));
                Console.WriteLine($"GET_STATE same snapshot again: {F(ghw * 1000)} µs wall / {F(ghc * 1000)} µs CPU");
                var (gsPb, gpw, gpc) = Measure(() => ClusterKernel.Api.Protobuf.GetStateProtobuf.Build(gsCold, null));
                Console.WriteLine($"GET_STATE protobuf per element, cold: {F(gpw)} ms wall / {F(gpc)} ms CPU, {gsPb.Bytes.Length / 1e6:F1} MB (equal to the bridge's: {gsPb.Bytes.AsSpan().SequenceEqual(pb)})");
                var gsRounds = new List<(double C, double GC)>();
                var pbRounds = new List<double>();
                for (var i = 0; i < Math.Max(3, n); i++)
                {
                    state = Change(state, c, random);
                    var (rs, w1, c1) = Measure(() => gsCache.Get(state, variant));
                    var (g, w2, c2) = Measure(() => gsCache.Gzip(rs));
                    gsRounds.Add((c1, c2));
                    var (p2, w3, c3) = Measure(() => ClusterKernel.Api.Protobuf.GetStateProtobuf.Build(rs, gsPb));
                    gsPb = p2;
                    pbRounds.Add(c3);
                    Console.WriteLine($"  protobuf: {F(w3)} ms wall / {F(c3)} ms CPU ({p2.Encoded} elements encoded, {p2.Bytes.Length / 1e6:F1} MB)");
                    Console.WriteLine($"GET_STATE round {i + 1}: {c} tasks changed: render {F(w1)} ms wall / {F(c1)} ms CPU ({rs.Rendered} mapped, {rs.Reused} copied, {rs.Length / 1e6:F1} MB); " +
                                      $"gzip {F(w2)} ms wall / {F(c2)} ms CPU ({g.Reused}/{g.Pieces} pieces reused, {g.Bytes.Length / 1e6:F2} MB)");
                }
                Console.WriteLine($"GET_STATE incremental, median of {gsRounds.Count}: render {F(Median(gsRounds.Select(x => x.C)))} ms CPU, gzip {F(Median(gsRounds.Select(x => x.GC)))} ms CPU");
                var last = gsCache.Get(state, variant);
                var check = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new System.Text.Json.Nodes.JsonObject { ["type"] = "GET_STATE", ["get_state"] = OperatorJson.GetState(state, null) });
                Console.WriteLine($"GET_STATE after the rounds equals a fresh node-tree rendering: {last.Body.AsSpan(0, last.Length).SequenceEqual(check)}; " +
                                  $"protobuf median {F(Median(pbRounds))} ms CPU, equal to the bridge's: {gsPb.Bytes.AsSpan().SequenceEqual(ClusterKernel.Api.Protobuf.ProtobufBridge.Encode(ClusterKernel.Api.Protobuf.ProtobufBridge.Operator.Response!, System.Text.Encoding.UTF8.GetString(check)))}");
            }
            var port = r.GetValue(serve);
            return port <= 0 ? System.Threading.Tasks.Task.FromResult(0) : Serve(state, port, r.GetValue(serveSeconds), c, r.GetValue(oldPath), random);
        });
        return cmd;
    }

    /// <summary>GET /state over the synthetic snapshot, through the same endpoint code as the master's HTTP API; a new
    /// snapshot is "published" every 250 ms (state-snapshot-max-age) while the serve lasts. Prints process CPU at the end.</summary>
    private static async Task<int> Serve(ClusterState state, int port, int seconds, int changes, bool oldPath, Random random)
    {
        var latest = state;
        var lastRead = DateTime.MinValue;
        using var endpoint = new MesosStateEndpoint(() => Volatile.Read(ref latest), () => DateTime.UtcNow - lastRead < TimeSpan.FromSeconds(60));
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/state", async (Microsoft.AspNetCore.Http.HttpContext ctx) =>
        {
            lastRead = DateTime.UtcNow;
            var now = Volatile.Read(ref latest);
            var gzip = ctx.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);
            if (oldPath)
            {
                // Before: rendered on the request (under the cache's lock), then one WriteAsync of the whole body.
                using var l = endpoint.Cache.Rent(now, "master@bench");
                ctx.Response.ContentType = "application/json; charset=utf-8";
                ReadOnlyMemory<byte> body = l.State.Body.AsMemory(0, l.State.Length);
                if (gzip) { ctx.Response.Headers.ContentEncoding = "gzip"; body = endpoint.Cache.Gzip(l.State).Bytes; }
                ctx.Response.ContentLength = body.Length;
                await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted);
                return;
            }
            using var lease = endpoint.Pick(now, "master@bench", gzip);
            await endpoint.WriteAsync(ctx.Response, lease, gzip, ctx.RequestAborted);
        });
        await app.StartAsync();
        Console.WriteLine($"serving GET http://127.0.0.1:{port}/state for {seconds} s ({(oldPath ? "old path" : "background rendering, sliced writes")}), a new snapshot every 250 ms");
        var p = Process.GetCurrentProcess();
        var cpu = p.TotalProcessorTime;
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            await System.Threading.Tasks.Task.Delay(250);
            // Stamped with the wall clock, as the master stamps its snapshots (the endpoint's freshness bound reads it).
            Volatile.Write(ref latest, Change(latest, changes, random) with { Timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 });
        }
        p.Refresh();
        var (hits, lagging, rendered, background) = endpoint.Counts;
        Console.WriteLine($"served {seconds} s: process CPU {(p.TotalProcessorTime - cpu).TotalSeconds:F1} s; requests: {hits} same snapshot, " +
                          $"{lagging} a rendering ≤ {MesosStateEndpoint.MaxLag.TotalSeconds:F0} s behind, {rendered} rendered on the request; {background} background renderings");
        await app.StopAsync();
        return 0;
    }

    private static double Median(IEnumerable<double> xs) { var s = xs.OrderBy(x => x).ToArray(); return s[s.Length / 2]; }

    private static (T Result, double WallMs, double CpuMs) Measure<T>(Func<T> f)
    {
        var p = Process.GetCurrentProcess();
        var cpu = p.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = f();
        sw.Stop();
        p.Refresh();
        return (result, sw.Elapsed.TotalMilliseconds, (p.TotalProcessorTime - cpu).TotalMilliseconds);
    }

    private static ClusterState Synthetic(int agents, int tasks, int frameworks)
    {
        var agentRes = Res.Parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]");
        var taskRes = Res.Parse("cpus:0.1;mem:32");
        var views = Enumerable.Range(0, agents).Select(i => new AgentView(new AgentId($"agent-{i:D6}-S{i}"), $"sim-{i}", agentRes,
            Res.Parse("cpus:1;mem:320"), Res.Empty, new Dictionary<string, string>(), true, 1700000000 + i)).ToArray();
        var fws = Enumerable.Range(0, frameworks).Select(i => new FrameworkView(new FrameworkId($"fw-{i:D4}-{Guid.NewGuid():N}"), $"bench-{i}",
            new[] { $"role-{i % 3}" }, true, true, 604800, Res.Empty, Res.Empty, 1700000000, null)).ToArray();
        var ts = Enumerable.Range(0, tasks).Select(i => View(new TaskId($"bench-{i % frameworks}-{i}"), fws[i % frameworks].Id,
            views[i % agents].Id, taskRes, TaskState.TASK_RUNNING, 1700000100 + i * 0.001)).OrderBy(t => t.FrameworkId.Value).ToArray();
        return new ClusterState("epoch", 1700000000, 1700000200, views, fws, ts, Array.Empty<Offer>());
    }

    private static TaskView View(TaskId id, FrameworkId fw, AgentId agent, Res res, TaskState state, double at) =>
        new(id, "bench", fw, agent, state, res, new[]
        {
            new TaskStatus { TaskId = id, AgentId = agent, State = TaskState.TASK_STARTING, Timestamp = at },
            new TaskStatus { TaskId = id, AgentId = agent, State = state, Timestamp = at + 0.01, Message = state == TaskState.TASK_RUNNING ? null : "done" },
        }, null);

    /// <summary>A new snapshot in which <paramref name="count"/> tasks in a contiguous run (as a burst of launches fills one
    /// framework's table chunks) got a new status, so their views are new objects.</summary>
    private static ClusterState Change(ClusterState s, int count, Random random)
    {
        var tasks = s.Tasks.ToArray();
        var from = random.Next(Math.Max(1, tasks.Length - count));
        for (var i = from; i < Math.Min(tasks.Length, from + count); i++)
        {
            var t = tasks[i];
            tasks[i] = View(t.Id, t.FrameworkId, t.AgentId, t.Resources, TaskState.TASK_RUNNING, t.Statuses[0].Timestamp + 1);
        }
        return s with { Tasks = tasks, Timestamp = s.Timestamp + 1 };
    }
}
