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

/// <summary>SUBSCRIBE: a RecordIO stream of events derived from the master's state, with short poll and heartbeat intervals.</summary>
public sealed class OperatorSubscribeSpec : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private volatile ClusterState _state = MesosStateJsonSpec.SampleState();
    private readonly WebApplication _app;
    private HttpClient _http = null!;

    public OperatorSubscribeSpec(ITestOutputHelper output) : base(output: output)
    {
        var master = CreateTestProbe();
        master.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            switch (message)
            {
                case GetClusterState: sender.Tell(_state); break;
                case GetMaintenance: sender.Tell(new MaintenanceView(Array.Empty<string>(), Array.Empty<AgentId>(), Array.Empty<AgentId>(), Array.Empty<AgentId>())); break;
            }
            return AutoPilot.KeepRunning;
        }));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapOperatorApi(master.Ref, Sys, TimeSpan.FromSeconds(3), pollInterval: TimeSpan.FromMilliseconds(50), heartbeatInterval: TimeSpan.FromMilliseconds(300));
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

        // A new task, the running task finishing, agent-2 leaving.
        var s = _state;
        var running = s.Tasks.Single(t => t.Id.Value == "t1");
        var finished = running with
        {
            State = TaskState.TASK_FINISHED,
            Statuses = running.Statuses.Append(new TaskStatus { TaskId = running.Id, State = TaskState.TASK_FINISHED }).ToList(),
        };
        var added = new TaskView(new TaskId("t2"), "new", running.FrameworkId, running.AgentId, TaskState.TASK_STAGING, Res.Parse("cpus:0.5"), Array.Empty<TaskStatus>(), null);
        _state = s with
        {
            Agents = s.Agents.Where(a => a.Id.Value != "agent-2").ToList(),
            Tasks = s.Tasks.Select(t => t.Id == running.Id ? finished : t).Append(added).ToList(),
        };

        // One diff gives them in state order; collect until all three have come.
        var events = new Dictionary<string, JsonNode>();
        while (!(events.ContainsKey("TASK_ADDED") && events.ContainsKey("TASK_UPDATED") && events.ContainsKey("AGENT_REMOVED")))
        {
            var e = await ReadRecord(stream, cts.Token);
            events[(string)e["type"]!] = e;
        }
        Assert.Equal("t2", (string?)events["TASK_ADDED"]["task_added"]!["task"]!["task_id"]!["value"]);
        Assert.Equal("TASK_FINISHED", (string?)events["TASK_UPDATED"]["task_updated"]!["state"]);
        Assert.Equal("t1", (string?)events["TASK_UPDATED"]["task_updated"]!["status"]!["task_id"]!["value"]);
        Assert.Equal("agent-2", (string?)events["AGENT_REMOVED"]["agent_removed"]!["agent_id"]!["value"]);
        await ReadUntil(stream, "HEARTBEAT", cts.Token);
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

    [Fact]
    public void Diff_reports_frameworks_coming_changing_and_going()
    {
        var s = MesosStateJsonSpec.SampleState();
        var f = s.Frameworks[0];
        var disconnected = s with { Frameworks = new[] { f with { Active = false, Connected = false } } };
        Assert.Equal(new[] { "FRAMEWORK_UPDATED" }, OperatorEvents.Diff(s, disconnected).Select(e => (string?)e["type"]));
        var empty = s with { Frameworks = Array.Empty<FrameworkView>(), Tasks = Array.Empty<TaskView>(), Agents = Array.Empty<AgentView>() };
        Assert.Equal(new[] { "AGENT_REMOVED", "AGENT_REMOVED", "FRAMEWORK_REMOVED" }, OperatorEvents.Diff(s, empty).Select(e => (string?)e["type"]));
        Assert.Equal(new[] { "FRAMEWORK_ADDED", "AGENT_ADDED", "AGENT_ADDED", "TASK_ADDED", "TASK_ADDED" }, OperatorEvents.Diff(empty, s).Select(e => (string?)e["type"]));
        Assert.Empty(OperatorEvents.Diff(s, s));
    }
}
