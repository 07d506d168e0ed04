using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Hosting.Chaos;

/// <summary>
/// The load of <c>ck chaos</c>: an HTTP v1 scheduler (JSON, RecordIO). It subscribes to whichever master answers (following the
/// 307 of non-leaders), re-subscribes with its framework id when the stream ends or falls silent, keeps about
/// <see cref="Target"/> tasks (<c>sleep S</c>) launched, kills some, acknowledges every update that carries a uuid and records
/// every status it is told, per task, in order.
/// </summary>
public sealed class ChaosFramework : IAsyncDisposable
{
    private static readonly Res Shape = Res.Parse("cpus:0.1;mem:16");
    private readonly Func<IReadOnlyList<string>> _masters;
    private readonly Random _random;
    private readonly Action<string> _log;
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly Dictionary<string, List<TaskState>> _seen = new();
    private readonly Dictionary<string, string> _agentOf = new();
    private readonly HashSet<string> _launched = new();
    private readonly Dictionary<string, int> _reasons = new();
    private volatile bool _tornDown;
    private Task? _loop;
    private string? _url, _streamId;
    private int _next;

    public ChaosFramework(Func<IReadOnlyList<string>> masters, int seed, Action<string> log)
    {
        _masters = masters;
        _random = new Random(seed);
        _log = log;
    }

    public FrameworkId? FrameworkId { get; private set; }
    /// <summary>Tasks to keep launched (not yet terminal); 0 stops launching.</summary>
    public int Target { get; set; } = 12;
    public int Launched { get { lock (_lock) return _launched.Count; } }
    public int Killed { get; private set; }
    public int Subscriptions { get; private set; }
    /// <summary>Stopwatch timestamp of the last OFFERS event.</summary>
    public long LastOffersAt { get; private set; }
    public string? LeaderUrl => _url;

    public void Start() => _loop = Task.Run(() => Loop(_stop.Token));

    public IReadOnlyList<ChaosTaskRecord> Records()
    {
        lock (_lock) return _launched.OrderBy(t => t).Select(t => new ChaosTaskRecord(t, _seen.TryGetValue(t, out var s) ? s.ToList() : new List<TaskState>())).ToList();
    }

    /// <summary>Updates other than STARTING, RUNNING, FINISHED and KILLED, by state, reason and message.</summary>
    public IReadOnlyDictionary<string, int> Reasons() { lock (_lock) return new Dictionary<string, int>(_reasons); }

    public int Count(Func<TaskState, bool> lastState)
    {
        lock (_lock) return _seen.Values.Count(s => s.Count > 0 && lastState(s[^1]));
    }

    private int Active()
    {
        lock (_lock) return _launched.Count(t => !_seen.TryGetValue(t, out var s) || s.Count == 0 || !s[^1].IsTerminal());
    }

