using System.IO.Compression;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>
/// /state rendered once per published snapshot and shared: requests for the snapshot already rendered get the same bytes,
/// and a new snapshot re-renders only the agents, tasks, offers and executors that changed (the others are copied from the
/// previous body, <see cref="MesosStateWriter.Render"/>). The gzip form is built the same way: the body is cut into pieces of
/// <see cref="MesosStateWriter.CutEvery"/> elements, each compressed on its own as a run of deflate blocks ending in a sync
/// flush, so a piece whose bytes did not change is reused compressed and only the CRC is combined. Pure: no actors, no HTTP.
/// </summary>
public sealed class MesosStateCache
{
    /// <summary>Renders a snapshot, copying what it can from <c>previous</c>, into a spare body and index when given.</summary>
    internal delegate RenderedState Renderer(ClusterState state, string? leader, RenderedState? previous, byte[]? spareBody,
        Dictionary<object, (int Offset, int Length)>? spareIndex);

    private readonly Renderer _render;

    /// <summary>A cache of /state renderings.</summary>
    public MesosStateCache() : this(MesosStateWriter.Render) { }

    /// <summary>A cache of another rendering made the same way (GET_STATE: <see cref="GetStateWriter.Cache"/>).</summary>
    internal MesosStateCache(Renderer render) => _render = render;

    // _gate guards the fields (held briefly); _renderGate serialises renderings and _gzipGate gzip builds, so a request served
    // from the last rendering never waits behind a rendering or compression in progress.
    private readonly object _gate = new();
    private readonly object _renderGate = new();
    private readonly object _gzipGate = new();
    private RenderedState? _last;
    private GzipState? _lastGzip;
    private readonly List<RenderedState> _retired = new();
    private DateTime _lastUse = DateTime.MinValue;

    /// <summary>Forgets every rendering when /state was not read since <paramref name="idleSince"/> and no response is still
    /// sending one: at 100,000 tasks the cache holds ~130 MB (bodies, their indexes, gzip pieces), worth keeping only while
    /// someone polls. Returns whether it did.</summary>
    public bool DropIfIdle(DateTime idleSince)
    {
        lock (_gate)
        {
            if (_last is null || _lastUse >= idleSince || _last.InFlight > 0 || _retired.Exists(r => r.InFlight > 0)) return false;
            _last = null;
            _lastGzip = null;
            _retired.Clear();
            return true;
        }
    }

    /// <summary>The last rendering made, if any.</summary>
    public RenderedState? Last { get { lock (_gate) return _last; } }

    /// <summary>The rendering of <paramref name="state"/> (the cached one when it is the snapshot rendered last).</summary>
    public RenderedState Get(ClusterState state, string? leader) => Render(state, leader, lease: false);

    /// <summary>As <see cref="Get"/>, holding the rendering's body until the lease is disposed (while a response sends it):
    /// bodies of renderings no longer needed are reused for later ones.</summary>
    public Lease Rent(ClusterState state, string? leader) => new(this, Render(state, leader, lease: true));

    /// <summary>A lease of the last rendering when <paramref name="acceptable"/> says it will do (e.g. a snapshot at most a
    /// second older than the newest one), without waiting for any rendering in progress; null otherwise.</summary>
    public Lease? TryRentLast(Func<RenderedState, bool> acceptable)
    {
        lock (_gate)
        {
            if (_last is not { } last || !acceptable(last)) return null;
            _lastUse = DateTime.UtcNow;
            last.InFlight++;
            return new Lease(this, last);
        }
    }

    private RenderedState Render(ClusterState state, string? leader, bool lease)
    {
        lock (_gate)
            if (Hit(state, leader, lease) is { } hit) return hit;
        // One rendering at a time: concurrent requests for a new snapshot wait for it instead of rendering it twice.
        lock (_renderGate)
        {
            RenderedState? previous;
            byte[]? spareBody = null;
            Dictionary<object, (int, int)>? spareIndex = null;
            lock (_gate)
            {
                if (Hit(state, leader, lease) is { } hit) return hit;
                previous = _last;
                // A retired rendering's body can be written over once no response sends it and the gzip cache does not compare
                // against it. (The last rendering is never a spare: it is the one copied from.)
                for (var i = 0; i < _retired.Count; i++)
                {
                    var r = _retired[i];
                    if (r.InFlight > 0 || ReferenceEquals(r, _lastGzip?.Source)) continue;
                    _retired.RemoveAt(i);
                    spareBody = r.Body;
                    spareIndex = r.Index;
                    spareIndex.Clear();
                    break;
                }
            }
            var rendered = _render(state, leader, previous, spareBody, spareIndex);
            lock (_gate)
            {
                if (_last is not null) _retired.Add(_last);
                // Two are enough to find one not being sent nor compared against by the gzip cache; each holds a body's worth of memory.
                while (_retired.Count > 2) _retired.RemoveAt(0);
                _last = rendered;
                if (lease) rendered.InFlight++;
                return rendered;
            }
        }
    }

    private RenderedState? Hit(ClusterState state, string? leader, bool lease)
    {
        _lastUse = DateTime.UtcNow;
        if (_last is not { } last || !ReferenceEquals(last.State, state) || last.Leader != leader) return null;
        if (lease) last.InFlight++;
        return last;
    }

    private void Return(RenderedState r)
    {
        lock (_gate) r.InFlight--;
    }

    /// <summary>A rendering held for one response.</summary>
    public readonly struct Lease(MesosStateCache cache, RenderedState state) : IDisposable
    {
        public RenderedState State { get; } = state;
        public void Dispose() => cache.Return(State);
    }

