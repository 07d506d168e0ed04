using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ClusterKernel.Api;

/// <summary>
/// Mesos' operator API on the master: <c>POST /api/v1</c> (JSON only) and the classic endpoints (/frameworks, /slaves,
/// /tasks, /roles, /flags, /version, /state-summary, /weights, /quota, /machine/down|up, /maintenance/*, /teardown,
/// /redirect, /metrics in Prometheus text). Every call is one or more Asks of the master; JSON shapes are in
/// <see cref="OperatorJson"/>. See docs/api-operator.md for what is and is not supported.
/// </summary>
public static partial class OperatorApi
{
    public const string Path = "/api/v1";

    /// <summary>At most this many SUBSCRIBE streams at once (Mesos' limit); more get 503.</summary>
    public const int MaxSubscribers = 1000;

    /// <param name="heartbeatInterval">HEARTBEAT events on SUBSCRIBE streams (default 15 s, as Mesos).</param>
    public static void MapOperatorApi(this WebApplication app, IActorRef master, ActorSystem system, TimeSpan timeout,
        TimeSpan? heartbeatInterval = null)
    {
        var h = new Handlers(master, system, timeout, app.Lifetime.ApplicationStopping, heartbeatInterval ?? TimeSpan.FromSeconds(15));
        h.UseGetStateCache(app.Lifetime.ApplicationStopping);
        app.MapPost(Path, h.Call);

        app.MapGet("/frameworks", h.Frameworks);
        app.MapGet("/master/frameworks", h.Frameworks);
        app.MapGet("/slaves", h.Slaves);
        app.MapGet("/master/slaves", h.Slaves);
        app.MapGet("/tasks", h.Tasks);
        app.MapGet("/master/tasks", h.Tasks);
        app.MapGet("/roles", h.Roles);
        app.MapGet("/flags", h.Flags);
        app.MapGet("/version", () => Json(new JsonObject { ["version"] = MesosStateJson.Version, ["build_user"] = "clusterkernel" }));
        app.MapGet("/state-summary", h.StateSummary);
        app.MapGet("/weights", h.GetWeightsClassic);
        app.MapPut("/weights", h.PutWeightsClassic);
        app.MapGet("/quota", h.GetQuotaClassic);
        app.MapPost("/quota", h.PostQuotaClassic);
        app.MapDelete("/quota/{role}", (string role) => h.Change(new UpdateQuota(role, new Dictionary<string, double>(), new Dictionary<string, double>())));
        app.MapPost("/machine/down", (HttpRequest r) => h.Machines(r, down: true));
        app.MapPost("/machine/up", (HttpRequest r) => h.Machines(r, down: false));
        app.MapGet("/maintenance/status", h.MaintenanceStatusClassic);
        app.MapGet("/maintenance/schedule", h.MaintenanceScheduleClassic);
        app.MapPost("/maintenance/schedule", h.PostScheduleClassic);
        app.MapPost("/teardown", h.Teardown);
        // /redirect and /master/redirect: LeaderRedirect.
        app.MapGet("/metrics", h.Prometheus);
        app.MapPost("/reserve", (HttpRequest r) => h.ClassicOperation(r, "resources", (a, res) => new ReserveResources(a, res)));
        app.MapPost("/unreserve", (HttpRequest r) => h.ClassicOperation(r, "resources", (a, res) => new UnreserveResources(a, res)));
        app.MapPost("/create-volumes", (HttpRequest r) => h.ClassicOperation(r, "volumes", (a, res) => new CreateVolumes(a, res)));
        app.MapPost("/destroy-volumes", (HttpRequest r) => h.ClassicOperation(r, "volumes", (a, res) => new DestroyVolumes(a, res)));
    }

    internal static IResult Json(JsonNode node, int status = 200) => Results.Text(node.ToJsonString(), "application/json", Encoding.UTF8, status);
    internal static IResult Error(int status, string message) => Json(new JsonObject { ["message"] = message }, status);

    private sealed partial class Handlers(IActorRef master, ActorSystem system, TimeSpan timeout, CancellationToken stopping, TimeSpan heartbeatInterval)
    {
        private int _subscribers;
        private readonly TimeSpan _heartbeat = heartbeatInterval;
        internal IActorRef Master => master;
        internal ActorSystem Actors => system;
        internal TimeSpan Timeout => timeout;
        // Streams end when the server stops, so that a subscriber never holds up the node's shutdown.
        private readonly CancellationToken _stopping = stopping;

