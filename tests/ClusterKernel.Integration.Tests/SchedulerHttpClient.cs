using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>A test client of /api/v1/scheduler: one SUBSCRIBE stream read as RecordIO in the background, and calls on other connections.</summary>
public sealed class SchedulerHttpClient : IAsyncDisposable
{
    public static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _cts = new();
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>();
    private readonly Task _reader;
    private readonly List<object> _pending = new();

    public string StreamId { get; }
    public FrameworkId FrameworkId { get; private set; }
    public double HeartbeatIntervalSeconds { get; private set; }
    /// <summary>Every event read so far, in order (the raw JSON text).</summary>
    public List<string> Raw { get; } = new();
    /// <summary>Completes when the server ends the stream.</summary>
    public Task Closed => _reader;

    private SchedulerHttpClient(HttpClient http, HttpResponseMessage response, string streamId)
    {
        _http = http;
        _response = response;
        StreamId = streamId;
        _reader = Task.Run(ReadLoop);
    }

    public static async Task<SchedulerHttpClient> Subscribe(string url, FrameworkInfo info)
    {
        var http = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
        var body = SchedulerJson.WriteCall(new SchedulerCall("SUBSCRIBE", info.Id, new SubscribeCall(info, null))).ToJsonString();
        var request = new HttpRequestMessage(HttpMethod.Post, SchedulerApi.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var headersCts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersCts.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var client = new SchedulerHttpClient(http, response, response.Headers.GetValues(SchedulerApi.StreamIdHeader).Single());
        var subscribed = await client.Next<FrameworkSubscribed>();
        client.FrameworkId = subscribed.FrameworkId;
        client.HeartbeatIntervalSeconds = subscribed.HeartbeatIntervalSeconds;
        return client;
    }

    private async Task ReadLoop()
    {
        try
        {
            await using var stream = await _response.Content.ReadAsStreamAsync(_cts.Token);
            var records = new RecordIo(stream);
            while (await records.NextOrEnd(_cts.Token) is { } record)
            {
                var text = Encoding.UTF8.GetString(record);
                lock (Raw) Raw.Add(text);
                _events.Writer.TryWrite(SchedulerJson.ParseEvent(JsonNode.Parse(text)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
        finally { _events.Writer.TryComplete(); }
    }

    /// <summary>The oldest unconsumed event of type <typeparamref name="T"/> matching <paramref name="match"/>; other events stay
    /// for later calls (so an offer that arrives while a test waits for an update is not lost).</summary>
    public async Task<T> Next<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
    {
        bool Matches(object e, out T t)
        {
            t = e is T x ? x : default!;
            return e is T && (match is null || match(t));
        }
        for (var i = 0; i < _pending.Count; i++)
            if (Matches(_pending[i], out var found)) { _pending.RemoveAt(i); return found; }
        using var cts = new CancellationTokenSource(timeout ?? EventTimeout);
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                if (Matches(e, out var t)) return t;
                if (e is not SchedulerHeartbeat) _pending.Add(e);
            }
        }
        catch (OperationCanceledException) { throw new TimeoutException($"No {typeof(T).Name} event within {timeout ?? EventTimeout}; seen: {string.Join(" | ", Snapshot().TakeLast(10))}"); }
        catch (ChannelClosedException) { throw new InvalidOperationException($"Stream closed before a {typeof(T).Name} event; seen: {string.Join(" | ", Snapshot().TakeLast(10))}"); }
    }

    /// <summary>The next UPDATE for <paramref name="task"/>, acknowledged when it carries a uuid.</summary>
    public async Task<TaskStatus> NextUpdate(TaskId task, bool acknowledge = true)
    {
        var status = (await Next<TaskStatusUpdate>(u => u.Status.TaskId == task)).Status;
        if (acknowledge && status.Uuid is { } uuid && status.AgentId is { } agent)
            Assert.Equal(202, await Call(new AcknowledgeStatus(FrameworkId, agent, task, uuid)));
        return status;
    }

    public List<string> Snapshot() { lock (Raw) return Raw.ToList(); }

    public Task<int> Call(IClusterMessage message) =>
        Send(SchedulerJson.WriteCall(new SchedulerCall(TypeOf(message), FrameworkId, message)).ToJsonString(), StreamId);

    /// <summary>Posts a raw body on its own connection; answers the status code.</summary>
    public Task<int> Send(string body, string? streamId, string contentType = "application/json") => Post(_http, body, streamId, contentType);

    public static async Task<int> Post(HttpClient http, string body, string? streamId, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, SchedulerApi.Path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (streamId is not null) request.Headers.Add(SchedulerApi.StreamIdHeader, streamId);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.SendAsync(request, cts.Token);
        var text = await response.Content.ReadAsStringAsync(cts.Token);
        if ((int)response.StatusCode >= 400) Assert.Contains("\"message\"", text);
        else Assert.Equal("", text);
        return (int)response.StatusCode;
    }

    private static string TypeOf(IClusterMessage m) => m switch
    {
        AcceptOffers => "ACCEPT",
        DeclineOffers => "DECLINE",
        ReviveOffers => "REVIVE",
        SuppressOffers => "SUPPRESS",
        KillTask => "KILL",
        AcknowledgeStatus => "ACKNOWLEDGE",
        ReconcileTasks => "RECONCILE",
        TeardownFramework => "TEARDOWN",
        UpdateFramework => "UPDATE_FRAMEWORK",
        FrameworkToExecutorMessage => "MESSAGE",
        RespondInverseOffers r => r.Accept ? "ACCEPT_INVERSE_OFFERS" : "DECLINE_INVERSE_OFFERS",
        _ => throw new ArgumentException(m.GetType().Name),
    };

    public async ValueTask DisposeAsync()
    {
        _cts.Cancel();
        _response.Dispose();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        _http.Dispose();
    }
}
