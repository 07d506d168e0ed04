using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.TestKit;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>SUBSCRIBE: a RecordIO stream of the events the master pushes, with a short heartbeat interval.</summary>
public sealed class OperatorSubscribeSpec : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private volatile ClusterState _state = MesosStateJsonSpec.SampleState();
    private readonly WebApplication _app;
    private readonly Akka.TestKit.TestProbe _master;
    private volatile IActorRef? _subscriber;
    private HttpClient _http = null!;

    public OperatorSubscribeSpec(ITestOutputHelper output) : base(output: output)
    {
        var master = _master = CreateTestProbe();
        master.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            switch (message)
            {
                case SubscribeOperatorEvents s:
                    _subscriber = s.Subscriber;
                    s.Subscriber.Tell(new OperatorSubscribed(_state, new MaintenanceView(Array.Empty<string>(), Array.Empty<AgentId>(), Array.Empty<AgentId>(), Array.Empty<AgentId>()), master.Ref), master.Ref);
                    break;
                case GetClusterState: sender.Tell(_state); break;
                case GetMaintenance: sender.Tell(new MaintenanceView(Array.Empty<string>(), Array.Empty<AgentId>(), Array.Empty<AgentId>(), Array.Empty<AgentId>())); break;
            }
            return AutoPilot.KeepRunning;
        }));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapOperatorApi(master.Ref, Sys, TimeSpan.FromSeconds(3), heartbeatInterval: TimeSpan.FromMilliseconds(300));
    }

    public async Task InitializeAsync()
    {
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(20) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<JsonNode> ReadRecord(Stream stream, CancellationToken ct)
    {
        var header = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, ct) == 0) throw new EndOfStreamException();
            if (one[0] == (byte)'\n') break;
            header.Append((char)one[0]);
        }
        var data = new byte[int.Parse(header.ToString())];
        await stream.ReadExactlyAsync(data, ct);
        return JsonNode.Parse(data)!;
    }

    private static async Task<JsonNode> ReadUntil(Stream stream, string type, CancellationToken ct)
    {
        while (true)
        {
            var e = await ReadRecord(stream, ct);
            if ((string?)e["type"] == type) return e;
        }
    }

    [Fact]
    public async Task Subscribe_streams_subscribed_then_derived_events_and_heartbeats()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var request = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new StringContent("""{"type":"SUBSCRIBE"}""", Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);

        var subscribed = await ReadRecord(stream, cts.Token);
        Assert.Equal("SUBSCRIBED", (string?)subscribed["type"]);
        Assert.Equal(2, subscribed["subscribed"]!["get_state"]!["get_agents"]!["agents"]!.AsArray().Count);
        Assert.Equal(0.3, (double?)subscribed["subscribed"]!["heartbeat_interval_seconds"]);
        // Written from GET_STATE's cached rendering: the same as the event's node tree.
        Assert.Equal(OperatorEvents.Subscribed(_state, new MaintenanceView(Array.Empty<string>(), Array.Empty<AgentId>(), Array.Empty<AgentId>(), Array.Empty<AgentId>()), 0.3).ToJsonString(),
            subscribed.ToJsonString());

        // A new task, the running task passing through two states at once, agent-2 leaving: pushed in this order.
        var running = _state.Tasks.Single(t => t.Id.Value == "t1");
        var added = new TaskView(new TaskId("t2"), "new", running.FrameworkId, running.AgentId, TaskState.TASK_STAGING, Res.Parse("cpus:0.5"), Array.Empty<TaskStatus>(), null);
        AwaitCondition(() => _subscriber is not null, TimeSpan.FromSeconds(5));
        foreach (var e in new IOperatorEvent[]
        {
            new OperatorTaskAdded(added),
            new OperatorTaskUpdated(running.FrameworkId, new TaskStatus { TaskId = running.Id, AgentId = running.AgentId, State = TaskState.TASK_KILLING }, TaskState.TASK_KILLING),
            new OperatorTaskUpdated(running.FrameworkId, new TaskStatus { TaskId = running.Id, AgentId = running.AgentId, State = TaskState.TASK_KILLED }, TaskState.TASK_KILLED),
            new OperatorAgentRemoved(new AgentId("agent-2")),
        }) _subscriber!.Tell(e, _master.Ref);

        var events = new List<JsonNode>();
        while (events.Count < 4)
        {
            var e = await ReadRecord(stream, cts.Token);
            if ((string?)e["type"] != "HEARTBEAT") events.Add(e);
        }
        Assert.Equal(new[] { "TASK_ADDED", "TASK_UPDATED", "TASK_UPDATED", "AGENT_REMOVED" }, events.Select(e => (string?)e["type"]));
        Assert.Equal("t2", (string?)events[0]["task_added"]!["task"]!["task_id"]!["value"]);
        Assert.Equal("TASK_KILLING", (string?)events[1]["task_updated"]!["state"]);
        Assert.Equal("TASK_KILLED", (string?)events[2]["task_updated"]!["state"]);
        Assert.Equal("t1", (string?)events[2]["task_updated"]!["status"]!["task_id"]!["value"]);
        Assert.Equal(running.FrameworkId.Value, (string?)events[2]["task_updated"]!["framework_id"]!["value"]);
        Assert.Equal("agent-2", (string?)events[3]["agent_removed"]!["agent_id"]!["value"]);
        await ReadUntil(stream, "HEARTBEAT", cts.Token);
    }

    [Fact]
    public async Task The_stream_ends_when_the_master_it_subscribed_to_terminates()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var request = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new StringContent("""{"type":"SUBSCRIBE"}""", Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        Assert.Equal("SUBSCRIBED", (string?)(await ReadRecord(stream, cts.Token))["type"]);
        Sys.Stop(_master.Ref);
        await Assert.ThrowsAsync<EndOfStreamException>(async () => { while (true) await ReadRecord(stream, cts.Token); });
    }

    [Fact]
    public async Task An_open_stream_does_not_hold_up_stopping_the_server()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var request = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new StringContent("""{"type":"SUBSCRIBE"}""", Encoding.UTF8, "application/json") };
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await using var stream = await response.Content.ReadAsStreamAsync(cts.Token);
        Assert.Equal("SUBSCRIBED", (string?)(await ReadRecord(stream, cts.Token))["type"]);

        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await _app.StopAsync(cts.Token);
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {stopped.Elapsed}");
    }
}