        private static readonly (string Name, string Path)[] FlagPaths =
        {
            ("allocation_interval", "clusterkernel.master.allocation-interval"),
            ("agent_ping_timeout", "clusterkernel.master.agent-ping-timeout"),
            ("agent_reregister_timeout", "clusterkernel.master.agent-reregister-timeout"),
            ("max_completed_tasks_per_framework", "clusterkernel.master.max-completed-tasks-per-framework"),
            ("max_completed_frameworks", "clusterkernel.master.max-completed-frameworks"),
            ("framework_heartbeat_interval", "clusterkernel.master.framework-heartbeat-interval"),
            ("logging_level", "akka.loglevel"),
        };

        private Task<T> Ask<T>(object message) => master.Ask<T>(message, timeout);
        private Task<ClusterState> State() => Ask<ClusterState>(GetClusterState.Instance);
        private Task<MaintenanceView> Maintenance() => Ask<MaintenanceView>(GetMaintenance.Instance);

        /// <summary>An operator change: 200 with an empty body when the master applied it, 400 {"message"} when it refused.</summary>
        public async Task<IResult> Change(object message)
        {
            ForgetMaintenance();
            var r = await Ask<OperatorResult>(message);
            ForgetMaintenance(); // also a view asked for while the change was on its way
            return r.Ok ? Results.Ok() : Error(400, r.Error ?? "refused");
        }

        private static IResult Reply(string type, JsonObject payload) =>
            Json(new JsonObject { ["type"] = type, [type.ToLowerInvariant()] = payload });

        // ---------------- POST /api/v1 ----------------

        public async Task<IResult> Call(HttpRequest request)
        {
            var contentType = request.ContentType ?? "application/json";
            if (!contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
                return Error(415, $"Content-Type '{contentType}' is not supported: send application/json or application/x-protobuf");
            var accept = request.Headers.Accept.ToString();
            if (accept.Length > 0 && !accept.Contains("json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*"))
                return Error(406, $"Accept '{accept}' is not supported: only application/json");
            JsonNode? body;
            try { body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted); }
            catch (JsonException e) { return Error(400, "Failed to parse body into JSON: " + e.Message); }
            if (body is not JsonObject call) return Error(400, "Expecting a JSON object with a 'type'");
            string? type;
            try { type = (string?)call["type"]; }
            catch (InvalidOperationException) { return Error(400, "'type' must be a string"); }
            if (string.IsNullOrEmpty(type)) return Error(400, "Expecting 'type' to be present");
            try { return await Dispatch(type, call, request); }
            catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException or KeyNotFoundException)
            {
                return Error(400, $"Invalid {type} call: {e.Message}");
            }
        }

        private static JsonNode Field(JsonObject call, string name) =>
            call[name] ?? throw new FormatException($"Expecting '{name}' to be present");

        private static string Required(JsonNode? node, string what) =>
            (string?)node is { Length: > 0 } s ? s : throw new FormatException($"Expecting '{what}' to be present");

        private static AgentId AgentIdOf(JsonNode call, string field) =>
            new(Required(call[field]?["agent_id"]?["value"], field + ".agent_id.value"));

