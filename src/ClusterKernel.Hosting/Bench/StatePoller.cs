using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ClusterKernel.Hosting.Bench;

/// <summary>One poll: which endpoint, wall time until the whole body was read, body bytes, HTTP status.</summary>
public sealed record StatePoll(string Endpoint, double Ms, long Bytes, int Status, double AtSeconds);

/// <summary>
/// <c>ck bench --poll-http</c>: polls the master's real HTTP API during a run, as an operator's dashboard would:
/// <c>GET /state</c> (MesosStateJson) and <c>POST /api/v1 {"type":"GET_STATE"}</c> (JSON), one after the other, every interval.
/// Times each request from send to the last body byte, so the Ask, the JSON rendering and the transfer are all in it.
/// </summary>
public sealed class StatePoller : IAsyncDisposable
{
    private static readonly byte[] GetStateBody = Encoding.UTF8.GetBytes("""{"type":"GET_STATE"}""");
    private readonly HttpClient _http;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<StatePoll> _polls = new();
    private readonly long _start = Stopwatch.GetTimestamp();
    private Task _loop = Task.CompletedTask;

    private readonly IReadOnlyList<string> _endpoints;

    /// <summary>Endpoints a poll may send: GET /state, GET /state with Accept-Encoding gzip (body decompressed; bytes are the
    /// compressed size), POST /api/v1 GET_STATE in JSON, gzip JSON, or protobuf (Call{type: GET_STATE}, binary Response).</summary>
    public static readonly IReadOnlyList<string> Known = new[] { "state", "state-gzip", "get-state", "get-state-gzip", "get-state-pb" };

    // Call{type: GET_STATE} (field 1, enum value 9) in mesos.v1.master's binary encoding.
    private static readonly byte[] GetStateProtobuf = { 0x08, 9 };

    public StatePoller(string baseUrl, TimeSpan interval, IReadOnlyList<string>? endpoints = null)
    {
        _endpoints = endpoints ?? new[] { "state", "get-state" };
        _http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
        _interval = interval;
    }

    public IReadOnlyList<StatePoll> Polls { get { lock (_polls) return _polls.ToList(); } }

    public void Start() => _loop = Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        var next = Stopwatch.GetTimestamp();
        while (!_cts.IsCancellationRequested)
        {
            foreach (var e in _endpoints) await PollAsync(e);
            // A fixed rate (not a fixed gap): a slow poll does not stretch the period, as a dashboard refreshing every second.
            next += (long)(_interval.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
            if (wait <= TimeSpan.Zero) { next = Stopwatch.GetTimestamp(); continue; }
            try { await Task.Delay(wait, _cts.Token); } catch (OperationCanceledException) { }
        }
    }

    private Task PollAsync(string endpoint, bool once = false) => endpoint switch
    {
        "state" => PollAsync("/state", () => new HttpRequestMessage(HttpMethod.Get, "/state"), once),
        "state-gzip" => PollAsync("/state gzip", () => new HttpRequestMessage(HttpMethod.Get, "/state") { Headers = { { "Accept-Encoding", "gzip" } } }, once),
        "get-state-gzip" => PollAsync("GET_STATE gzip", () => new HttpRequestMessage(HttpMethod.Post, "/api/v1")
        {
            Content = new ByteArrayContent(GetStateBody) { Headers = { { "Content-Type", "application/json" } } },
            Headers = { { "Accept", "application/json" }, { "Accept-Encoding", "gzip" } },
        }, once),
        "get-state-pb" => PollAsync("GET_STATE protobuf", () => new HttpRequestMessage(HttpMethod.Post, "/api/v1")
        {
            Content = new ByteArrayContent(GetStateProtobuf) { Headers = { { "Content-Type", "application/x-protobuf" } } },
            Headers = { { "Accept", "application/x-protobuf" } },
        }, once),
        _ => PollAsync("GET_STATE", () => new HttpRequestMessage(HttpMethod.Post, "/api/v1")
        {
            Content = new ByteArrayContent(GetStateBody) { Headers = { { "Content-Type", "application/json" } } },
            Headers = { { "Accept", "application/json" } },
        }, once),
    };

