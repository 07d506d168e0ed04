using System.Globalization;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Http;

namespace ClusterKernel.Api;

/// <summary>
/// GET /state over a <see cref="MesosStateCache"/>: which rendering a request gets, rendering new snapshots in the background
/// while someone reads, and sending the cached bytes.
/// <para>Freshness: a request is answered from the last rendering when its snapshot was taken at most <see cref="MaxLag"/>
/// before the newest one the master published (and for the same leader); otherwise it waits for the newest one to be rendered.
/// While /state is read (a read in the last <see cref="ReadWindow"/>), newer snapshots are rendered in the background, at
/// most one every <see cref="RenderEvery"/> (no more rendering CPU than one poller every second cost before), so a poller
/// rarely waits for a rendering. Mesos' /state is likewise a point-in-time snapshot;
/// the header <c>X-ClusterKernel-State-Time</c> says when this one was taken (the master's clock, Unix seconds).</para>
/// </summary>
public sealed class MesosStateEndpoint : IDisposable
{
    public const string SnapshotTimeHeader = "X-ClusterKernel-State-Time";
    /// <summary>How much older than the newest published snapshot an answered one may be.</summary>
    public static readonly TimeSpan MaxLag = TimeSpan.FromSeconds(2);
    /// <summary>Background renderings at most this often (at 100,000 tasks one costs 60–200 ms of CPU).</summary>
    public static readonly TimeSpan RenderEvery = TimeSpan.FromSeconds(1);
    /// <summary>Background rendering stops this long after the last read (the cache itself is kept for the board's reader window).</summary>
    public static readonly TimeSpan ReadWindow = TimeSpan.FromSeconds(10);
    /// <summary>Kestrel copies what it is given into its own buffers: slices keep that to a few hundred KB per response
    /// instead of the whole body (46 MB at 100,000 tasks), and flushing each lets the socket drain meanwhile.</summary>
    internal const int Slice = 256 * 1024;

    private readonly MesosStateCache _cache;
    private readonly Func<ClusterState?> _newest;
    private readonly Func<bool> _readersActive;
    private readonly Timer? _timer;
    private readonly object _gate = new();
    private string? _leader;
    private bool _rendering;
    private long _lastRenderStart = long.MinValue / 2;
    private DateTime _lastGzipRequest = DateTime.MinValue;
    private long _lastRead = long.MinValue / 2;
    private long _hits, _lagging, _rendered, _background;

