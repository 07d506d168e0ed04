using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>
/// The operator API's GET_STATE answer (<c>{"type":"GET_STATE","get_state":{...}}</c>) written as /state is by
/// <see cref="MesosStateWriter"/>: no DOM of the whole cluster, and every task, agent, framework and executor that the previous
/// rendering also wrote (same snapshot object) copied from its body instead of mapped again. Each element is mapped by
/// <see cref="OperatorJson"/>'s own functions, so the bytes equal <c>OperatorJson.GetState</c> serialized. Cached and reused per
/// snapshot by a <see cref="MesosStateCache"/> (<see cref="Cache"/>).
/// </summary>
public static class GetStateWriter
{
    /// <summary>A cache of GET_STATE renderings. Its "leader" key is <see cref="Variant"/> of the maintenance view.</summary>
    public static MesosStateCache Cache() => new(Render);

    /// <summary>
    /// What of the maintenance view GET_STATE shows (agents deactivated, draining, on a down machine), as a string: the cache
    /// keys renderings on it beside the snapshot, and <see cref="Render"/> reads it back. Ids and hostnames never hold NUL.
    /// </summary>
    public static string Variant(MaintenanceView? m) => m is null ? "" : string.Join('\0',
        Section('d', m.DeactivatedAgents.Select(a => a.Value)), Section('r', m.DrainingAgents.Select(a => a.Value)), Section('h', m.DownHostnames));

    private static string Section(char tag, IEnumerable<string> values) => tag + string.Join('\u0001', values.Order(StringComparer.Ordinal));

    /// <summary>The maintenance view <see cref="Variant"/> was made from, as far as GET_STATE reads it.</summary>
    internal static MaintenanceView? FromVariant(string? variant)
    {
        if (string.IsNullOrEmpty(variant)) return null;
        var parts = variant.Split('\0');
        string[] Values(int i) => parts[i].Length <= 1 ? Array.Empty<string>() : parts[i][1..].Split('\u0001');
        return new MaintenanceView(Values(2), Values(0).Select(x => new AgentId(x)).ToList(), Values(1).Select(x => new AgentId(x)).ToList(), Array.Empty<AgentId>());
    }

    /// <summary>One rendering; <paramref name="variant"/> is <see cref="Variant"/> of the maintenance view.</summary>
    public static RenderedState Render(ClusterState state, string? variant, RenderedState? previous) => Render(state, variant, previous, null, null);

    internal static RenderedState Render(ClusterState state, string? variant, RenderedState? previous, byte[]? spareBody,
        Dictionary<object, (int Offset, int Length)>? spareIndex)
    {
        var maintenance = FromVariant(variant);
        using var r = new ElementRenderer(state, previous, spareBody, spareIndex);
        var w = r.Writer;
        // Agents' bytes depend on the maintenance view too: copied only from a rendering made with the same one.
        var agentsFromPrevious = previous is not null && previous.Leader == variant;

        w.WriteStartObject();
        w.WriteString("type", "GET_STATE");
        w.WritePropertyName("get_state");
        w.Flush();
        var payloadStart = r.Length;
        w.WriteStartObject();

        w.WriteStartObject("get_tasks");
        w.WriteStartArray("pending_tasks"); w.WriteEndArray();
        w.WriteStartArray("tasks"); r.Section();
        foreach (var t in state.Tasks)
            if (!t.State.IsTerminal() && t.State != TaskState.TASK_UNREACHABLE) r.Element(t, static (jw, x) => OperatorJson.Task((TaskView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteStartArray("unreachable_tasks"); r.Section();
        foreach (var t in state.Tasks)
            if (t.State == TaskState.TASK_UNREACHABLE) r.Element(t, static (jw, x) => OperatorJson.Task((TaskView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteStartArray("completed_tasks"); r.Section();
        foreach (var t in state.Tasks)
            if (t.State.IsTerminal()) r.Element(t, static (jw, x) => OperatorJson.Task((TaskView)x).WriteTo(jw));
        foreach (var c in state.CompletedFrameworks)
            foreach (var t in c.CompletedTasks) r.Element(t, static (jw, x) => OperatorJson.Task((TaskView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteStartArray("orphan_tasks"); w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("get_executors");
        w.WriteStartArray("executors"); r.Section();
        foreach (var e in state.Executors) r.Element(e, static (jw, x) => OperatorJson.Executor((ExecutorView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteStartArray("orphan_executors"); w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("get_frameworks");
        w.WriteStartArray("frameworks"); r.Section();
        foreach (var f in state.Frameworks) r.Element(f, static (jw, x) => OperatorJson.Framework((FrameworkView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteStartArray("completed_frameworks"); r.Section();
        // Keyed by the CompletedFrameworkView: its bytes differ from the same FrameworkView's while active.
        foreach (var c in state.CompletedFrameworks) r.Element(c, static (jw, x) => OperatorJson.CompletedFramework((CompletedFrameworkView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("get_agents");
        w.WriteStartArray("agents"); r.Section();
        Action<Utf8JsonWriter, object> agent = (jw, x) => OperatorJson.Agent((AgentView)x, maintenance).WriteTo(jw);
        foreach (var a in state.Agents) r.Element(a, agent, agentsFromPrevious);
        w.WriteEndArray();
        w.WriteStartArray("recovered_agents"); w.WriteEndArray();
        w.WriteEndObject();

        w.WriteEndObject();
        w.Flush();
        var payloadEnd = r.Length;
        w.WriteEndObject();
        return r.Finish(variant, (payloadStart, payloadEnd - payloadStart));
    }
}