    /// <summary>The gzip (RFC 1952) form of <paramref name="rendered"/> (which the caller holds: leased, or just rendered),
    /// built from the previous one's unchanged pieces.</summary>
    public GzipBody Gzip(RenderedState rendered)
    {
        GzipState? previous;
        lock (_gate)
        {
            if (_lastGzip is { } last && ReferenceEquals(last.Source, rendered)) return last.Body;
        }
        lock (_gzipGate)
        {
            lock (_gate)
            {
                if (_lastGzip is { } last && ReferenceEquals(last.Source, rendered)) return last.Body;
                previous = _lastGzip;
            }
            // Reads the previous gzip's source body: that rendering is kept from reuse while it is _lastGzip's source.
            var built = GzipState.Build(rendered, previous);
            lock (_gate) _lastGzip = built;
            return built.Body;
        }
    }

    private sealed record Piece(byte[] Source, int Offset, int Length, uint Crc, byte[] Deflated);

    private sealed class GzipState(RenderedState source, Dictionary<(int, int), Piece> pieces, GzipBody body)
    {
        public RenderedState Source { get; } = source;
        public Dictionary<(int, int), Piece> Pieces { get; } = pieces;
        public GzipBody Body { get; } = body;

        public static GzipState Build(RenderedState r, GzipState? previous)
        {
            var pieces = new Dictionary<(int, int), Piece>(r.Cuts.Count + 1);
            var ordered = new List<Piece>(r.Cuts.Count + 1);
            int start = 0, reused = 0;
            foreach (var cut in r.Cuts.Append(new Cut(-1, 0, r.Length)))
            {
                var key = (cut.Section, cut.Ordinal);
                var bytes = r.Body.AsSpan(start, cut.End - start);
                Piece piece;
                if (previous?.Pieces.GetValueOrDefault(key) is { } old && old.Length == bytes.Length
                    && old.Source.AsSpan(old.Offset, old.Length).SequenceEqual(bytes))
                {
                    piece = old with { Source = r.Body, Offset = start };
                    reused++;
                }
                else piece = new Piece(r.Body, start, bytes.Length, Crc32.Compute(bytes), Deflate(bytes));
                pieces[key] = piece;
                ordered.Add(piece);
                start = cut.End;
            }

            var length = 10 + ordered.Sum(p => p.Deflated.Length) + 2 + 8;
            var gz = new byte[length];
            // Header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
            new byte[] { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255 }.CopyTo(gz, 0);
            var at = 10;
            uint crc = 0;
            foreach (var p in ordered)
            {
                p.Deflated.CopyTo(gz, at);
                at += p.Deflated.Length;
                crc = Crc32.Combine(crc, p.Crc, p.Length);
            }
            gz[at++] = 0x03; gz[at++] = 0x00; // an empty final block ends the deflate stream
            BitConverter.TryWriteBytes(gz.AsSpan(at), crc);
            BitConverter.TryWriteBytes(gz.AsSpan(at + 4), (uint)r.Length);
            return new GzipState(r, pieces, new GzipBody(gz, ordered.Count, reused));
        }

        /// <summary>Raw deflate blocks of <paramref name="bytes"/> ending in a sync flush (byte-aligned, not final), so pieces concatenate.</summary>
        private static byte[] Deflate(ReadOnlySpan<byte> bytes)
        {
            var ms = new MemoryStream(bytes.Length / 4 + 64);
            var d = new DeflateStream(ms, CompressionLevel.Fastest, leaveOpen: true);
            d.Write(bytes);
            d.Flush(); // Z_SYNC_FLUSH: everything so far out, ending on a byte boundary with an empty stored block
            var deflated = ms.ToArray();
            d.Dispose(); // writes a final block into ms after the copy: not part of the piece
            return deflated;
        }
    }
}

/// <summary>A gzip body and how many of its pieces came from the previous one.</summary>
public sealed record GzipBody(byte[] Bytes, int Pieces, int Reused);

/// <summary>CRC-32 (IEEE, as gzip) with zlib's crc32_combine, so a body's CRC comes from its pieces' CRCs.</summary>
internal static class Crc32
{
    private const uint Poly = 0xedb88320;
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? Poly ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();
    // x^(2^n) mod p(x), n = 0..31 (zlib's x2n_table).
    private static readonly uint[] X2n = BuildX2n();

    public static uint Compute(ReadOnlySpan<byte> bytes)
    {
        var c = 0xffffffffu;
        foreach (var b in bytes) c = Table[(c ^ b) & 0xff] ^ (c >> 8);
        return c ^ 0xffffffffu;
    }

    /// <summary>CRC of A followed by B, from CRC(A), CRC(B) and B's length.</summary>
    public static uint Combine(uint crcA, uint crcB, long lengthB) => MultModP(X2nModP(lengthB, 3), crcA) ^ crcB;

    private static uint MultModP(uint a, uint b)
    {
        uint m = 1u << 31, p = 0;
        while (true)
        {
            if ((a & m) != 0)
            {
                p ^= b;
                if ((a & (m - 1)) == 0) break;
            }
            m >>= 1;
            b = (b & 1) != 0 ? (b >> 1) ^ Poly : b >> 1;
        }
        return p;
    }

    private static uint X2nModP(long n, int k)
    {
        var p = 1u << 31; // x^0 == 1
        while (n != 0)
        {
            if ((n & 1) != 0) p = MultModP(X2n[k & 31], p);
            n >>= 1;
            k++;
        }
        return p;
    }

    private static uint[] BuildX2n()
    {
        var t = new uint[32];
        var p = 1u << 30; // x^1
        t[0] = p;
        for (var n = 1; n < 32; n++) t[n] = p = MultModP(p, p);
        return t;
    }
}
