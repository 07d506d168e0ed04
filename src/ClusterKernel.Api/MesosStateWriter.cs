using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

/// <summary>
/// Writes the same JSON as <see cref="MesosStateJson.Map"/> without a DOM of the whole cluster (at 100,000 tasks that tree cost
/// seconds of CPU), and without scanning every task once per framework. Each agent, task, offer and executor is rendered by
/// MesosStateJson's own mapping, so the two cannot drift apart; <see cref="Render"/> can take those elements' bytes from the
/// previous rendering instead (see <see cref="MesosStateCache"/>).
/// </summary>
public static class MesosStateWriter
{
    internal const int CutEvery = 128;

    public static async Task WriteAsync(Stream body, ClusterState state, string? leader, CancellationToken ct = default)
    {
        var rendered = Render(state, leader, previous: null);
        await body.WriteAsync(rendered.Body.AsMemory(0, rendered.Length), ct);
    }

    /// <summary>
    /// Renders /state. Snapshot views are immutable and the master reuses the same object while an agent, task, offer or
    /// executor is unchanged, so an element that <paramref name="previous"/> also rendered (same reference) is copied from its
    /// body byte for byte; only new or changed elements go through the mapping.
    /// </summary>
    public static RenderedState Render(ClusterState state, string? leader, RenderedState? previous) => Render(state, leader, previous, null, null);

    /// <param name="spareBody">See <see cref="ElementRenderer"/>.</param>
    /// <param name="spareIndex">See <see cref="ElementRenderer"/>.</param>
    internal static RenderedState Render(ClusterState state, string? leader, RenderedState? previous, byte[]? spareBody,
        Dictionary<object, (int Offset, int Length)>? spareIndex)
    {
        using var r = new ElementRenderer(state, previous, spareBody, spareIndex);
        var w = r.Writer;

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
        w.WriteStartArray("slaves"); r.Section();
        foreach (var a in state.Agents) r.Element(a, static (jw, x) => MesosStateJson.Agent((AgentView)x).WriteTo(jw));
        w.WriteEndArray();
        w.WriteStartArray("frameworks");
        foreach (var f in state.Frameworks)
            Framework(f, tasks.GetValueOrDefault(f.Id) ?? new List<TaskView>(), offers[f.Id], state.Executors.Where(e => e.FrameworkId == f.Id));
        w.WriteEndArray();
        // Removed frameworks as Mesos keeps them (--max_completed_frameworks), with their completed tasks.
        w.WriteStartArray("completed_frameworks");
        foreach (var c in state.CompletedFrameworks) Framework(c.Framework, c.CompletedTasks, Array.Empty<Offer>(), Array.Empty<ExecutorView>());
        w.WriteEndArray();
        Node("total_resources", MesosStateJson.ResourcesJson(total));
        Node("used_resources", MesosStateJson.ResourcesJson(used));
        Node("offered_resources", MesosStateJson.ResourcesJson(offered));
        w.WriteEndObject();
        return r.Finish(leader);

        void Framework(FrameworkView f, IReadOnlyList<TaskView> mine, IEnumerable<Offer> frameworkOffers, IEnumerable<ExecutorView> executors)
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
            w.WriteStartArray("tasks"); r.Section();
            foreach (var t in mine) if (!t.State.IsTerminal()) r.Element(t, static (jw, x) => MesosStateJson.WriteTask(jw, (TaskView)x));
            w.WriteEndArray();
            w.WriteStartArray("completed_tasks"); r.Section();
            foreach (var t in mine) if (t.State.IsTerminal()) r.Element(t, static (jw, x) => MesosStateJson.WriteTask(jw, (TaskView)x));
            w.WriteEndArray();
            w.WriteStartArray("offers"); r.Section();
            foreach (var o in frameworkOffers) r.Element(o, static (jw, x) => MesosStateJson.OfferJson((Offer)x).WriteTo(jw));
            w.WriteEndArray();
            w.WriteStartArray("executors"); r.Section();
            foreach (var e in executors) r.Element(e, static (jw, x) => MesosStateJson.Executor((ExecutorView)x).WriteTo(jw));
            w.WriteEndArray();
            w.WriteEndObject();
        }

        void Node(string name, JsonNode node) { w.WritePropertyName(name); node.WriteTo(w); }
    }
}

/// <summary>
/// What the /state and GET_STATE renderings share: a body written into a reused array, and each array element copied from the
/// previous rendering when the same (immutable) object was rendered there, else mapped afresh; every element's place is recorded
/// for the next rendering, and cut points every <see cref="MesosStateWriter.CutEvery"/> elements for the gzip pieces.
/// </summary>
internal sealed class ElementRenderer : IDisposable
{
    private readonly ClusterState _state;
    private readonly RenderedState? _previous;
    private readonly ByteBuffer _output;
    private readonly Dictionary<object, (int Offset, int Length)> _index;
    private readonly ArrayBufferWriter<byte> _scratch = new(4096);
    private readonly Utf8JsonWriter _fragment;
    private readonly List<Cut> _cuts = new();
    private int _reused, _rendered, _section, _inArray;

    /// <param name="spareBody">An array no longer in use to render into (bodies of 46 MB are large objects: a fresh one per
    /// rendering cost a gen2 collection each time).</param>
    /// <param name="spareIndex">Likewise an emptied index dictionary.</param>
    public ElementRenderer(ClusterState state, RenderedState? previous, byte[]? spareBody, Dictionary<object, (int Offset, int Length)>? spareIndex)
    {
        _state = state;
        _previous = previous;
        var capacity = previous is null ? 1 << 16 : previous.Length + previous.Length / 8 + 4096;
        _output = spareBody is { } spare && spare.Length >= capacity ? new ByteBuffer(spare) : new ByteBuffer(capacity);
        _index = spareIndex ?? new Dictionary<object, (int Offset, int Length)>(
            previous?.Index.Count ?? state.Tasks.Count + state.Agents.Count, ReferenceEqualityComparer.Instance);
        _fragment = new Utf8JsonWriter(_scratch);
        Writer = new Utf8JsonWriter(_output);
    }