        private async Task<IResult> Dispatch(string type, JsonObject call, HttpRequest request)
        {
            switch (type)
            {
                case "SUBSCRIBE": return new Subscription(this);
                case "GET_HEALTH": return Reply(type, new JsonObject { ["healthy"] = ClusterKernel.Master.RegistryHealth.Get(system).Unhealthy is null });
                case "GET_VERSION": return Reply(type, new JsonObject { ["version_info"] = new JsonObject { ["version"] = MesosStateJson.Version, ["build_user"] = "clusterkernel" } });
                case "GET_FLAGS":
                    return Reply(type, new JsonObject { ["flags"] = new JsonArray(FlagValues().Select(kv => (JsonNode)new JsonObject { ["name"] = kv.Key, ["value"] = kv.Value }).ToArray()) });
                case "GET_METRICS":
                {
                    var m = await Ask<MetricsSnapshot>(GetMetrics.Instance);
                    var metrics = new JsonArray(m.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (JsonNode)new JsonObject { ["name"] = kv.Key, ["value"] = kv.Value }).ToArray());
                    return Reply(type, new JsonObject { ["metrics"] = metrics });
                }
                case "GET_LOGGING_LEVEL": return Reply(type, LoggingLevel());
                case "SET_LOGGING_LEVEL": return SetLoggingLevel(Field(call, "set_logging_level"));
                case "LIST_FILES": return await ListFiles(Field(call, "list_files"));
                case "READ_FILE": return await ReadFile(Field(call, "read_file"));
                case "GET_STATE": return await GetState(request); // cached per snapshot: OperatorApi.GetState.cs
                case "GET_AGENTS":
                {
                    var (s, m) = (State(), Maintenance());
                    return Reply(type, OperatorJson.GetAgents(await s, await m));
                }
                case "GET_FRAMEWORKS": return Reply(type, OperatorJson.GetFrameworks(await State()));
                case "GET_EXECUTORS": return Reply(type, OperatorJson.GetExecutors(await State()));
                case "GET_TASKS": return Reply(type, OperatorJson.GetTasks(await State()));
                case "GET_ROLES":
                {
                    var (s, w, q) = (State(), Ask<WeightsView>(GetWeights.Instance), Ask<QuotaView>(GetQuota.Instance));
                    return Reply(type, OperatorJson.GetRoles(await s, await w, await q));
                }
                case "GET_OPERATIONS": return Reply(type, new JsonObject { ["operations"] = OperationsJson(await Ask<OperationsView>(GetOperations.Instance)) });
                case "GET_WEIGHTS": return Reply(type, new JsonObject { ["weight_infos"] = OperatorJson.WeightInfos(await Ask<WeightsView>(GetWeights.Instance)) });
                case "UPDATE_WEIGHTS":
                    return await Change(new UpdateWeights(ParseWeights(Field(Field(call, "update_weights").AsObject(), "weight_infos"))));
                case "GET_MASTER":
                {
                    var s = await State();
                    return Reply(type, new JsonObject
                    {
                        ["master_info"] = MasterInfo(s, request),
                        ["start_time"] = s.StartTime,
                        ["elected_time"] = s.StartTime,
                    });
                }
                case "GET_QUOTA": return Reply(type, new JsonObject { ["status"] = OperatorJson.QuotaStatus(await Ask<QuotaView>(GetQuota.Instance)) });
                case "UPDATE_QUOTA": return await UpdateQuotas(Field(call, "update_quota"));
                case "GET_MAINTENANCE_STATUS": return Reply(type, new JsonObject { ["status"] = OperatorJson.MaintenanceStatus(await Maintenance()) });
                case "GET_MAINTENANCE_SCHEDULE": return Reply(type, new JsonObject { ["schedule"] = OperatorJson.MaintenanceSchedule(await Maintenance()) });
                case "UPDATE_MAINTENANCE_SCHEDULE": return await UpdateSchedule(Field(Field(call, "update_maintenance_schedule").AsObject(), "schedule"));
                case "START_MAINTENANCE": return await ChangeMachines(Field(Field(call, "start_maintenance").AsObject(), "machines"), down: true);
                case "STOP_MAINTENANCE": return await ChangeMachines(Field(Field(call, "stop_maintenance").AsObject(), "machines"), down: false);
                case "TEARDOWN":
                    return await TeardownFramework(Required(Field(call, "teardown")["framework_id"]?["value"], "teardown.framework_id.value"));
                case "MARK_AGENT_GONE": return await Change(new MarkAgentGone(AgentIdOf(call, "mark_agent_gone")));
                case "DEACTIVATE_AGENT": return await Change(new DeactivateAgent(AgentIdOf(call, "deactivate_agent")));
                case "REACTIVATE_AGENT": return await Change(new ReactivateAgent(AgentIdOf(call, "reactivate_agent")));
                case "DRAIN_AGENT":
                {
                    var drain = Field(call, "drain_agent");
                    double? grace = drain["max_grace_period"] is { } d ? OperatorJson.DurationSeconds(d, "drain_agent.max_grace_period") : null;
                    if (grace < 0) throw new FormatException("max_grace_period must not be negative");
                    var markGone = drain["mark_gone"] is { } g && g.GetValue<bool>();
                    return await Change(new DrainAgent(AgentIdOf(call, "drain_agent"), grace, markGone));
                }
                case "RESERVE_RESOURCES" or "UNRESERVE_RESOURCES" or "CREATE_VOLUMES" or "DESTROY_VOLUMES": return await V1Operation(type, call);
                case "GROW_VOLUME" or "SHRINK_VOLUME" or "UPDATE_QUOTA_CONFIG":
                    return Error(501, "not supported yet");
                default: return Error(400, $"Unknown call type '{type}'");
            }
        }

        private IEnumerable<KeyValuePair<string, string>> FlagValues()
        {
            var config = system.Settings.Config;
            foreach (var (name, path) in FlagPaths)
                if (config.HasPath(path)) yield return new(name, config.GetString(path));
            yield return new("version", MesosStateJson.Version);
        }

        private static JsonObject MasterInfo(ClusterState s, HttpRequest request)
        {
            var host = request.Host.Host;
            var port = request.Host.Port ?? 80;
            return new JsonObject
            {
                ["id"] = s.MasterEpoch,
                ["ip"] = 16777343, // 127.0.0.1 in network order, as Mesos' uint32 ip
                ["port"] = port,
                ["pid"] = $"master@{host}:{port}",
                ["hostname"] = host,
                ["version"] = MesosStateJson.Version,
                ["address"] = new JsonObject { ["hostname"] = host, ["ip"] = "127.0.0.1", ["port"] = port },
                ["capabilities"] = new JsonArray(new JsonObject { ["type"] = "AGENT_UPDATE" }, new JsonObject { ["type"] = "QUOTA_V2" }),
            };
        }

        private static Dictionary<string, double> ParseWeights(JsonNode infos)
        {
            if (infos is not JsonArray a) throw new FormatException("weight_infos must be an array");
            var weights = new Dictionary<string, double>();
            foreach (var w in a)
                weights[Required(w?["role"], "weight_infos[].role")] = w?["weight"] is { } v ? OperatorJson.Number(v) : throw new FormatException("weight_infos[].weight is required");
            return weights;
        }

        private async Task<IResult> UpdateQuotas(JsonNode update)
        {
            // Mesos checks every config before applying any; the master validates one role at a time, so a later
            // refusal leaves earlier roles updated. "force" has no meaning here (no capacity check) and is ignored.
            if (update["quota_configs"] is not JsonArray configs || configs.Count == 0) throw new FormatException("Expecting 'quota_configs' to be present");
            var requests = configs.Select(c => new UpdateQuota(Required(c?["role"], "quota_configs[].role"),
                OperatorJson.ParseQuantities(c?["guarantees"]), OperatorJson.ParseQuantities(c?["limits"]))).ToList();
            foreach (var r in requests)
            {
                var result = await Ask<OperatorResult>(r);
                if (!result.Ok) return Error(400, result.Error ?? "refused");
            }
            return Results.Ok();
        }

        private async Task<IResult> ChangeMachines(JsonNode machines, bool down)
        {
            if (machines is not JsonArray a) throw new FormatException("machines must be an array of {\"hostname\": ...}");
            return await Change(new UpdateMaintenance(OperatorJson.MachineHostnames(a), down));
        }

        /// <summary>
        /// The schedule is stored (frameworks with tasks on its machines get inverse offers, see MaintenanceJson); windows whose
        /// unavailability has started put their machines down; machines down now but in no started window come back up.
        /// </summary>
        private async Task<IResult> UpdateSchedule(JsonNode schedule)
        {
            ForgetMaintenance();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
            var down = OperatorJson.StartedHostnames(schedule, now);
            if (down.Any(string.IsNullOrWhiteSpace)) return Error(400, "every machine_id needs a hostname");
            var windows = MaintenanceJson.Windows(schedule);
            if (await Ask<OperatorResult>(new UpdateMaintenanceSchedule(windows)) is { Ok: false } r0) return Error(400, r0.Error ?? "refused");
            var before = await Maintenance();
            var up = before.DownHostnames.Except(down).ToList();
            if (down.Count > 0 && await Ask<OperatorResult>(new UpdateMaintenance(down, true)) is { Ok: false } r1) return Error(400, r1.Error ?? "refused");
            if (up.Count > 0 && await Ask<OperatorResult>(new UpdateMaintenance(up, false)) is { Ok: false } r2) return Error(400, r2.Error ?? "refused");
            return Results.Ok();
        }

        // ---------------- SUBSCRIBE ----------------

        /// <summary>
        /// The operator event stream, RecordIO-framed ("LENGTH\nJSON"): SUBSCRIBED with the state, then the events the master
        /// pushes as it makes each change (see <see cref="OperatorEventSubscriber"/>), and HEARTBEAT every heartbeat interval.
        /// Ends when the client goes, the server stops, or the master it subscribed to terminates.
        /// </summary>
        private sealed class Subscription(Handlers h) : IResult
        {
            /// <summary>Records buffered for a client that does not read; beyond, its stream ends.</summary>
            private const int MaxBuffered = 100_000;

            public async Task ExecuteAsync(HttpContext ctx)
            {
                if (Interlocked.Increment(ref h._subscribers) > MaxSubscribers)
                {
                    Interlocked.Decrement(ref h._subscribers);
                    await Error(503, "too many subscribers").ExecuteAsync(ctx);
                    return;
                }
                var channel = Channel.CreateBounded<object>(new BoundedChannelOptions(MaxBuffered) { SingleReader = true, SingleWriter = true });
                var subscriber = h.Actors.ActorOf(OperatorEventSubscriber.Props(h.Master, channel.Writer, h._heartbeat, h.Timeout));
                try
                {
                    using var streaming = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, h._stopping);
                    var aborted = streaming.Token;
                    OperatorSubscribed first;
                    try { first = (OperatorSubscribed)await channel.Reader.ReadAsync(aborted); }
                    catch (Exception e) when (e is TimeoutException or ChannelClosedException)
                    {
                        await Error(503, "master not reachable").ExecuteAsync(ctx);
                        return;
                    }
                    ctx.Response.StatusCode = 200;
                    ctx.Response.ContentType = "application/json";
                    // The same bytes as OperatorEvents.Subscribed, from GET_STATE's cached rendering.
                    await WriteRecord(ctx, h.SubscribedRecord(first.State, first.Maintenance, h._heartbeat.TotalSeconds), aborted);
                    await foreach (var item in channel.Reader.ReadAllAsync(aborted))
                        await Write(ctx, item is IOperatorEvent e ? OperatorEvents.Of(e) : OperatorEvents.Heartbeat(), aborted);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ChannelClosedException or TimeoutException or InvalidOperationException) { } // the subscriber or the master went away, or the server is stopping
                finally
                {
                    h.Actors.Stop(subscriber);
                    Interlocked.Decrement(ref h._subscribers);
                }
            }

            private static async Task WriteRecord(HttpContext ctx, byte[] record, CancellationToken ct)
            {
                await ctx.Response.Body.WriteAsync(record, ct);
                await ctx.Response.Body.FlushAsync(ct);
            }

            private static async Task Write(HttpContext ctx, JsonNode e, CancellationToken ct)
            {
                var json = Encoding.UTF8.GetBytes(e.ToJsonString());
                var header = RecordIo.Header(json.Length);
                await ctx.Response.Body.WriteAsync(header, ct);
                await ctx.Response.Body.WriteAsync(json, ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }

        // ---------------- logging level ----------------

        /// <summary>Mesos' level is glog verbosity: 0 = normal (Akka INFO), 1 and up = verbose (Akka DEBUG). "akka_level" is a ClusterKernel extension.</summary>
        private JsonObject LoggingLevel()
        {
            var level = system.EventStream.LogLevel;
            return new JsonObject { ["level"] = level == LogLevel.DebugLevel ? 1 : 0, ["akka_level"] = AkkaLevelName(level) };
        }

        private static string AkkaLevelName(LogLevel l) => l switch
        {
            LogLevel.DebugLevel => "DEBUG", LogLevel.InfoLevel => "INFO", LogLevel.WarningLevel => "WARNING", _ => "ERROR",
        };

        private IResult SetLoggingLevel(JsonNode set)
        {
            LogLevel target;
            if ((string?)set["akka_level"] is { } name)
            {
                target = name.ToUpperInvariant() switch
                {
                    "DEBUG" => LogLevel.DebugLevel, "INFO" => LogLevel.InfoLevel, "WARNING" => LogLevel.WarningLevel, "ERROR" => LogLevel.ErrorLevel,
                    _ => throw new FormatException($"akka_level must be DEBUG, INFO, WARNING or ERROR, not '{name}'"),
                };
            }
            else
            {
                var level = set["level"] is { } l ? OperatorJson.Number(l) : throw new FormatException("Expecting 'level' to be present");
                if (level < 0) throw new FormatException("level must not be negative");
                target = level >= 1 ? LogLevel.DebugLevel : LogLevel.InfoLevel;
            }
            var previous = system.EventStream.LogLevel;
            system.EventStream.SetLogLevel(target);
            // As Mesos: the level holds for "duration", then the previous one comes back.
            if (set["duration"]?["nanoseconds"] is { } ns && OperatorJson.Number(ns) > 0)
                system.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(OperatorJson.Number(ns) / 1e6), () =>
                {
                    if (system.EventStream.LogLevel == target) system.EventStream.SetLogLevel(previous);
                });
            return Results.Ok();
        }

        // ---------------- files ----------------

        private async Task<IResult> ListFiles(JsonNode list)
        {
            var path = (string?)list["path"];
            if (!SandboxApi.TryParse(path, out var fw, out var task, out var dir) || dir.Split('/').Contains(".."))
                return Error(400, "path must be FRAMEWORK_ID/TASK_ID[/DIR] or .../frameworks/FRAMEWORK_ID/executors/TASK_ID/runs/latest[/DIR]");
            var listing = await Ask<SandboxListing>(new BrowseSandbox(fw, task, dir));
            if (listing.Error is { } e) return Error(404, e);
            return Reply("LIST_FILES", new JsonObject { ["file_infos"] = new JsonArray(listing.Entries.Select(x => (JsonNode)SandboxApi.FileInfo(x, path!)).ToArray()) });
        }

        private async Task<IResult> ReadFile(JsonNode read)
        {
            if (!OperatorJson.TryParseSandboxPath((string?)read["path"], out var fw, out var task, out var file) || file.Length == 0)
                return Error(400, "path must be FRAMEWORK_ID/TASK_ID/FILE or .../frameworks/FRAMEWORK_ID/executors/TASK_ID/runs/latest/FILE");
            var offset = read["offset"] is { } o ? (long)OperatorJson.Number(o) : 0;
            var length = read["length"] is { } l ? (long)OperatorJson.Number(l) : -1;
            if (offset < 0) return Error(400, "offset must not be negative");
            // Byte-exact (Response.ReadFile.data is `bytes`): the file's raw bytes in DownloadSandboxFile chunks (one remoting
            // frame each) up to the length asked, at most ReadFileMaxLength; not ReadSandboxFile, whose data is UTF-8 text.
            var (bytes, size, error) = await FilesRead.ReadAsync(Ask<SandboxFileChunk>, fw, task, file, offset,
                length < 0 ? ReadFileMaxLength : Math.Min(length, ReadFileMaxLength));
            if (error is not null) return Error(404, error);
            return Reply("READ_FILE", new JsonObject { ["size"] = size, ["data"] = Convert.ToBase64String(bytes) });
        }

        /// <summary>At most this much per READ_FILE (1 MiB, as /files/read).</summary>
        private const long ReadFileMaxLength = FilesRead.MaxLength;

        // ---------------- classic endpoints ----------------

        private static JsonNode? Take(JsonObject o, string key)
        {
            var n = o[key];
            o.Remove(key);
            return n;
        }

        public async Task<IResult> Frameworks(HttpRequest r)
        {
            var s = MesosStateJson.Map(await State(), "master@" + r.Host);
            return Json(new JsonObject { ["frameworks"] = Take(s, "frameworks"), ["completed_frameworks"] = Take(s, "completed_frameworks"), ["unregistered_frameworks"] = new JsonArray() });
        }

        public async Task<IResult> Slaves()
        {
            var (state, maintenance) = (State(), Maintenance());
            var (st, m) = (await state, await maintenance);
            var slaves = Take(MesosStateJson.Map(st), "slaves")!.AsArray();
            for (var i = 0; i < slaves.Count; i++)
            {
                var deactivated = OperatorJson.IsDeactivated(st.Agents[i], m);
                slaves[i]!["active"] = st.Agents[i].Active && !deactivated;
                slaves[i]!["deactivated"] = deactivated;
            }
            return Json(new JsonObject { ["slaves"] = slaves, ["recovered_slaves"] = new JsonArray() });
        }

        /// <summary>Mesos' /tasks: every task, active then completed; ?framework_id, ?task_id filter, ?limit (default 100), ?offset, ?order=asc|des.</summary>
        public async Task<IResult> Tasks(HttpRequest r)
        {
            var s = MesosStateJson.Map(await State());
            var all = Take(s, "frameworks")!.AsArray().SelectMany(f => f!["tasks"]!.AsArray().Concat(f["completed_tasks"]!.AsArray())).ToList();
            string? fw = r.Query["framework_id"], id = r.Query["task_id"];
            var selected = all.Where(t => (string.IsNullOrEmpty(fw) || (string?)t!["framework_id"] == fw) && (string.IsNullOrEmpty(id) || (string?)t!["id"] == id));
            if (r.Query["order"] == "des") selected = selected.Reverse();
            var limit = int.TryParse(r.Query["limit"], out var l) && l >= 0 ? l : 100;
            var offset = int.TryParse(r.Query["offset"], out var o) && o >= 0 ? o : 0;
            return Json(new JsonObject { ["tasks"] = new JsonArray(selected.Skip(offset).Take(limit).Select(t => t!.DeepClone()).ToArray()) });
        }

        public async Task<IResult> Roles()
        {
            var (s, w, q) = (State(), Ask<WeightsView>(GetWeights.Instance), Ask<QuotaView>(GetQuota.Instance));
            var (state, weights, quota) = (await s, await w, await q);
            var roles = new JsonArray();
            foreach (var role in OperatorJson.RoleNames(state, weights, quota))
            {
                var frameworks = state.Frameworks.Where(f => f.Roles.Contains(role)).ToList();
                var used = frameworks.Aggregate(ClusterKernel.Resources.Resources.Empty, (acc, f) => acc + f.Used);
                var o = new JsonObject
                {
                    ["name"] = role,
                    ["weight"] = weights.Weights.TryGetValue(role, out var x) ? x : 1.0,
                    ["frameworks"] = new JsonArray(frameworks.Select(f => (JsonNode)JsonValue.Create(f.Id.Value)!).ToArray()),
                    ["resources"] = MesosStateJson.ResourcesJson(used),
                };
                if (quota.Quotas.FirstOrDefault(q1 => q1.Role == role) is { } rq)
                    o["quota"] = new JsonObject { ["role"] = role, ["guarantee"] = OperatorJson.Quantities(rq.Guarantees), ["limit"] = OperatorJson.Quantities(rq.Limits) };
                roles.Add(o);
            }
            return Json(new JsonObject { ["roles"] = roles });
        }

        public IResult Flags()
        {
            var flags = new JsonObject();
            foreach (var (k, v) in FlagValues()) flags[k] = v;
            return Json(new JsonObject { ["flags"] = flags });
        }

        /// <summary>/state without tasks and offers: per-agent and per-framework task counts by state, as Mesos' /state-summary.</summary>
        public async Task<IResult> StateSummary(HttpRequest r)
        {
            var (state, maintenance) = (State(), Maintenance());
            var (st, m) = (await state, await maintenance);
            var s = MesosStateJson.Map(st, "master@" + r.Host);
            var slaves = Take(s, "slaves")!.AsArray();
            for (var i = 0; i < slaves.Count; i++)
            {
                var a = st.Agents[i];
                var slave = slaves[i]!.AsObject();
                slave["active"] = a.Active && !OperatorJson.IsDeactivated(a, m);
                Counts(slave, st.Tasks.Where(t => t.AgentId == a.Id));
                slave["framework_ids"] = new JsonArray(st.Tasks.Where(t => t.AgentId == a.Id && !t.State.IsTerminal()).Select(t => t.FrameworkId.Value).Distinct().Select(f => (JsonNode)JsonValue.Create(f)!).ToArray());
            }
            var frameworks = Take(s, "frameworks")!.AsArray();
            for (var i = 0; i < frameworks.Count; i++)
            {
                var f = frameworks[i]!.AsObject();
                var id = st.Frameworks[i].Id;
                f.Remove("tasks"); f.Remove("completed_tasks"); f.Remove("offers");
                Counts(f, st.Tasks.Where(t => t.FrameworkId == id));
                f["slave_ids"] = new JsonArray(st.Tasks.Where(t => t.FrameworkId == id && !t.State.IsTerminal()).Select(t => t.AgentId.Value).Distinct().Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());
            }
            return Json(new JsonObject
            {
                ["hostname"] = r.Host.Host,
                ["cluster"] = "clusterkernel",
                ["slaves"] = slaves,
                ["frameworks"] = frameworks,
            });
        }

        private static void Counts(JsonObject o, IEnumerable<TaskView> tasks)
        {
            var list = tasks.ToList();
            foreach (var state in Enum.GetValues<TaskState>()) o[state.ToString()] = list.Count(t => t.State == state);
        }

        public async Task<IResult> GetWeightsClassic() => Json(OperatorJson.WeightInfos(await Ask<WeightsView>(GetWeights.Instance)));

        public async Task<IResult> PutWeightsClassic(HttpRequest r)
        {
            var body = await ParseBody(r);
            if (body.error is { } e) return e;
            try { return await Change(new UpdateWeights(ParseWeights(body.node!))); }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException) { return Error(400, ex.Message); }
        }

        public async Task<IResult> GetQuotaClassic() => Json(OperatorJson.QuotaStatus(await Ask<QuotaView>(GetQuota.Instance)));

        /// <summary>
        /// Accepts the v1 UPDATE_QUOTA body (whole call, {"update_quota": ...}, or just {"quota_configs": [...]}) and Mesos' pre-1.9
        /// QuotaRequest {"role", "guarantee": [Resource]} (the guarantee is also the limit, as it was then).
        /// </summary>
        public async Task<IResult> PostQuotaClassic(HttpRequest r)
        {
            var body = await ParseBody(r);
            if (body.error is { } e) return e;
            try
            {
                var node = body.node!;
                if (node["update_quota"] is { } inner) node = inner;
                if (node["quota_configs"] is not null) return await UpdateQuotas(node);
                var role = Required(node["role"], "role");
                var guarantee = OperatorJson.ParseQuantities(node["guarantee"]);
                return await Change(new UpdateQuota(role, guarantee, new Dictionary<string, double>(guarantee)));
            }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException) { return Error(400, ex.Message); }
        }

        public async Task<IResult> Machines(HttpRequest r, bool down)
        {
            var body = await ParseBody(r);
            if (body.error is { } e) return e;
            if (body.node is not JsonArray a) return Error(400, "Expecting a JSON array of {\"hostname\": ...}");
            try { return await Change(new UpdateMaintenance(OperatorJson.MachineHostnames(a), down)); }
            catch (InvalidOperationException ex) { return Error(400, ex.Message); }
        }

        public async Task<IResult> MaintenanceStatusClassic() => Json(OperatorJson.MaintenanceStatus(await Maintenance()));
        public async Task<IResult> MaintenanceScheduleClassic() => Json(OperatorJson.MaintenanceSchedule(await Maintenance()));

        public async Task<IResult> PostScheduleClassic(HttpRequest r)
        {
            var body = await ParseBody(r);
            if (body.error is { } e) return e;
            try { return await UpdateSchedule(body.node!); }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException) { return Error(400, ex.Message); }
        }

        /// <summary>Mesos' /teardown: form field frameworkId. The master answers nothing to TeardownFramework, so the id is checked against the state first.</summary>
        public async Task<IResult> Teardown(HttpRequest r)
        {
            if (!r.HasFormContentType) return Error(400, "Expecting a form body with 'frameworkId'");
            var form = await r.ReadFormAsync(r.HttpContext.RequestAborted);
            var id = form["frameworkId"].ToString();
            if (string.IsNullOrEmpty(id)) return Error(400, "Missing 'frameworkId' query parameter in the request body");
            return await TeardownFramework(id);
        }

        private async Task<IResult> TeardownFramework(string id)
        {
            var state = await State();
            if (state.Frameworks.All(f => f.Id.Value != id)) return Error(400, "No framework found with specified ID");
            master.Tell(new TeardownFramework(new FrameworkId(id)));
            return Results.Ok();
        }

        public async Task<IResult> Prometheus()
        {
            var m = await Ask<MetricsSnapshot>(GetMetrics.Instance);
            return Results.Text(OperatorJson.Prometheus(m), "text/plain; version=0.0.4", Encoding.UTF8);
        }

        private static async Task<(JsonNode? node, IResult? error)> ParseBody(HttpRequest r)
        {
            if (r.ContentType is { } ct && ct.Contains("protobuf", StringComparison.OrdinalIgnoreCase))
                return (null, Error(415, "application/x-protobuf is not supported: send JSON"));
            try
            {
                var node = await JsonNode.ParseAsync(r.Body, cancellationToken: r.HttpContext.RequestAborted);
                return node is null ? (null, Error(400, "Expecting a JSON body")) : (node, null);
            }
            catch (JsonException e) { return (null, Error(400, "Failed to parse body into JSON: " + e.Message)); }
        }
    }
}
