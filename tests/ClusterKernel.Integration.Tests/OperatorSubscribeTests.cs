using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Integration.Tests;

/// <summary>The operator event stream (POST /api/v1 SUBSCRIBE) against a real master and agent: events pushed by the master.</summary>
[Collection("cluster")]
public sealed class OperatorSubscribeTests(ITestOutputHelper output)
{
    /// <summary>Reads RecordIO JSON records of one SUBSCRIBE stream in the background.</summary>
    private sealed class OperatorStream : IAsyncDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly Channel<JsonNode> _events = Channel.CreateUnbounded<JsonNode>();
        private readonly HttpClient _http;
        private readonly Task _reader;

        public OperatorStream(string url)
        {
            _http = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };
            _reader = Task.Run(ReadLoop);
        }

        private async Task ReadLoop()
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new StringContent("""{"type":"SUBSCRIBE"}""", Encoding.UTF8, "application/json") };
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _cts.Token);
                await using var stream = await response.Content.ReadAsStreamAsync(_cts.Token);
                var records = new RecordIo(stream);
                while (await records.NextOrEnd(_cts.Token) is { } data) _events.Writer.TryWrite(JsonNode.Parse(data)!);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
            finally { _events.Writer.TryComplete(); }
        }

        public async Task<JsonNode> Next(Func<JsonNode, bool> match)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                if (match(e)) return e;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _cts.CancelAsync();
            try { await _reader; } catch (OperationCanceledException) { }
            _http.Dispose();
        }
    }

    private static string Type(JsonNode e) => (string)e["type"]!;

    [Fact]
    public async Task A_quick_task_gives_TASK_ADDED_then_one_TASK_UPDATED_per_state_in_order()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        await using var events = new OperatorStream(master.HttpUrl!);
        var subscribed = await events.Next(e => Type(e) == "SUBSCRIBED");
        Assert.Single(subscribed["subscribed"]!["get_state"]!["get_agents"]!["agents"]!.AsArray());

        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!, new FrameworkInfo { Name = "quick", User = "root" });
        var added = await events.Next(e => Type(e) == "FRAMEWORK_ADDED");
        Assert.Equal(fw.FrameworkId.Value, (string?)added["framework_added"]!["framework"]!["framework_info"]!["id"]!["value"]);

        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        var task = new TaskInfo
        {
            Name = "quick", TaskId = new TaskId("quick-1"), AgentId = offer.AgentId, Resources = Res.Parse("cpus:0.1;mem:32"),
            Command = new CommandInfo { Value = "true" },
        };
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null)));
        var states = new List<TaskState>();
        while (states.Count == 0 || !states[^1].IsTerminal()) states.Add((await fw.NextUpdate(task.TaskId)).State);
        output.WriteLine("framework saw: " + string.Join(",", states));

        var taskAdded = await events.Next(e => Type(e) == "TASK_ADDED");
        Assert.Equal("TASK_STAGING", (string?)taskAdded["task_added"]!["task"]!["state"]);
        var seen = new List<string>();
        while (seen.Count < states.Count)
        {
            var u = (await events.Next(e => Type(e) == "TASK_UPDATED"))["task_updated"]!;
            Assert.Equal(fw.FrameworkId.Value, (string?)u["framework_id"]!["value"]);
            Assert.Equal("quick-1", (string?)u["status"]!["task_id"]!["value"]);
            Assert.Equal((string?)u["state"], (string?)u["status"]!["state"]);
            seen.Add((string)u["state"]!);
        }
        output.WriteLine("operator stream saw: " + string.Join(",", seen));
        Assert.Equal(states.Select(s => s.ToString()), seen);
        Assert.Equal("TASK_FINISHED", seen[^1]);
    }

    [Fact]
    public async Task READ_FILE_returns_a_binary_sandbox_file_byte_for_byte()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!, new FrameworkInfo { Name = "binary", User = "root" });
        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        var task = new TaskInfo
        {
            Name = "bin", TaskId = new TaskId("bin-1"), AgentId = offer.AgentId, Resources = Res.Parse("cpus:0.1;mem:32"),
            Command = new CommandInfo { Value = @"printf '\377\000\303\050ab\n' > out.bin" },
        };
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer.Id }, new OfferOperation[] { new LaunchOperation(new[] { task }) }, null)));
        TaskState last;
        do last = (await fw.NextUpdate(task.TaskId)).State; while (!last.IsTerminal());
        Assert.Equal(TaskState.TASK_FINISHED, last);

        using var http = new HttpClient { BaseAddress = new Uri(master.HttpUrl!), Timeout = TimeSpan.FromSeconds(15) };
        var body = """{"type":"READ_FILE","read_file":{"path":""" + $"\"{fw.FrameworkId.Value}/bin-1/out.bin\"" + ""","offset":1}}""";
        using var response = await http.PostAsync(OperatorApi.Path, new StringContent(body, Encoding.UTF8, "application/json"));
        var read = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["read_file"]!;
        Assert.Equal(new byte[] { 0x00, 0xC3, 0x28, (byte)'a', (byte)'b', (byte)'\n' }, Convert.FromBase64String((string)read["data"]!));
        Assert.Equal(7, (long?)read["size"]);

        // /files/read: the same bytes as Mesos writes them, raw where they are not ASCII (files.cpp + stout's JSON writer).
        var raw = await http.GetByteArrayAsync($"/files/read?path={fw.FrameworkId.Value}/bin-1/out.bin&offset=0");
        var expected = Encoding.ASCII.GetBytes("{\"data\":\"").Concat(new byte[] { 0xFF })
            .Concat(Encoding.ASCII.GetBytes("\\u0000")).Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.ASCII.GetBytes("ab\\n\",\"offset\":0,\"size\":7}")).ToArray();
        Assert.Equal(expected, raw);
        Assert.Equal(new byte[] { 0xFF, 0x00, 0xC3, 0x28, (byte)'a', (byte)'b', (byte)'\n' }, FilesRead.Decode(raw).Data);
    }
}