    private async Task Loop(CancellationToken ct)
    {
        var i = 0;
        while (!ct.IsCancellationRequested && !_tornDown)
        {
            var masters = _masters();
            var url = _url ?? masters[i++ % masters.Count];
            var attempt = System.Diagnostics.Stopwatch.StartNew();
            try { await Subscribe(url, ct); }
            catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or OperationCanceledException or InvalidOperationException or FormatException)
            {
                if (ct.IsCancellationRequested) return;
                if (_streamId is not null && !_tornDown) _log($"framework: stream from {_url} ended ({e.GetType().Name}: {e.Message.Split('\n')[0]}); re-subscribing");
                // Each failed attempt, for the failover timeline (how much of it the framework's own retries take).
                else if (!_tornDown) _log($"framework: SUBSCRIBE via {url} failed after {attempt.Elapsed.TotalSeconds:F1} s ({e.GetType().Name}: {e.Message.Split('\n')[0]})");
            }
            _streamId = null;
            _url = null;
            try { await Task.Delay(500, ct); } catch (OperationCanceledException) { return; }
        }
    }

    private async Task Subscribe(string url, CancellationToken ct)
    {
        var info = new FrameworkInfo { Name = "ck-chaos", Id = FrameworkId, FailoverTimeout = 3600, Roles = new[] { "*" } };
        for (var hop = 0; hop < 3; hop++)
        {
            var body = SchedulerJson.WriteCall(new SchedulerCall("SUBSCRIBE", FrameworkId, new SubscribeCall(info, null))).ToJsonString();
            var request = new HttpRequestMessage(HttpMethod.Post, url + SchedulerApi.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headers.CancelAfter(TimeSpan.FromSeconds(10));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
            if ((int)response.StatusCode == 307 && response.Headers.Location is { } loc)
            {
                // Mesos' form "//host:port/api/v1/scheduler".
                var authority = loc.OriginalString.TrimStart('/').Split('/')[0];
                url = "http://" + authority;
                continue;
            }
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"SUBSCRIBE at {url}: {(int)response.StatusCode}");
            _streamId = response.Headers.GetValues(SchedulerApi.StreamIdHeader).Single();
            _url = url;
            await Read(response, ct);
            return;
        }
        throw new InvalidOperationException("too many redirects");
    }

    private async Task Read(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var heartbeat = TimeSpan.FromSeconds(15);
        var b = new byte[1];
        while (true)
        {
            // A frozen or cut-off master sends nothing: give up after three missed heartbeats, as Mesos' schedulers do.
            using var silent = CancellationTokenSource.CreateLinkedTokenSource(ct);
            silent.CancelAfter(heartbeat * 3);
            var length = new StringBuilder();
            while (true)
            {
                if (await stream.ReadAsync(b, silent.Token) == 0) throw new IOException("stream closed");
                if (b[0] == (byte)'\n') break;
                length.Append((char)b[0]);
            }
            var record = new byte[int.Parse(length.ToString())];
            await stream.ReadExactlyAsync(record, silent.Token);
            var e = SchedulerJson.ParseEvent(JsonNode.Parse(Encoding.UTF8.GetString(record)));
            switch (e)
            {
                case FrameworkSubscribed s:
                    FrameworkId = s.FrameworkId;
                    heartbeat = TimeSpan.FromSeconds(Math.Max(1, s.HeartbeatIntervalSeconds));
                    Subscriptions++;
                    _log($"framework: subscribed at {_url} as {s.FrameworkId.Value}");
                    Reconcile();
                    break;
                case ResourceOffers o:
                    LastOffersAt = Stopwatch.GetTimestamp();
                    OnOffers(o.Offers);
                    break;
                case TaskStatusUpdate u:
                    OnUpdate(u.Status);
                    break;
                case FrameworkError err:
                    throw new InvalidOperationException("ERROR event: " + err.Message);
            }
        }
    }

    private void OnOffers(IReadOnlyList<Offer> offers)
    {
        var decline = new List<OfferId>();
        foreach (var offer in offers)
        {
            var want = Math.Max(0, Target - Active());
            var fit = (int)Math.Floor(Math.Min(offer.Resources.Unreserved().Scalar("cpus") / 0.1 + 1e-9, offer.Resources.Unreserved().Scalar("mem") / 16 + 1e-9));
            var n = Math.Min(Math.Min(want, fit), 4);
            if (n <= 0) { decline.Add(offer.Id); continue; }
            var tasks = new List<TaskInfo>();
            lock (_lock)
                for (var i = 0; i < n; i++)
                {
                    var id = $"chaos-{_next++:D5}";
                    _launched.Add(id);
                    _agentOf[id] = offer.AgentId.Value;
                    tasks.Add(new TaskInfo
                    {
                        TaskId = new TaskId(id), Name = id, AgentId = offer.AgentId, Resources = Shape,
                        Command = new CommandInfo { Value = $"sleep {_random.Next(10, 90)}", Shell = true },
                    });
                }
            Post(new AcceptOffers(FrameworkId!.Value, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(tasks) }, new Filters { RefuseSeconds = 1 }));
        }
        if (decline.Count > 0) Post(new DeclineOffers(FrameworkId!.Value, decline, new Filters { RefuseSeconds = 1 }));
    }

    private void OnUpdate(TaskStatus status)
    {
        lock (_lock)
        {
            if (!_seen.TryGetValue(status.TaskId.Value, out var list)) _seen[status.TaskId.Value] = list = new List<TaskState>();
            list.Add(status.State);
            if (status.AgentId is { } a) _agentOf[status.TaskId.Value] = a.Value;
            if (status.State is not (TaskState.TASK_STARTING or TaskState.TASK_RUNNING or TaskState.TASK_FINISHED or TaskState.TASK_KILLED))
            {
                var key = $"{status.State} {status.Reason} {status.Message}".Trim();
                _reasons[key] = _reasons.GetValueOrDefault(key) + 1;
            }
        }
        if (status.Uuid is { } uuid && status.AgentId is { } agent)
            Post(new AcknowledgeStatus(FrameworkId!.Value, agent, status.TaskId, uuid));
    }

    /// <summary>Kills one task that was last reported RUNNING, at random; false when there is none.</summary>
    public bool KillOne()
    {
        string? victim;
        lock (_lock)
        {
            var running = _seen.Where(kv => kv.Value.Count > 0 && kv.Value[^1] == TaskState.TASK_RUNNING).Select(kv => kv.Key).ToList();
            victim = running.Count == 0 ? null : running[_random.Next(running.Count)];
        }
        if (victim is null || FrameworkId is null || _streamId is null) return false;
        Killed++;
        Post(new KillTask(FrameworkId.Value, new TaskId(victim), _agentOf.TryGetValue(victim, out var a) ? new AgentId(a) : null));
        return true;
    }

    /// <summary>Explicit reconciliation of every task not known terminal (answers carry no uuid and need no ack).</summary>
    public void Reconcile()
    {
        if (FrameworkId is null) return;
        List<ReconcileTask> tasks;
        lock (_lock)
            tasks = _launched.Where(t => !_seen.TryGetValue(t, out var s) || s.Count == 0 || !s[^1].IsTerminal())
                .Select(t => new ReconcileTask(new TaskId(t), _agentOf.TryGetValue(t, out var a) ? new AgentId(a) : null)).ToList();
        if (tasks.Count > 0) Post(new ReconcileTasks(FrameworkId.Value, tasks));
    }

    /// <summary>Fire and forget on the current stream's master; a call lost in a master change is repaired by retries and reconciliation.</summary>
    private void Post(IClusterMessage message)
    {
        var (url, stream) = (_url, _streamId);
        if (url is null || stream is null || FrameworkId is null) return;
        var type = message switch
        {
            AcceptOffers => "ACCEPT", DeclineOffers => "DECLINE", KillTask => "KILL", AcknowledgeStatus => "ACKNOWLEDGE",
            ReconcileTasks => "RECONCILE", TeardownFramework => "TEARDOWN", _ => throw new ArgumentException(message.GetType().Name),
        };
        var body = SchedulerJson.WriteCall(new SchedulerCall(type, FrameworkId, message)).ToJsonString();
        _ = Task.Run(async () =>
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url + SchedulerApi.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add(SchedulerApi.StreamIdHeader, stream);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                using var response = await _http.SendAsync(request, cts.Token);
                if ((int)response.StatusCode >= 400 && type != "DECLINE")
                    _log($"framework: {type} answered {(int)response.StatusCode} {(await response.Content.ReadAsStringAsync()).Trim()}");
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { }
        });
    }

    /// <summary>TEARDOWN on the leader (kills every task), best effort.</summary>
    public async Task TeardownAsync()
    {
        if (FrameworkId is null || _url is null) return;
        _tornDown = true;
        Post(new TeardownFramework(FrameworkId.Value));
        await Task.Delay(1000);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null) try { await _loop.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { }
        _http.Dispose();
    }
}