    public Utf8JsonWriter Writer { get; }

    /// <summary>Bytes in the body so far (flush <see cref="Writer"/> first).</summary>
    public int Length => _output.Length;

    /// <summary>A new element array starts (its cut points are numbered from 1 again).</summary>
    public void Section() { _section++; _inArray = 0; }

    /// <summary>One array element: copied from the previous body when the same object was rendered there (and
    /// <paramref name="mayCopy"/>), else mapped by <paramref name="write"/> and recorded.</summary>
    public void Element(object item, Action<Utf8JsonWriter, object> write, bool mayCopy = true)
    {
        ReadOnlySpan<byte> bytes;
        if (mayCopy && _previous is not null && _previous.Index.TryGetValue(item, out var at))
        {
            bytes = _previous.Body.AsSpan(at.Offset, at.Length);
            _reused++;
        }
        else
        {
            _scratch.ResetWrittenCount();
            _fragment.Reset(_scratch);
            write(_fragment, item);
            _fragment.Flush();
            bytes = _scratch.WrittenSpan;
            _rendered++;
        }
        Writer.WriteRawValue(bytes, skipInputValidation: true);
        // The element's bytes end where the writer now stands (a separating comma, if any, came before them).
        var end = (int)(Writer.BytesCommitted + Writer.BytesPending);
        _index[item] = (end - bytes.Length, bytes.Length);
        // Piece boundaries for the gzip cache: every CutEvery elements of an array, so a changed element changes one piece.
        if (++_inArray % MesosStateWriter.CutEvery == 0) _cuts.Add(new Cut(_section, _inArray / MesosStateWriter.CutEvery, end));
    }

    /// <param name="key">What the rendering depends on beside the snapshot (<see cref="RenderedState.Leader"/>).</param>
    /// <param name="payload">GET_STATE: where the get_state object lies in the body.</param>
    public RenderedState Finish(string? key, (int Offset, int Length) payload = default)
    {
        Writer.Flush();
        return new RenderedState(_state, key, _output.Array, _output.Length, _index, _reused, _rendered) { Cuts = _cuts, Payload = payload };
    }

    public void Dispose()
    {
        Writer.Dispose();
        _fragment.Dispose();
    }
}

/// <summary>One rendering of /state (or of GET_STATE, <see cref="GetStateWriter"/>): the UTF-8 body and where each element's
/// bytes lie in it (by element reference). <see cref="Leader"/> is what the rendering depends on beside the snapshot: /state's
/// leader, GET_STATE's maintenance <see cref="GetStateWriter.Variant"/>.</summary>
public sealed class RenderedState(ClusterState state, string? leader, byte[] body, int length,
    IReadOnlyDictionary<object, (int Offset, int Length)> index, int reused, int rendered)
{
    public ClusterState State { get; } = state;
    public string? Leader { get; } = leader;
    public byte[] Body { get; } = body;
    public int Length { get; } = length;
    internal Dictionary<object, (int Offset, int Length)> Index { get; } = (Dictionary<object, (int Offset, int Length)>)index;
    /// <summary>Responses still sending <see cref="Body"/> (it is reused for a later rendering only when none is).</summary>
    internal int InFlight;
    /// <summary>Where the body may be cut into pieces that are compressed (and reused) one by one, keyed by array and position.</summary>
    internal IReadOnlyList<Cut> Cuts { get; init; } = Array.Empty<Cut>();
    /// <summary>GET_STATE renderings: where the get_state object lies in <see cref="Body"/> (SUBSCRIBED embeds it).</summary>
    internal (int Offset, int Length) Payload { get; init; }
    /// <summary>Elements copied from the previous rendering.</summary>
    public int Reused { get; } = reused;
    /// <summary>Elements mapped afresh (new or changed since the previous rendering).</summary>
    public int Rendered { get; } = rendered;
}

/// <summary>The end of a piece of a rendered body: the <paramref name="Ordinal"/>-th group of elements of the
/// <paramref name="Section"/>-th element array.</summary>
internal readonly record struct Cut(int Section, int Ordinal, int End);

/// <summary>An <see cref="IBufferWriter{T}"/> whose array is handed out as is (ArrayBufferWriter gives only a span: one more
/// copy of a 46 MB body).</summary>
internal sealed class ByteBuffer : IBufferWriter<byte>
{
    public ByteBuffer(int capacity) => Array = new byte[Math.Max(capacity, 256)];
    public ByteBuffer(byte[] reuse) => Array = reuse;

    public byte[] Array { get; private set; }
    public int Length { get; private set; }

    public void Advance(int count) => Length += count;
    public Memory<byte> GetMemory(int sizeHint = 0) { Ensure(sizeHint); return Array.AsMemory(Length); }
    public Span<byte> GetSpan(int sizeHint = 0) { Ensure(sizeHint); return Array.AsSpan(Length); }

    private void Ensure(int sizeHint)
    {
        var need = Length + Math.Max(sizeHint, 1);
        if (need <= Array.Length) return;
        var grown = new byte[Math.Max(need, (int)Math.Min(int.MaxValue - 64, Array.Length * 2L))];
        Buffer.BlockCopy(Array, 0, grown, 0, Length);
        Array = grown;
    }
}