    /// <param name="newest">The newest published snapshot without counting as a read (null when none).</param>
    /// <param name="readersActive">Whether /state was read lately (renders in the background only then).</param>
    /// <param name="background">False in tests that drive <see cref="RenderNewest"/> themselves.</param>
    /// <param name="cache">What is rendered: /state by default, GET_STATE with <see cref="GetStateWriter.Cache"/> (its "leader"
    /// is then the maintenance variant).</param>
    public MesosStateEndpoint(Func<ClusterState?> newest, Func<bool> readersActive, bool background = true, MesosStateCache? cache = null)
    {
        _cache = cache ?? new MesosStateCache();
        _newest = newest;
        _readersActive = readersActive;
        if (background) _timer = new Timer(_ => Tick(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public MesosStateCache Cache => _cache;

    /// <summary>Forgets the renderings when /state was not read since <paramref name="idleSince"/>.</summary>
    public bool DropIfIdle(DateTime idleSince) => _cache.DropIfIdle(idleSince);

    /// <summary>The rendering to answer with: the last one when it is recent enough (see the class comment), else
    /// <paramref name="state"/> rendered now.</summary>
    public MesosStateCache.Lease Pick(ClusterState state, string? leader, bool gzip)
    {
        lock (_gate)
        {
            _leader = leader;
            _lastRead = System.Diagnostics.Stopwatch.GetTimestamp();
            if (gzip) _lastGzipRequest = DateTime.UtcNow;
        }
        if (_cache.TryRentLast(last => Acceptable(last, state, leader)) is { } lease)
        {
            Interlocked.Increment(ref ReferenceEquals(lease.State.State, state) ? ref _hits : ref _lagging);
            return lease;
        }
        Interlocked.Increment(ref _rendered);
        return _cache.Rent(state, leader);
    }

    /// <summary>Requests answered with the requested snapshot's rendering / an older one within <see cref="MaxLag"/> /
    /// after rendering it; background renderings.</summary>
    public (long Hits, long Lagging, long Rendered, long Background) Counts =>
        (Interlocked.Read(ref _hits), Interlocked.Read(ref _lagging), Interlocked.Read(ref _rendered), Interlocked.Read(ref _background));

    /// <summary>Same master, same leader, and taken at most <see cref="MaxLag"/> before <paramref name="newest"/>.</summary>
    internal static bool Acceptable(RenderedState last, ClusterState newest, string? leader) =>
        ReferenceEquals(last.State, newest)
        || (last.Leader == leader && last.State.MasterEpoch == newest.MasterEpoch
            && newest.Timestamp - last.State.Timestamp <= MaxLag.TotalSeconds && newest.Timestamp >= last.State.Timestamp);

    /// <summary>Renders the newest published snapshot (and its gzip form when gzip was asked for within the reader window)
    /// if it is not the one rendered last. Returns whether it rendered.</summary>
    public bool RenderNewest()
    {
        string? leader;
        bool gzip;
        lock (_gate) { leader = _leader; gzip = DateTime.UtcNow - _lastGzipRequest < ClusterKernel.Master.ClusterStateBoard.ReaderWindow; }
        if (_newest() is not { } state || _cache.Last is not { } last) return false; // nothing read yet: no leader name to render with
        if ((ReferenceEquals(last.State, state) || state.Timestamp < last.State.Timestamp) && last.Leader == leader) return false;
        using var lease = _cache.Rent(state, leader);
        if (gzip) _cache.Gzip(lease.State);
        Interlocked.Increment(ref _background);
        return true;
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_rendering || System.Diagnostics.Stopwatch.GetElapsedTime(_lastRenderStart) < RenderEvery
                || System.Diagnostics.Stopwatch.GetElapsedTime(_lastRead) > ReadWindow || !_readersActive()) return;
            if (_newest() is not { } state || _cache.Last is not { } last 
                || ((ReferenceEquals(last.State, state) || state.Timestamp < last.State.Timestamp) && last.Leader == _leader)) return;
            _rendering = true;
            _lastRenderStart = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        try { RenderNewest(); }
        catch (Exception) { /* a request renders it then, and reports what fails */ }
        finally { lock (_gate) _rendering = false; }
    }

    /// <summary>Sends <paramref name="lease"/>'s body, gzip-compressed when <paramref name="gzip"/>.</summary>
    public async Task WriteAsync(HttpResponse response, MesosStateCache.Lease lease, bool gzip, CancellationToken ct)
    {
        var rendered = lease.State;
        response.Headers.Vary = "Accept-Encoding";
        response.ContentType = "application/json; charset=utf-8";
        response.Headers[SnapshotTimeHeader] = rendered.State.Timestamp.ToString("F3", CultureInfo.InvariantCulture);
        ReadOnlyMemory<byte> body = rendered.Body.AsMemory(0, rendered.Length);
        if (gzip)
        {
            response.Headers.ContentEncoding = "gzip";
            body = _cache.Gzip(rendered).Bytes;
        }
        await WriteBodyAsync(response, body, ct);
    }

    /// <summary>Content-Length, then the bytes in slices through the response's PipeWriter (no chunked encoding, no second
    /// whole-body copy).</summary>
    internal static async Task WriteBodyAsync(HttpResponse response, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        response.ContentLength = body.Length;
        var writer = response.BodyWriter;
        for (var at = 0; at < body.Length; at += Slice)
        {
            var result = await writer.WriteAsync(body.Slice(at, Math.Min(Slice, body.Length - at)), ct);
            if (result.IsCompleted || result.IsCanceled) return;
        }
    }

    public void Dispose() => _timer?.Dispose();
}
