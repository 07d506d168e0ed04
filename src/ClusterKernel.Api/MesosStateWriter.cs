using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

/// <summary>
/// Writes the same JSON as <see cref="MesosStateJson.Map"/> straight to the response, element by element: /state at 100,000
/// tasks must not build a DOM of millions of nodes (that took seconds of CPU and ~10 MB of live JSON nodes per request), nor
/// scan every task once per framework. Each agent, task and offer is still rendered by MesosStateJson's own mapping, so the two
/// cannot drift apart.
/// </summary>
public static class MesosStateWriter
{
    private const int FlushAt = 1 << 16;

    public static async Task WriteAsync(Stream body, ClusterState state, string? leader, CancellationToken ct = default)
    {
        await using var w = new Utf8JsonWriter(body);
        var tasks = new Dictionary<FrameworkId, List<TaskView>>();
        foreach (var t in state.Tasks)
        {
            if (!tasks.TryGetValue(t.FrameworkId, out var list)) tasks[t.FrameworkId] = list = new List<TaskView>();
            list.Add(t);
        }
        var offers = state.Offers.ToLookup(o => o.FrameworkId);
        Res total = Res.Empty, used = Res.Empty, offered = Res.Empty;
        foreach (var a in state.Agents) { total += a.Resources; used += a.Used; offered += a.Offered; }

        w.WriteStartObject();
        w.WriteString("version", MesosStateJson.Version);
        w.WriteString("id", state.MasterEpoch);
        w.WriteNumber("start_time", state.StartTime);
        w.WriteNumber("elected_time", state.StartTime);
        if (leader is null) w.WriteNull("leader"); else w.WriteString("leader", leader);
        w.WriteNumber("activated_slaves", state.Agents.Count(a => a.Active));
        w.WriteNumber("deactivated_slaves", state.Agents.Count(a => !a.Active));
        w.WriteStartArray("slaves");
        foreach (var a in state.Agents) { MesosStateJson.Agent(a).WriteTo(w); await Flush(); }
        w.WriteEndArray();
        w.WriteStartArray("frameworks");
        foreach (var f in state.Frameworks)
            await Framework(f, tasks.GetValueOrDefault(f.Id) ?? new List<TaskView>(), offers[f.Id], state.Executors.Where(e => e.FrameworkId == f.Id));
        w.WriteEndArray();
        // Removed frameworks as Mesos keeps them (--max_completed_frameworks), with their completed tasks.
        w.WriteStartArray("completed_frameworks");
        foreach (var c in state.CompletedFrameworks) await Framework(c.Framework, c.CompletedTasks, Array.Empty<Offer>(), Array.Empty<ExecutorView>());
        w.WriteEndArray();
        Node("total_resources", MesosStateJson.ResourcesJson(total));
        Node("used_resources", MesosStateJson.ResourcesJson(used));
        Node("offered_resources", MesosStateJson.ResourcesJson(offered));
        w.WriteEndObject();
        await w.FlushAsync(ct);

        async Task Framework(FrameworkView f, IReadOnlyList<TaskView> mine, IEnumerable<Offer> frameworkOffers, IEnumerable<ExecutorView> executors)
        {
            w.WriteStartObject();
            w.WriteString("id", f.Id.Value);
            w.WriteString("name", f.Name);
            w.WriteStartArray("roles");
            foreach (var r in f.Roles) w.WriteStringValue(r);
            w.WriteEndArray();
            w.WriteBoolean("active", f.Active);
            w.WriteBoolean("connected", f.Connected);
            w.WriteNumber("failover_timeout", f.FailoverTimeout);
            Node("used_resources", MesosStateJson.ResourcesJson(f.Used));
            Node("offered_resources", MesosStateJson.ResourcesJson(f.Offered));
            w.WriteNumber("registered_time", f.RegisteredTime);
            w.WriteNumber("unregistered_time", f.UnregisteredTime ?? 0);
            foreach (var (name, terminal) in new[] { ("tasks", false), ("completed_tasks", true) })
            {
                w.WriteStartArray(name);
                foreach (var t in mine)
                    if (t.State.IsTerminal() == terminal) { MesosStateJson.Task(t).WriteTo(w); await Flush(); }
                w.WriteEndArray();
            }
            w.WriteStartArray("offers");
            foreach (var o in frameworkOffers) { MesosStateJson.OfferJson(o).WriteTo(w); await Flush(); }
            w.WriteEndArray();
            w.WriteStartArray("executors");
            foreach (var e in executors) MesosStateJson.Executor(e).WriteTo(w);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        void Node(string name, JsonNode node) { w.WritePropertyName(name); node.WriteTo(w); }
        async ValueTask Flush() { if (w.BytesPending > FlushAt) await w.FlushAsync(ct); }
    }
}
