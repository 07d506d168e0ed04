using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.TestKit;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Framework.Tests;

/// <summary>The endpoints over a real Kestrel on a free port, with probes answering for the master and the command framework.</summary>
public sealed class HttpApiSpec : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private readonly TestProbe _master;
    private readonly TestProbe _commands;
    private readonly WebApplication _app;
    private HttpClient _http = null!;

    public HttpApiSpec(ITestOutputHelper output) : base(output: output)
    {
        _master = CreateTestProbe();
        _commands = CreateTestProbe();
        _master.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            switch (message)
            {
                case GetClusterState: sender.Tell(MesosStateJsonSpec.SampleState()); break;
                case DownloadSandboxFile { TaskId.Value: "missing" } r: sender.Tell(new SandboxFileChunk(r.Path, r.Offset, Array.Empty<byte>(), 0, "no such task")); break;
                case DownloadSandboxFile { TaskId.Value: "silent" }: break; // never answers: the Ask times out
                case DownloadSandboxFile r:
                    var file = r.TaskId.Value == "binary" ? FilesReadSpec.AllBytes : System.Text.Encoding.ASCII.GetBytes("hello\n");
                    sender.Tell(new SandboxFileChunk(r.Path, r.Offset, file.Skip((int)r.Offset).Take(100).ToArray(), file.Length, null)); // 100-byte chunks
                    break;
            }
            return AutoPilot.KeepRunning;
        }));
        _commands.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            switch (message)
            {
                case RunCommand: sender.Tell(new CommandAccepted(new TaskId("ck-1"))); break;
                case GetCommand { TaskId.Value: "ck-1" } g:
                    sender.Tell(new CommandView(g.TaskId, "echo", Samples.AgentId, Samples.FrameworkId, TaskState.TASK_RUNNING,
                        new[] { new TaskStatus { TaskId = g.TaskId, State = TaskState.TASK_RUNNING } }));
                    break;
                case GetCommand g: sender.Tell(new CommandNotFound(g.TaskId)); break;
                case KillCommand k: sender.Tell(new CommandKillRequested(k.TaskId)); break;
            }
            return AutoPilot.KeepRunning;
        }));
        _app = HttpApi.Build(new HttpApiOptions { Url = "http://127.0.0.1:0", AskTimeout = TimeSpan.FromMilliseconds(500) }, Sys, _master.Ref, _commands.Ref);
    }

    public async Task InitializeAsync()
    {
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<(HttpStatusCode status, JsonNode? body)> Get(string path)
    {
        var r = await _http.GetAsync(path);
        Output?.WriteLine($"{(int)r.StatusCode} {r.Content.Headers.ContentType} {r.Content.Headers.ContentLength}");
        return (r.StatusCode, JsonNode.Parse(await r.Content.ReadAsStringAsync()));
    }

    private async Task<(HttpStatusCode status, JsonNode? body)> Post(string path, string json)
    {
        var r = await _http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        return (r.StatusCode, JsonNode.Parse(await r.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Health_answers_healthy()
    {
        var (status, body) = await Get("/health");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((bool?)body!["healthy"]);
    }

    [Theory]
    [InlineData("/state")]
    [InlineData("/master/state")]
    public async Task State_returns_the_mesos_shaped_cluster_state(string path)
    {
        var (status, body) = await Get(path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("agent-1", (string?)body!["slaves"]![0]!["id"]);
        Assert.Equal("TASK_RUNNING", (string?)body["frameworks"]![0]!["tasks"]![0]!["state"]);
    }

    [Fact]
    public async Task State_is_gzipped_when_the_client_accepts_gzip()
    {
        var plain = await (await _http.GetAsync("/state")).Content.ReadAsByteArrayAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "/state") { Headers = { { "Accept-Encoding", "gzip, deflate" } } };
        var zipped = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, zipped.StatusCode);
        Assert.Equal("gzip", Assert.Single(zipped.Content.Headers.ContentEncoding));
        await using var unzip = new System.IO.Compression.GZipStream(await zipped.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        using var body = new MemoryStream();
        await unzip.CopyToAsync(body);
        Assert.Equal(plain, body.ToArray());
    }

    [Fact]
    public async Task Posting_a_valid_command_answers_201_with_the_task_id()
    {
        var (status, body) = await Post(HttpApi.CommandsPath, """{"command":"echo hi","arguments":[],"shell":true,"cpus":0.5,"mem_mb":64,"disk_mb":0}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("ck-1", (string?)body!["task_id"]);
        var run = _commands.ExpectMsg<RunCommand>(TimeSpan.FromSeconds(3));
        Assert.Equal(64, run.Request.MemMb);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"command":"echo","cpus":0,"mem_mb":64}""")]
    [InlineData("""{"command":"echo","cpus":1,"mem_mb":0}""")]
    [InlineData("""{"command":"","cpus":1,"mem_mb":64}""")]
    [InlineData("""{"cpus":1,"mem_mb":64}""")]
    public async Task Posting_an_invalid_command_answers_400_with_a_message(string json)
    {
        var (status, body) = await Post(HttpApi.CommandsPath, json);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrEmpty((string?)body!["message"]));
    }

    [Fact]
    public async Task Getting_a_command_returns_its_view_or_404()
    {
        var (status, body) = await Get(HttpApi.CommandsPath + "/ck-1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("TASK_RUNNING", (string?)body!["state"]);

        (status, body) = await Get(HttpApi.CommandsPath + "/ck-2");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.NotNull((string?)body!["message"]);
    }

    [Fact]
    public async Task Killing_a_command_answers_202()
    {
        var (status, _) = await Post(HttpApi.CommandsPath + "/ck-1/kill", "");
        Assert.Equal(HttpStatusCode.Accepted, status);
    }

    [Fact]
    public async Task Files_read_returns_data_offset_and_size()
    {
        var (status, body) = await Get("/files/read?framework_id=fw-1&task_id=t1&path=stdout&offset=0&length=-1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("hello\n", (string?)body!["data"]);
        Assert.Equal(0, (long?)body["offset"]);
        Assert.Equal(6, (long?)body["size"]);
    }

    [Fact]
    public async Task Files_read_of_a_binary_file_is_byte_exact_as_mesos_writes_it()
    {
        var r = await _http.GetAsync("/files/read?framework_id=fw-1&task_id=binary&path=blob&offset=0");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        var body = await r.Content.ReadAsByteArrayAsync();
        Assert.Equal(FilesReadSpec.MesosBody(FilesReadSpec.AllBytes, 0, 256), body);
        Assert.Equal(FilesReadSpec.AllBytes, FilesRead.Decode(body).Data);
    }

    [Fact]
    public async Task Files_read_without_offset_gives_the_size_as_mesos_does()
    {
        var r = await _http.GetAsync("/files/read?framework_id=fw-1&task_id=binary&path=blob");
        Assert.Equal("{\"data\":\"\",\"offset\":256,\"size\":256}", await r.Content.ReadAsStringAsync());
        var (status, body) = await Get("/files/read?framework_id=fw-1&task_id=binary&path=blob&offset=250&length=-1");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(250, (long?)body!["offset"]);
    }

    [Theory]
    [InlineData("offset=-2", "Negative offset provided: -2")]
    [InlineData("length=-5", "Negative length provided: -5")]
    [InlineData("offset=x", "Failed to parse offset: 'x' is not an integer")]
    public async Task Files_read_refuses_bad_offsets_and_lengths_with_400(string query, string message)
    {
        var (status, body) = await Get("/files/read?framework_id=fw-1&task_id=t1&path=stdout&" + query);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(message, (string?)body!["message"]);
    }

    [Fact]
    public async Task Files_read_answers_404_when_the_agent_reports_an_error()
    {
        var (status, body) = await Get("/files/read?framework_id=fw-1&task_id=missing&path=stdout");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("no such task", (string?)body!["message"]);
    }

    [Fact]
    public async Task A_master_that_does_not_answer_gives_503_master_not_reachable()
    {
        var (status, body) = await Get("/files/read?framework_id=fw-1&task_id=silent");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("master not reachable", (string?)body!["message"]);
    }

    private const string Subscribe = """{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"silent-master"}}}""";

    [Fact]
    public async Task Subscribe_to_a_master_that_does_not_answer_gives_503_master_not_reachable()
    {
        var (status, body) = await Post(SchedulerApi.Path, Subscribe);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("master not reachable", (string?)body!["message"]);
    }

    [Fact]
    public async Task Subscribe_while_the_master_is_down_over_its_registry_gives_503_with_the_registry_reason()
    {
        const string why = "the registry (PostgreSQL) is unavailable: 57P01: terminating connection due to administrator command";
        ClusterKernel.Master.RegistryHealth.Get(Sys).Failed(why);
        var (status, body) = await Post(SchedulerApi.Path, Subscribe);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal(why, (string?)body!["message"]);
    }

    [Fact]
    public async Task Health_is_503_with_the_cause_once_the_registry_could_not_be_recovered_three_times()
    {
        var health = ClusterKernel.Master.RegistryHealth.Get(Sys);
        for (var i = 0; i < ClusterKernel.Master.RegistryHealth.RecoveryAttempts; i++)
            health.RecoveryFailed("PostgreSQL", new InvalidOperationException("unknown event type"));
        var (status, body) = await Get("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.False((bool?)body!["healthy"]);
        Assert.Contains("unknown event type", (string?)body["message"]);
        health.Recovered();
        Assert.Equal(HttpStatusCode.OK, (await Get("/health")).status);
    }

    [Fact]
    public async Task Unknown_routes_answer_404_with_a_json_message()
    {
        var (status, body) = await Get("/no/such/route");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.NotNull((string?)body!["message"]);
    }
}
