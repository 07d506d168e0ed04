using Google.Protobuf;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Framework.Tests;

/// <summary>The operator API (POST /api/v1 and the classic endpoints) over a real Kestrel, with a probe answering for the master.</summary>
public sealed class OperatorApiSpec : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private readonly TestProbe _master;
    private readonly ConcurrentQueue<object> _received = new();
    private readonly WebApplication _app;
    private HttpClient _http = null!;

    private static readonly MaintenanceView Maintenance = new(new[] { "node9" }, new[] { new AgentId("agent-1") }, Array.Empty<AgentId>(), new[] { new AgentId("agent-0") });

    public OperatorApiSpec(ITestOutputHelper output) : base(output: output)
    {
        _master = CreateTestProbe();
        _master.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            _received.Enqueue(message);
            switch (message)
            {
                case GetClusterState: sender.Tell(MesosStateJsonSpec.SampleState()); break;
                case GetMaintenance: sender.Tell(Maintenance); break;
                case GetWeights: sender.Tell(new WeightsView(new Dictionary<string, double> { ["ads"] = 2.5 })); break;
                case GetQuota:
                    sender.Tell(new QuotaView(new[] { new RoleQuota("ads", new Dictionary<string, double> { ["cpus"] = 1 }, new Dictionary<string, double> { ["cpus"] = 2 }) }));
                    break;
                case GetMetrics:
                    sender.Tell(new MetricsSnapshot(new Dictionary<string, double>
                    {
                        ["allocator/mesos/allocation_runs"] = 7, ["allocator/mesos/allocation_run_ms"] = 1.5, ["master/frameworks/ck-command/fw-1/offers/sent"] = 3,
                    }));
                    break;
                case UpdateWeights w: sender.Tell(w.Weights.ContainsKey("bad") ? OperatorResult.Refused("'bad' weight refused") : OperatorResult.Success); break;
                case UpdateQuota q: sender.Tell(q.Role == "bad" ? OperatorResult.Refused("'bad' quota refused") : OperatorResult.Success); break;
                case UpdateMaintenanceSchedule: sender.Tell(OperatorResult.Success); break;
                case UpdateMaintenance m: sender.Tell(m.Hostnames.Any(string.IsNullOrEmpty) ? OperatorResult.Refused("name at least one machine by hostname") : OperatorResult.Success); break;
                case DeactivateAgent { AgentId.Value: "nope" } or ReactivateAgent { AgentId.Value: "nope" } or DrainAgent { AgentId.Value: "nope" } or MarkAgentGone { AgentId.Value: "nope" }:
                    sender.Tell(OperatorResult.Refused("agent nope is not registered"));
                    break;
                case DeactivateAgent or ReactivateAgent or DrainAgent or MarkAgentGone: sender.Tell(OperatorResult.Success); break;
                case ReadSandboxFile { TaskId.Value: "missing" } r: sender.Tell(new SandboxFileData(r.Path, r.Offset, "", 0, "no such task")); break;
                case GetOperations: sender.Tell(new OperationsView(Array.Empty<OperationView>())); break;
                case ReadSandboxFile r: sender.Tell(new SandboxFileData(r.Path, r.Offset, r.Length == 0 ? "" : "hello\n", 6, null)); break;
                case DownloadSandboxFile { TaskId.Value: "missing" } d: sender.Tell(new SandboxFileChunk(d.Path, d.Offset, Array.Empty<byte>(), 0, "no such task")); break;
                case DownloadSandboxFile d:
                    var from = (int)Math.Min(d.Offset, BinaryFile.Length);
                    sender.Tell(new SandboxFileChunk(d.Path, d.Offset, BinaryFile[from..Math.Min(BinaryFile.Length, from + DownloadSandboxFile.MaxChunk)], BinaryFile.Length, null));
                    break;
                case BrowseSandbox b:
                    sender.Tell(new SandboxListing(b.Path, new[] { new SandboxEntry("stderr", 1, 0, 1.5, 0x81A4, "u", "g"), new SandboxEntry("stdout", 1, 6, 1.5, 0x81A4, "u", "g") }, null));
                    break;
            }
            return AutoPilot.KeepRunning;
        }));
        _app = HttpApi.Build(new HttpApiOptions { Url = "http://127.0.0.1:0", AskTimeout = TimeSpan.FromSeconds(3) }, Sys, _master.Ref, CreateTestProbe().Ref);
    }

    public async Task InitializeAsync()
    {
        await _app.StartAsync();
        _http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private T Received<T>() => _received.OfType<T>().Last();

    private async Task<(HttpStatusCode status, string text)> Send(HttpMethod method, string path, string? body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        var r = await _http.SendAsync(request);
        var text = await r.Content.ReadAsStringAsync();
        Output?.WriteLine($"{method} {path} {body} -> {(int)r.StatusCode} {text}");
        return (r.StatusCode, text);
    }

    private async Task<(HttpStatusCode status, JsonNode? body)> Call(string json)
    {
        var (status, text) = await Send(HttpMethod.Post, OperatorApi.Path, json);
        return (status, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private async Task<JsonNode> CallOk(string type, string? payload = null)
    {
        var (status, body) = await Call(CallJson(type, payload));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(type, (string?)body!["type"]);
        return body[type.ToLowerInvariant()]!;
    }

    private static string CallJson(string type, string? payload) =>
        payload is null ? "{\"type\":\"" + type + "\"}" : "{\"type\":\"" + type + "\",\"" + type.ToLowerInvariant() + "\":" + payload + "}";

    private async Task<string> CallError(HttpStatusCode expected, string json)
    {
        var (status, body) = await Call(json);
        Assert.Equal(expected, status);
        var message = (string?)body!["message"];
        Assert.False(string.IsNullOrEmpty(message));
        return message!;
    }

    private async Task CallUpdate(string type, string payload)
    {
        var (status, body) = await Call(CallJson(type, payload));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body);
    }

    // ---------------- framing ----------------

    [Fact]
    public async Task Protobuf_bodies_are_decoded_and_invalid_ones_answer_400()
    {
        // 08 01 = Call{type: GET_HEALTH} (ProtobufBridge); the answer is a binary Response.
        var (status, _) = await Send(HttpMethod.Post, OperatorApi.Path, "\u0008\u0001", "application/x-protobuf");
        Assert.Equal(HttpStatusCode.OK, status);
        // 0a 05 = field 1, 5 bytes follow, but none do.
        var (bad, text) = await Send(HttpMethod.Post, OperatorApi.Path, "\u000a\u0005", "application/x-protobuf");
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Contains("protobuf", (string?)JsonNode.Parse(text)!["message"]);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"type":3}""")]
    [InlineData("""{"get_health":{}}""")]
    public async Task Bad_json_or_a_missing_type_answers_400(string json) => await CallError(HttpStatusCode.BadRequest, json);

    [Fact]
    public async Task An_unknown_type_answers_400()
    {
        var message = await CallError(HttpStatusCode.BadRequest, """{"type":"GET_UNICORNS"}""");
        Assert.Contains("GET_UNICORNS", message);
    }

    [Theory]
    [InlineData("GROW_VOLUME")]
    [InlineData("SHRINK_VOLUME")]
    public async Task Growing_and_shrinking_volumes_answer_501(string type) =>
        Assert.Equal("not supported yet", await CallError(HttpStatusCode.NotImplemented, CallJson(type, null)));

    // ---------------- reads ----------------

    [Fact]
    public async Task Health_version_flags_and_operations()
    {
        Assert.True((bool?)(await CallOk("GET_HEALTH"))["healthy"]);
        Assert.Equal(MesosStateJson.Version, (string?)(await CallOk("GET_VERSION"))["version_info"]!["version"]);
        var flags = (await CallOk("GET_FLAGS"))["flags"]!.AsArray();
        Assert.Contains(flags, f => (string?)f!["name"] == "logging_level");
        Assert.Empty((await CallOk("GET_OPERATIONS"))["operations"]!.AsArray());
    }

    [Fact]
    public async Task Get_metrics_lists_name_value_pairs()
    {
        var metrics = (await CallOk("GET_METRICS"))["metrics"]!.AsArray();
        Assert.Contains(metrics, m => (string?)m!["name"] == "allocator/mesos/allocation_runs" && (double?)m["value"] == 7);
    }

    [Fact]
    public async Task Get_state_answers_the_mapped_node_tree_byte_for_byte_cached_and_gzip()
    {
        var expected = new JsonObject { ["type"] = "GET_STATE", ["get_state"] = OperatorJson.GetState(MesosStateJsonSpec.SampleState(), Maintenance) }.ToJsonString();
        Assert.Equal((HttpStatusCode.OK, expected), await Send(HttpMethod.Post, OperatorApi.Path, """{"type":"GET_STATE"}"""));
        Assert.Equal((HttpStatusCode.OK, expected), await Send(HttpMethod.Post, OperatorApi.Path, """{"type":"GET_STATE"}"""));

        using var request = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new StringContent("""{"type":"GET_STATE"}""", Encoding.UTF8, "application/json") };
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        using var response = await _http.SendAsync(request);
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        await using var z = new System.IO.Compression.GZipStream(await response.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal(expected, await new StreamReader(z, Encoding.UTF8).ReadToEndAsync());
    }

    [Fact]
    public async Task Get_state_in_protobuf_is_the_bridge_encoding_of_the_json_answer()
    {
        var expected = ClusterKernel.Api.Protobuf.ProtobufBridge.Encode(ClusterKernel.Api.Protobuf.ProtobufBridge.Operator.Response!,
            new JsonObject { ["type"] = "GET_STATE", ["get_state"] = OperatorJson.GetState(MesosStateJsonSpec.SampleState(), Maintenance) }.ToJsonString());
        var call = new Mesos.V1.Master.Call { Type = Mesos.V1.Master.Call.Types.Type.GetState }.ToByteArray();
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new ByteArrayContent(call) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Get_state_holds_agents_frameworks_tasks_and_executors()
    {
        var s = await CallOk("GET_STATE");
        var agents = s["get_agents"]!["agents"]!.AsArray();
        Assert.Equal("agent-1", (string?)agents[0]!["agent_info"]!["id"]!["value"]);
        Assert.Equal("node1", (string?)agents[0]!["agent_info"]!["hostname"]);
        // agent-1 is connected but deactivated by an operator (GetMaintenance).
        Assert.False((bool?)agents[0]!["active"]);
        Assert.True((bool?)agents[0]!["deactivated"]);
        Assert.Equal("fw-1", (string?)s["get_frameworks"]!["frameworks"]![0]!["framework_info"]!["id"]!["value"]);
        var task = Assert.Single(s["get_tasks"]!["tasks"]!.AsArray())!;
        Assert.Equal("t1", (string?)task["task_id"]!["value"]);
        Assert.Equal("TASK_RUNNING", (string?)task["state"]);
        Assert.Contains(task["resources"]!.AsArray(), r => (string?)r!["name"] == "mem" && (double?)r["scalar"]!["value"] == 256);
        Assert.Equal("t0", (string?)Assert.Single(s["get_tasks"]!["completed_tasks"]!.AsArray())!["task_id"]!["value"]);
        var executor = Assert.Single(s["get_executors"]!["executors"]!.AsArray())!;
        Assert.Equal("ex-1", (string?)executor["executor_info"]!["executor_id"]!["value"]);
        Assert.Equal(("DEFAULT", "group", "fw-1"), ((string?)executor["executor_info"]!["type"], (string?)executor["executor_info"]!["name"], (string?)executor["executor_info"]!["framework_id"]!["value"]));
        Assert.Contains(executor["executor_info"]!["resources"]!.AsArray(), r => (string?)r!["name"] == "mem" && (double?)r["scalar"]!["value"] == 32);
        Assert.Equal("agent-1", (string?)executor["agent_id"]!["value"]);
    }

    [Fact]
    public async Task Get_agents_frameworks_tasks_and_executors_alone()
    {
        var agents = (await CallOk("GET_AGENTS"))["agents"]!.AsArray();
        Assert.Equal(2, agents.Count);
        Assert.Contains(agents[0]!["total_resources"]!.AsArray(), r => (string?)r!["name"] == "ports" && (long?)r["ranges"]!["range"]![0]!["begin"] == 31000);
        Assert.Single((await CallOk("GET_FRAMEWORKS"))["frameworks"]!.AsArray());
        Assert.Single((await CallOk("GET_TASKS"))["tasks"]!.AsArray());
        Assert.Single((await CallOk("GET_EXECUTORS"))["executors"]!.AsArray());
    }

    [Fact]
    public async Task Get_roles_weights_quota_and_master()
    {
        var roles = (await CallOk("GET_ROLES"))["roles"]!.AsArray();
        var ads = Assert.Single(roles, r => (string?)r!["name"] == "ads")!;
        Assert.Equal(2.5, (double?)ads["weight"]);
        Assert.Equal(2.0, (double?)ads["quota"]!["limit"]!["cpus"]);

        var weights = (await CallOk("GET_WEIGHTS"))["weight_infos"]!.AsArray();
        Assert.Equal("ads", (string?)weights[0]!["role"]);

        var config = (await CallOk("GET_QUOTA"))["status"]!["configs"]![0]!;
        Assert.Equal(1.0, (double?)config["guarantees"]!["cpus"]!["value"]);
        Assert.Equal(2.0, (double?)config["limits"]!["cpus"]!["value"]);

        var master = await CallOk("GET_MASTER");
        Assert.Equal("epoch-1", (string?)master["master_info"]!["id"]);
        Assert.Equal("127.0.0.1", (string?)master["master_info"]!["address"]!["ip"]);
    }

    [Fact]
    public async Task Maintenance_status_and_schedule()
    {
        var status = (await CallOk("GET_MAINTENANCE_STATUS"))["status"]!;
        Assert.Equal("node9", (string?)status["down_machines"]![0]!["hostname"]);
        Assert.Equal("agent-1", (string?)status["deactivated_agents"]![0]!["value"]);
        var schedule = (await CallOk("GET_MAINTENANCE_SCHEDULE"))["schedule"]!;
        Assert.Equal("node9", (string?)schedule["windows"]![0]!["machine_ids"]![0]!["hostname"]);
    }

    [Fact]
    public async Task Logging_level_is_the_actor_system_log_level()
    {
        await CallUpdate("SET_LOGGING_LEVEL", """{"level":1,"duration":{"nanoseconds":60000000000}}""");
        Assert.Equal(LogLevel.DebugLevel, Sys.EventStream.LogLevel);
        Assert.Equal(1, (int?)(await CallOk("GET_LOGGING_LEVEL"))["level"]);
        await CallUpdate("SET_LOGGING_LEVEL", """{"akka_level":"WARNING"}""");
        Assert.Equal("WARNING", (string?)(await CallOk("GET_LOGGING_LEVEL"))["akka_level"]);
        await CallError(HttpStatusCode.BadRequest, """{"type":"SET_LOGGING_LEVEL","set_logging_level":{"akka_level":"LOUD"}}""");
    }

    /// <summary>Bytes that are not valid UTF-8, over several download chunks.</summary>
    private static readonly byte[] BinaryFile = Enumerable.Range(0, 3 * DownloadSandboxFile.MaxChunk + 123).Select(i => (byte)(i * 131 % 256)).ToArray();

    [Fact]
    public async Task Files_are_read_through_the_master_by_framework_and_task()
    {
        // READ_FILE is byte-exact: base64 of the raw bytes from offset, as many chunks as the length needs.
        var read = await CallOk("READ_FILE", """{"path":"fw-1/t1/stdout","offset":10,"length":100000}""");
        Assert.Equal(BinaryFile[10..100010], Convert.FromBase64String((string)read["data"]!));
        Assert.Equal(BinaryFile.Length, (long?)read["size"]);
        var r = _received.OfType<DownloadSandboxFile>().First();
        Assert.Equal(("fw-1", "t1", "stdout", 10L), (r.FrameworkId.Value, r.TaskId.Value, r.Path, r.Offset));

        read = await CallOk("READ_FILE", """{"path":"/var/ck/slaves/a1/frameworks/fw-1/executors/t1/runs/latest/stderr","offset":0}""");
        Assert.Equal(BinaryFile, Convert.FromBase64String((string)read["data"]!));
        r = Received<DownloadSandboxFile>();
        Assert.Equal(("fw-1", "t1", "stderr"), (r.FrameworkId.Value, r.TaskId.Value, r.Path));
        Assert.Equal(0, Convert.FromBase64String((string)(await CallOk("READ_FILE", """{"path":"fw-1/t1/stdout","offset":0,"length":0}"""))["data"]!).Length);

        var files = (await CallOk("LIST_FILES", """{"path":"fw-1/t1"}"""))["file_infos"]!.AsArray();
        Assert.Equal(new[] { "fw-1/t1/stderr", "fw-1/t1/stdout" }, files.Select(f => (string?)f!["path"]));
        Assert.Equal(("fw-1", "t1", ""), (Received<BrowseSandbox>().FrameworkId.Value, Received<BrowseSandbox>().TaskId.Value, Received<BrowseSandbox>().Path));
        Assert.Equal(6, (long?)files[1]!["size"]);
        Assert.Equal(1_500_000_000, (long?)files[1]!["mtime"]!["nanoseconds"]);

        Assert.Equal("no such task", await CallError(HttpStatusCode.NotFound, """{"type":"READ_FILE","read_file":{"path":"fw-1/missing/stdout","offset":0}}"""));
        await CallError(HttpStatusCode.BadRequest, """{"type":"READ_FILE","read_file":{"path":"just-one-part","offset":0}}""");
    }

    // ---------------- changes ----------------

    [Fact]
    public async Task Update_weights_sends_the_weights_and_a_refusal_is_400_with_the_reason()
    {
        await CallUpdate("UPDATE_WEIGHTS", """{"weight_infos":[{"role":"ads","weight":3},{"role":"web","weight":0.5}]}""");
        Assert.Equal(0.5, Received<UpdateWeights>().Weights["web"]);
        Assert.Equal("'bad' weight refused", await CallError(HttpStatusCode.BadRequest, """{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"bad","weight":1}]}}"""));
        await CallError(HttpStatusCode.BadRequest, """{"type":"UPDATE_WEIGHTS","update_weights":{}}""");
    }

    [Fact]
    public async Task Update_quota_sends_guarantees_and_limits()
    {
        await CallUpdate("UPDATE_QUOTA", """{"force":false,"quota_configs":[{"role":"ads","guarantees":{"cpus":1},"limits":{"cpus":2,"mem":512}}]}""");
        var q = Received<UpdateQuota>();
        Assert.Equal(("ads", 1.0, 512.0), (q.Role, q.Guarantees["cpus"], q.Limits["mem"]));
        Assert.Equal("'bad' quota refused", await CallError(HttpStatusCode.BadRequest, """{"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"bad","limits":{"cpus":2}}]}}"""));
        await CallError(HttpStatusCode.BadRequest, """{"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"ads","limits":{"cpus":"lots"}}]}}""");
    }

    [Theory]
    [InlineData("DEACTIVATE_AGENT", typeof(DeactivateAgent))]
    [InlineData("REACTIVATE_AGENT", typeof(ReactivateAgent))]
    [InlineData("MARK_AGENT_GONE", typeof(MarkAgentGone))]
    [InlineData("DRAIN_AGENT", typeof(DrainAgent))]
    public async Task Agent_calls_send_the_agent_id_and_a_refusal_is_400(string type, Type message)
    {
        await CallUpdate(type, """{"agent_id":{"value":"agent-1"}}""");
        Assert.Contains(_received, m => m.GetType() == message);
        Assert.Equal("agent nope is not registered", await CallError(HttpStatusCode.BadRequest, CallJson(type, """{"agent_id":{"value":"nope"}}""")));
        await CallError(HttpStatusCode.BadRequest, CallJson(type, "{}"));
    }

    [Theory]
    [InlineData("""{"nanoseconds":"2500000000"}""")]
    [InlineData("\"2.5s\"")] // google.protobuf.Duration in protobuf's JSON: what a protobuf DRAIN_AGENT becomes
    [InlineData("""{"seconds":2,"nanos":500000000}""")]
    public async Task Drain_agent_carries_grace_period_and_mark_gone(string grace)
    {
        await CallUpdate("DRAIN_AGENT", """{"agent_id":{"value":"agent-1"},"max_grace_period":""" + grace + ""","mark_gone":true}""");
        var d = Received<DrainAgent>();
        Assert.Equal(2.5, d.MaxGracePeriodSeconds);
        Assert.True(d.MarkGone);
    }

    [Fact]
    public async Task Start_and_stop_maintenance_and_update_schedule()
    {
        await CallUpdate("START_MAINTENANCE", """{"machines":[{"hostname":"node1"}]}""");
        Assert.Equal((true, "node1"), (Received<UpdateMaintenance>().Down, Received<UpdateMaintenance>().Hostnames[0]));
        await CallUpdate("STOP_MAINTENANCE", """{"machines":[{"hostname":"node1"}]}""");
        Assert.False(Received<UpdateMaintenance>().Down);
        Assert.Equal("name at least one machine by hostname",
            await CallError(HttpStatusCode.BadRequest, """{"type":"START_MAINTENANCE","start_maintenance":{"machines":[{"ip":"10.0.0.1"}]}}"""));

        // node2's window has started (down); node3's is in the future (ignored); node9 was down and is in no started window (up).
        _received.Clear();
        var future = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_600_000) * 1_000_000;
        await CallUpdate("UPDATE_MAINTENANCE_SCHEDULE", """{"schedule":{"windows":[{"machine_ids":[{"hostname":"node2"}],"unavailability":{"start":{"nanoseconds":0}}},"""
            + """{"machine_ids":[{"hostname":"node3"}],"unavailability":{"start":{"nanoseconds":""" + future + "}}}]}}");
        var updates = _received.OfType<UpdateMaintenance>().ToList();
        Assert.Equal(2, updates.Count);
        Assert.Equal(new[] { "node2" }, updates.Single(u => u.Down).Hostnames);
        Assert.Equal(new[] { "node9" }, updates.Single(u => !u.Down).Hostnames);
        // The whole schedule is stored too (future windows bring inverse offers).
        Assert.Equal(new[] { "node2", "node3" }, Received<UpdateMaintenanceSchedule>().Windows.SelectMany(w => w.Hostnames));
    }

    // ---------------- classic endpoints ----------------

    private async Task<JsonNode> GetJson(string path)
    {
        var (status, text) = await Send(HttpMethod.Get, path, null);
        Assert.Equal(HttpStatusCode.OK, status);
        return JsonNode.Parse(text)!;
    }

    [Fact]
    public async Task Classic_reads_have_mesos_names_and_shapes()
    {
        Assert.Equal("fw-1", (string?)(await GetJson("/frameworks"))["frameworks"]![0]!["id"]);
        var slaves = (await GetJson("/slaves"))["slaves"]!.AsArray();
        Assert.Equal("agent-1", (string?)slaves[0]!["id"]);
        Assert.False((bool?)slaves[0]!["active"]);
        Assert.Equal(2, (await GetJson("/tasks"))["tasks"]!.AsArray().Count);
        Assert.Single((await GetJson("/tasks?task_id=t1"))["tasks"]!.AsArray());
        Assert.Equal(2.5, (double?)(await GetJson("/roles"))["roles"]![0]!["weight"]);
        Assert.NotNull((await GetJson("/flags"))["flags"]!["logging_level"]);
        Assert.Equal(MesosStateJson.Version, (string?)(await GetJson("/version"))["version"]);
        var summary = await GetJson("/state-summary");
        Assert.Equal(1, (int?)summary["slaves"]![0]!["TASK_RUNNING"]);
        Assert.Null(summary["frameworks"]![0]!["tasks"]);
        Assert.Equal(1, (int?)summary["frameworks"]![0]!["TASK_FINISHED"]);
        Assert.Equal("ads", (string?)(await GetJson("/weights"))[0]!["role"]);
        Assert.Equal("ads", (string?)(await GetJson("/quota"))["configs"]![0]!["role"]);
        Assert.Equal("node9", (string?)(await GetJson("/maintenance/status"))["down_machines"]![0]!["hostname"]);
        Assert.Equal("node9", (string?)(await GetJson("/maintenance/schedule"))["windows"]![0]!["machine_ids"]![0]!["hostname"]);
    }

    [Fact]
    public async Task Classic_weights_quota_and_machines()
    {
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Put, "/weights", """[{"role":"web","weight":2}]""")).status);
        Assert.Equal(2.0, Received<UpdateWeights>().Weights["web"]);
        var (status, text) = await Send(HttpMethod.Put, "/weights", """[{"role":"bad","weight":2}]""");
        Assert.Equal((HttpStatusCode.BadRequest, "'bad' weight refused"), (status, (string?)JsonNode.Parse(text)!["message"]));
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Put, "/weights", "{oops")).status);

        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/quota", """{"quota_configs":[{"role":"ads","guarantees":{"cpus":1}}]}""")).status);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/quota", """{"role":"web","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":3}}]}""")).status);
        Assert.Equal((3.0, 3.0), (Received<UpdateQuota>().Guarantees["cpus"], Received<UpdateQuota>().Limits["cpus"]));
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Post, "/quota", """{"role":"bad","guarantee":[]}""")).status);

        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/machine/down", """[{"hostname":"node1"}]""")).status);
        Assert.True(Received<UpdateMaintenance>().Down);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Post, "/machine/up", """[{"hostname":"node1"}]""")).status);
        Assert.False(Received<UpdateMaintenance>().Down);
        Assert.Equal(HttpStatusCode.BadRequest, (await Send(HttpMethod.Post, "/machine/down", """{"hostname":"node1"}""")).status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Send(HttpMethod.Post, "/machine/down", "x", "application/x-protobuf")).status);
    }

    [Fact]
    public async Task Teardown_sends_TeardownFramework_for_a_known_framework_only()
    {
        var (status, _) = await Send(HttpMethod.Post, "/teardown", "frameworkId=fw-1", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("fw-1", Received<TeardownFramework>().FrameworkId.Value);
        var (bad, text) = await Send(HttpMethod.Post, "/teardown", "frameworkId=fw-9", "application/x-www-form-urlencoded");
        Assert.Equal((HttpStatusCode.BadRequest, "No framework found with specified ID"), (bad, (string?)JsonNode.Parse(text)!["message"]));
    }

    [Fact]
    public async Task V1_teardown_sends_TeardownFramework_for_a_known_framework_only()
    {
        await CallUpdate("TEARDOWN", """{"framework_id":{"value":"fw-1"}}""");
        Assert.Equal("fw-1", Received<TeardownFramework>().FrameworkId.Value);
        Assert.Equal("No framework found with specified ID", await CallError(HttpStatusCode.BadRequest, CallJson("TEARDOWN", """{"framework_id":{"value":"fw-9"}}""")));
        await CallError(HttpStatusCode.BadRequest, CallJson("TEARDOWN", "{}"));
    }

    [Fact]
    public async Task Redirect_points_to_this_master_and_reserve_without_an_agent_is_400()
    {
        var r = await _http.GetAsync("/redirect");
        Assert.Equal(HttpStatusCode.TemporaryRedirect, r.StatusCode);
        Assert.Equal("//" + new Uri(_app.Urls.First()).Authority, r.Headers.Location!.OriginalString);
        var (status, text) = await Send(HttpMethod.Post, "/reserve", "resources=[]", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("slaveId", (string?)JsonNode.Parse(text)!["message"]);
    }

    [Fact]
    public async Task Metrics_in_prometheus_text_format()
    {
        var r = await _http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.StartsWith("text/plain", r.Content.Headers.ContentType!.ToString());
        var lines = (await r.Content.ReadAsStringAsync()).Split('\n');
        Assert.Contains("allocator_mesos_allocation_runs 7", lines);
        Assert.Contains("allocator_mesos_allocation_run_ms 1.5", lines);
        Assert.Contains("master_frameworks_ck_command_fw_1_offers_sent 3", lines);
        Assert.Contains("# TYPE allocator_mesos_allocation_runs gauge", lines);
    }
}