    private async Task PollAsync(string endpoint, Func<HttpRequestMessage> request, bool once)
    {
        if (_cts.IsCancellationRequested && !once) return;
        var token = once ? CancellationToken.None : _cts.Token;
        var at = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        var sw = Stopwatch.StartNew();
        StatePoll poll;
        try
        {
            using var req = request();
            using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, token);
            // Read through and counted, not kept: this client runs in the master's process in `ck bench`, and a 46 MB array per
            // poll (ReadAsByteArrayAsync) cost that process a large-object allocation and gen2 pressure the master would not see
            // from a real remote client. A client that asked for gzip reads the JSON too: the decompression is part of its wait.
            await using var raw = await resp.Content.ReadAsStreamAsync(token);
            var counted = new CountingStream(raw);
            if (resp.Content.Headers.ContentEncoding.Contains("gzip"))
            {
                await using var unzip = new System.IO.Compression.GZipStream(counted, System.IO.Compression.CompressionMode.Decompress);
                await unzip.CopyToAsync(Stream.Null, 1 << 16, token);
            }
            else await counted.CopyToAsync(Stream.Null, 1 << 16, token);
            poll = new StatePoll(endpoint, sw.Elapsed.TotalMilliseconds, (int)counted.Count, (int)resp.StatusCode, at);
        }
        catch (OperationCanceledException) when (!once && _cts.IsCancellationRequested) { return; }
        catch (Exception) { poll = new StatePoll(endpoint, sw.Elapsed.TotalMilliseconds, 0, 0, at); }
        lock (_polls) _polls.Add(poll);
    }

    /// <summary>One GET /state and one GET_STATE now (after the run), measured the same way.</summary>
    public async Task<IReadOnlyList<StatePoll>> PollOnceAsync()
    {
        int before;
        lock (_polls) before = _polls.Count;
        foreach (var e in _endpoints) await PollAsync(e, once: true);
        lock (_polls) { var added = _polls.Skip(before).ToList(); _polls.RemoveRange(before, added.Count); return added; }
    }

    public async Task StopAsync()
    {
        _cts.Cancel();
        await _loop;
    }

    /// <summary>"n polls, p50 / p99 / max ms, bytes min–max, errors" per endpoint.</summary>
    public static string Summarise(IEnumerable<StatePoll> polls)
    {
        var sb = new StringBuilder();
        foreach (var g in polls.GroupBy(p => p.Endpoint))
        {
            var ok = g.Where(p => p.Status == 200).ToList();
            var ms = ok.Select(p => p.Ms).OrderBy(x => x).ToArray();
            string F(double v) => v.ToString("F0", CultureInfo.InvariantCulture);
            if (sb.Length > 0) sb.Append("; ");
            sb.Append(ms.Length == 0
                ? $"{g.Key}: {g.Count()} polls, none answered 200"
                : $"{g.Key}: {ms.Length} polls, p50 {F(Pct(ms, 0.5))} / p99 {F(Pct(ms, 0.99))} / max {F(ms[^1])} ms, " +
                  $"{ok.Min(p => p.Bytes) / 1e6:F2}–{ok.Max(p => p.Bytes) / 1e6:F2} MB");
            var errors = g.Count() - ok.Count;
            if (errors > 0) sb.Append($", {errors} failed ({string.Join(",", g.Where(p => p.Status != 200).Select(p => p.Status).Distinct())})");
        }
        return sb.Length == 0 ? "no polls" : sb.ToString();
    }

    /// <summary>A read-only pass-through that counts the bytes read.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); Count += n; return n; }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await inner.ReadAsync(buffer, ct);
            Count += n;
            return n;
        }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static double Pct(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1))];

    public async ValueTask DisposeAsync()
    {
        if (!_cts.IsCancellationRequested) await StopAsync();
        _http.Dispose();
        _cts.Dispose();
    }
}
