using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

/// <summary>A v1 scheduler call as parsed from JSON. <see cref="Body"/> is a <see cref="SubscribeCall"/> for SUBSCRIBE, the
/// Protocol message the call becomes for ACCEPT, DECLINE, REVIVE, SUPPRESS, KILL, ACKNOWLEDGE, RECONCILE, TEARDOWN, UPDATE_FRAMEWORK,
/// MESSAGE and ACCEPT/DECLINE_INVERSE_OFFERS, and null for the calls accepted and ignored (REQUEST, SHUTDOWN).</summary>
public sealed record SchedulerCall(string Type, FrameworkId? FrameworkId, object? Body);

/// <summary>SUBSCRIBE's payload (scheduler.proto Call.Subscribe).</summary>
public sealed record SubscribeCall(FrameworkInfo Info, IReadOnlyList<string>? SuppressedRoles);

/// <summary>The HEARTBEAT event (no Protocol counterpart: the HTTP session makes it).</summary>
public sealed record SchedulerHeartbeat
{
    public static readonly SchedulerHeartbeat Instance = new();
}

/// <summary>A call or event that does not match scheduler.proto; the message says which field is wrong.</summary>
public sealed class SchedulerJsonException(string message) : Exception(message);

/// <summary>
/// Mesos' v1 scheduler API in JSON (include/mesos/v1/scheduler/scheduler.proto, mesos.proto), both ways: calls to Protocol
/// messages and back, Protocol events to records and back. Field names are Mesos' snake_case, enums are their names, ids are
/// {"value": ...}, uuids are base64 of the 16 bytes. Pure: no actors, no I/O.
/// </summary>
public static partial class SchedulerJson
{
    public static readonly IReadOnlySet<string> CallTypes = new HashSet<string>
    {
        "SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "REVIVE", "SUPPRESS", "KILL", "SHUTDOWN", "ACKNOWLEDGE", "RECONCILE", "MESSAGE", "REQUEST",
        "ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE_OPERATIONS",
        "UPDATE_FRAMEWORK", "ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS",
    };

    // =====================================================================================================================
    // Calls
    // =====================================================================================================================

    public static SchedulerCall ParseCall(string json)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException e) { throw new SchedulerJsonException("Malformed JSON: " + e.Message); }
        return ParseCall(node);
    }

    public static SchedulerCall ParseCall(JsonNode? node)
    {
        var call = Obj(node, "call");
        var type = ReqStr(call, "type", "call");
        if (type == "UNKNOWN" || !CallTypes.Contains(type))
            throw new SchedulerJsonException(type is "UNKNOWN"
                ? $"Call type {type} is not supported" : $"Unknown call type '{type}'");
        FrameworkId? fwId = call["framework_id"] is { } f ? new FrameworkId(IdValue(f, "framework_id")) : null;

        if (type == "SUBSCRIBE")
        {
            var sub = ReqObj(call, "subscribe", "call");
            var info = ParseFrameworkInfo(ReqObj(sub, "framework_info", "subscribe"), "subscribe.framework_info");
            if (fwId is { } top && info.Id is { } inner && top != inner)
                throw new SchedulerJsonException($"'framework_id' ({top}) differs from 'subscribe.framework_info.id' ({inner})");
            if (info.Id is null && fwId is not null) info = info with { Id = fwId };
            var suppressed = OptArr(sub, "suppressed_roles", "subscribe")?.Select((r, i) => Str(r, $"subscribe.suppressed_roles[{i}]")).ToList();
            info = info with { OfferConstraints = ParseOfferConstraints(sub, "subscribe") };
            return new SchedulerCall(type, info.Id, new SubscribeCall(info, suppressed));
        }

        if (fwId is not { } id) throw new SchedulerJsonException($"Call {type} needs 'framework_id'");
        object? body = type switch
        {
            "TEARDOWN" => new TeardownFramework(id),
            "ACCEPT" => ParseAccept(id, ReqObj(call, "accept", "call")),
            "DECLINE" => ParseDecline(id, ReqObj(call, "decline", "call")),
            "REVIVE" => new ReviveOffers(id, Roles(call["revive"] as JsonObject, "revive")),
            "SUPPRESS" => new SuppressOffers(id, Roles(call["suppress"] as JsonObject, "suppress")),
            "KILL" => ParseKill(id, ReqObj(call, "kill", "call")),
            "ACKNOWLEDGE" => ParseAcknowledge(id, ReqObj(call, "acknowledge", "call")),
            "RECONCILE" => ParseReconcile(id, call["reconcile"] as JsonObject),
            "ACKNOWLEDGE_OPERATION_STATUS" => ParseAcknowledgeOperation(id, ReqObj(call, "acknowledge_operation_status", "call")),
            "RECONCILE_OPERATIONS" => ParseReconcileOperations(id, call["reconcile_operations"] as JsonObject),
            "UPDATE_FRAMEWORK" => ParseUpdateFramework(id, ReqObj(call, "update_framework", "call")),
            "MESSAGE" => ParseMessage(id, ReqObj(call, "message", "call")),
            "ACCEPT_INVERSE_OFFERS" => ParseInverseOffers(id, ReqObj(call, "accept_inverse_offers", "call"), "accept_inverse_offers", accept: true),
            "DECLINE_INVERSE_OFFERS" => ParseInverseOffers(id, ReqObj(call, "decline_inverse_offers", "call"), "decline_inverse_offers", accept: false),
            _ => null, // REQUEST (Mesos' allocator ignores requests too), SHUTDOWN
        };
        return new SchedulerCall(type, id, body);
    }

    private static IReadOnlyList<string>? Roles(JsonObject? o, string path) =>
        o is null ? null : OptArr(o, "roles", path)?.Select((r, i) => Str(r, $"{path}.roles[{i}]")).ToList();

    private static AcceptOffers ParseAccept(FrameworkId id, JsonObject a)
    {
        var offerIds = ReqArr(a, "offer_ids", "accept").Select((o, i) => new OfferId(IdValue(o, $"accept.offer_ids[{i}]"))).ToList();
        var ops = new List<OfferOperation>();
        var i = 0;
        foreach (var opNode in OptArr(a, "operations", "accept") ?? new JsonArray())
        {
            var path = $"accept.operations[{i++}]";
            var op = Obj(opNode, path);
            var opType = ReqStr(op, "type", path);
            if (opType == "LAUNCH_GROUP") { ops.Add(ParseLaunchGroup(op, path)); continue; }
            if (opType != "LAUNCH") { ops.Add(ParseResourceOperation(op, opType, path)); continue; }
            var launch = ReqObj(op, "launch", path);
            var tasks = ReqArr(launch, "task_infos", path + ".launch")
                .Select((t, j) => ParseTaskInfo(Obj(t, $"{path}.launch.task_infos[{j}]"), $"{path}.launch.task_infos[{j}]")).ToList();
            ops.Add(new LaunchOperation(tasks));
        }
        return new AcceptOffers(id, offerIds, ops, ParseFilters(a["filters"], "accept.filters"));
    }

    private static DeclineOffers ParseDecline(FrameworkId id, JsonObject d) =>
        new(id, ReqArr(d, "offer_ids", "decline").Select((o, i) => new OfferId(IdValue(o, $"decline.offer_ids[{i}]"))).ToList(),
            ParseFilters(d["filters"], "decline.filters"));

    private static Filters? ParseFilters(JsonNode? node, string path)
    {
        if (node is null) return null;
        var f = Obj(node, path);
        return f["refuse_seconds"] is { } r ? new Filters { RefuseSeconds = Num(r, path + ".refuse_seconds") } : new Filters();
    }

    private static KillTask ParseKill(FrameworkId id, JsonObject k) =>
        new(id, new TaskId(IdValue(Req(k, "task_id", "kill"), "kill.task_id")),
            k["agent_id"] is { } a ? new AgentId(IdValue(a, "kill.agent_id")) : null,
            GracePeriod(k["kill_policy"], "kill.kill_policy"));

    private static AcknowledgeStatus ParseAcknowledge(FrameworkId id, JsonObject a) =>
        new(id, new AgentId(IdValue(Req(a, "agent_id", "acknowledge"), "acknowledge.agent_id")),
            new TaskId(IdValue(Req(a, "task_id", "acknowledge"), "acknowledge.task_id")),
            ParseUuid(Str(Req(a, "uuid", "acknowledge"), "acknowledge.uuid"), "acknowledge.uuid"));

    private static ReconcileTasks ParseReconcile(FrameworkId id, JsonObject? r)
    {
        var tasks = new List<ReconcileTask>();
        var i = 0;
        foreach (var t in (r is null ? null : OptArr(r, "tasks", "reconcile")) ?? new JsonArray())
        {
            var path = $"reconcile.tasks[{i++}]";
            var o = Obj(t, path);
            tasks.Add(new ReconcileTask(new TaskId(IdValue(Req(o, "task_id", path), path + ".task_id")),
                o["agent_id"] is { } a ? new AgentId(IdValue(a, path + ".agent_id")) : null));
        }
        return new ReconcileTasks(id, tasks);
    }

    public static JsonObject WriteCall(SchedulerCall call)
    {
        var o = new JsonObject { ["type"] = call.Type };
        if (call.FrameworkId is { } id && call.Type != "SUBSCRIBE") o["framework_id"] = IdJson(id.Value);
        switch (call.Body)
        {
            case SubscribeCall s:
                if (s.Info.Id is { } fid) o["framework_id"] = IdJson(fid.Value);
                var sub = new JsonObject { ["framework_info"] = WriteFrameworkInfo(s.Info) };
                if (s.SuppressedRoles is { } sr) sub["suppressed_roles"] = StrArray(sr);
                WriteOfferConstraints(sub, s.Info.OfferConstraints);
                o["subscribe"] = sub;
                break;
            case AcceptOffers a:
                var acc = new JsonObject
                {
                    ["offer_ids"] = new JsonArray(a.OfferIds.Select(x => (JsonNode)IdJson(x.Value)).ToArray()),
                    ["operations"] = new JsonArray(a.Operations.Select(WriteOperation).ToArray()),
                };
                if (a.Filters is { } af) acc["filters"] = new JsonObject { ["refuse_seconds"] = af.RefuseSeconds };
                o["accept"] = acc;
                break;
            case DeclineOffers d:
                var dec = new JsonObject { ["offer_ids"] = new JsonArray(d.OfferIds.Select(x => (JsonNode)IdJson(x.Value)).ToArray()) };
                if (d.Filters is { } df) dec["filters"] = new JsonObject { ["refuse_seconds"] = df.RefuseSeconds };
                o["decline"] = dec;
                break;
            case ReviveOffers r:
                if (r.Roles is { } rr) o["revive"] = new JsonObject { ["roles"] = StrArray(rr) };
                break;
            case SuppressOffers s:
                if (s.Roles is { } ss) o["suppress"] = new JsonObject { ["roles"] = StrArray(ss) };
                break;
            case KillTask k:
                var kill = new JsonObject { ["task_id"] = IdJson(k.TaskId.Value) };
                if (k.AgentId is { } ka) kill["agent_id"] = IdJson(ka.Value);
                if (k.GracePeriodSeconds is { } g) kill["kill_policy"] = GracePeriodJson(g);
                o["kill"] = kill;
                break;
            case AcknowledgeStatus ack:
                o["acknowledge"] = new JsonObject
                {
                    ["agent_id"] = IdJson(ack.AgentId.Value), ["task_id"] = IdJson(ack.TaskId.Value), ["uuid"] = WriteUuid(ack.Uuid),
                };
                break;
            case UpdateFramework or FrameworkToExecutorMessage or RespondInverseOffers:
                WriteExtensionCall(o, call.Body);
                break;
            case ReconcileTasks rec:
                o["reconcile"] = new JsonObject
                {
                    ["tasks"] = new JsonArray(rec.Tasks.Select(t =>
                    {
                        var x = new JsonObject { ["task_id"] = IdJson(t.TaskId.Value) };
                        if (t.AgentId is { } ra) x["agent_id"] = IdJson(ra.Value);
                        return (JsonNode)x;
                    }).ToArray()),
                };
                break;
        }
        WriteOperationCall(o, call.Body);
        return o;
    }

    private static JsonNode WriteOperation(OfferOperation op) => op switch
    {
        LaunchOperation l => new JsonObject
        {
            ["type"] = "LAUNCH",
            ["launch"] = new JsonObject { ["task_infos"] = new JsonArray(l.TaskInfos.Select(t => (JsonNode)WriteTaskInfo(t)).ToArray()) },
        },
        LaunchGroupOperation g => WriteLaunchGroup(g),
        _ => WriteResourceOperation(op),
    };

    // =====================================================================================================================
    // Events
    // =====================================================================================================================

    /// <summary>The record for a master event (or <see cref="SchedulerHeartbeat"/>); null for messages that are not events.</summary>
    public static JsonObject? WriteEvent(object message, double? heartbeatIntervalSeconds = null) => message switch
    {
        FrameworkSubscribed s => new JsonObject
        {
            ["type"] = "SUBSCRIBED",
            ["subscribed"] = new JsonObject
            {
                ["framework_id"] = IdJson(s.FrameworkId.Value),
                ["heartbeat_interval_seconds"] = heartbeatIntervalSeconds ?? s.HeartbeatIntervalSeconds,
            },
        },
        ResourceOffers r => new JsonObject
        {
            ["type"] = "OFFERS",
            ["offers"] = new JsonObject { ["offers"] = new JsonArray(r.Offers.Select(x => (JsonNode)WriteOffer(x)).ToArray()) },
        },
        OfferRescinded r => new JsonObject { ["type"] = "RESCIND", ["rescind"] = new JsonObject { ["offer_id"] = IdJson(r.OfferId.Value) } },
        TaskStatusUpdate u => new JsonObject { ["type"] = "UPDATE", ["update"] = new JsonObject { ["status"] = WriteTaskStatus(u.Status) } },
        OperationStatusUpdate u => new JsonObject { ["type"] = "UPDATE_OPERATION_STATUS", ["update_operation_status"] = new JsonObject { ["status"] = WriteOperationStatus(u.Status) } },
        FrameworkError e => new JsonObject { ["type"] = "ERROR", ["error"] = new JsonObject { ["message"] = e.Message } },
        SchedulerHeartbeat => new JsonObject { ["type"] = "HEARTBEAT" },
        _ => WriteExtensionEvent(message),
    };

    /// <summary>An event record back to the Protocol message (SUBSCRIBED carries no master ref: <see cref="ActorRefs.Nobody"/>).</summary>
    public static object ParseEvent(JsonNode? node)
    {
        var e = Obj(node, "event");
        var type = ReqStr(e, "type", "event");
        switch (type)
        {
            case "SUBSCRIBED":
                var s = ReqObj(e, "subscribed", "event");
                return new FrameworkSubscribed(new FrameworkId(IdValue(Req(s, "framework_id", "subscribed"), "subscribed.framework_id")), ActorRefs.Nobody,
                    s["heartbeat_interval_seconds"] is { } h ? Num(h, "subscribed.heartbeat_interval_seconds") : 15, false);
            case "OFFERS":
                return new ResourceOffers(ReqArr(ReqObj(e, "offers", "event"), "offers", "offers")
                    .Select((o, i) => ParseOffer(Obj(o, $"offers.offers[{i}]"), $"offers.offers[{i}]")).ToList());
            case "RESCIND":
                return new OfferRescinded(new OfferId(IdValue(Req(ReqObj(e, "rescind", "event"), "offer_id", "rescind"), "rescind.offer_id")));
            case "UPDATE":
                return new TaskStatusUpdate(ParseTaskStatus(ReqObj(ReqObj(e, "update", "event"), "status", "update"), "update.status"));
            case "UPDATE_OPERATION_STATUS":
                return new OperationStatusUpdate(ParseOperationStatus(ReqObj(ReqObj(e, "update_operation_status", "event"), "status", "update_operation_status"), "update_operation_status.status"));
            case "ERROR":
                return new FrameworkError(ReqStr(ReqObj(e, "error", "event"), "message", "error"));
            case "HEARTBEAT":
                return SchedulerHeartbeat.Instance;
            case "INVERSE_OFFERS" or "RESCIND_INVERSE_OFFER" or "MESSAGE" or "FAILURE":
                return ParseExtensionEvent(type, e);
            default:
                throw new SchedulerJsonException($"Unknown event type '{type}'");
        }
    }

    // =====================================================================================================================
    // mesos.proto messages
    // =====================================================================================================================

    public static FrameworkInfo ParseFrameworkInfo(JsonObject o, string path = "framework_info")
    {
        var roles = OptArr(o, "roles", path)?.Select((r, i) => Str(r, $"{path}.roles[{i}]")).ToList();
        if (roles is null || roles.Count == 0) roles = new List<string> { o["role"] is { } role ? Str(role, path + ".role") : ClusterKernel.Resources.Roles.Any };
        var caps = new List<string>();
        var i = 0;
        foreach (var c in OptArr(o, "capabilities", path) ?? new JsonArray())
        {
            var cp = $"{path}.capabilities[{i++}]";
            caps.Add(ReqStr(Obj(c, cp), "type", cp));
        }
        return new FrameworkInfo
        {
            User = o["user"] is { } u ? Str(u, path + ".user") : "root",
            Name = ReqStr(o, "name", path),
            Id = o["id"] is { } id ? new FrameworkId(IdValue(id, path + ".id")) : null,
            FailoverTimeout = o["failover_timeout"] is { } ft ? Num(ft, path + ".failover_timeout") : 0,
            Checkpoint = o["checkpoint"] is { } cp2 && Bool(cp2, path + ".checkpoint"),
            Roles = roles,
            Capabilities = caps,
            Hostname = o["hostname"] is { } h ? Str(h, path + ".hostname") : null,
            Principal = o["principal"] is { } p ? Str(p, path + ".principal") : null,
            Labels = ParseLabels(o["labels"], path + ".labels"),
            TaskShapes = ParseTaskShapes(o, path),
        };
    }

    public static JsonObject WriteFrameworkInfo(FrameworkInfo f)
    {
        var o = new JsonObject { ["user"] = f.User, ["name"] = f.Name };
        if (f.Id is { } id) o["id"] = IdJson(id.Value);
        o["failover_timeout"] = f.FailoverTimeout;
        o["checkpoint"] = f.Checkpoint;
        o["roles"] = StrArray(f.Roles);
        if (f.Capabilities.Count > 0) o["capabilities"] = new JsonArray(f.Capabilities.Select(c => (JsonNode)new JsonObject { ["type"] = c }).ToArray());
        if (f.Hostname is { } h) o["hostname"] = h;
        if (f.Principal is { } p) o["principal"] = p;
        if (f.Labels.Count > 0) o["labels"] = LabelsJson(f.Labels);
        WriteTaskShapes(o, f.TaskShapes);
        return o;
    }

    public static TaskInfo ParseTaskInfo(JsonObject o, string path = "task_info")
    {
        CommandInfo? command = o["command"] is { } cn ? ParseCommand(cn, path + ".command") : null;
        ContainerInfo? container = null;
        if (o["container"] is { } ctn)
        {
            var cp = path + ".container";
            var c = Obj(ctn, cp);
            var ctype = c["type"] is { } t ? Str(t, cp + ".type") : "MESOS";
            string? image = null;
            var network = "HOST";
            if (c["docker"] is { } d)
            {
                var dob = Obj(d, cp + ".docker");
                image = ReqStr(dob, "image", cp + ".docker");
                if (dob["network"] is { } n) network = Str(n, cp + ".docker.network");
            }
            else if (c["mesos"] is { } m && Obj(m, cp + ".mesos")["image"] is { } img)
            {
                var io = Obj(img, cp + ".mesos.image");
                if (io["docker"] is { } dimg) image = ReqStr(Obj(dimg, cp + ".mesos.image.docker"), "name", cp + ".mesos.image.docker");
                else throw new SchedulerJsonException($"{cp}.mesos.image: only docker images are supported");
            }
            if (ctype == "DOCKER" && image is null) throw new SchedulerJsonException($"{cp}: a DOCKER container needs docker.image");
            if (ctype is not ("DOCKER" or "MESOS")) throw new SchedulerJsonException($"{cp}.type: {ctype} is not supported (DOCKER or MESOS)");
            container = image is null ? null : new ContainerInfo { Type = ctype, DockerImage = image, Network = network };
        }
        if (command is null) throw new SchedulerJsonException($"{path}: 'command' is required (custom executors are not supported)");
        return new TaskInfo
        {
            Name = ReqStr(o, "name", path),
            TaskId = new TaskId(IdValue(Req(o, "task_id", path), path + ".task_id")),
            AgentId = new AgentId(IdValue(Req(o, "agent_id", path), path + ".agent_id")),
            Resources = ParseResources(o["resources"], path + ".resources"),
            Command = command,
            Container = container,
            KillGracePeriodSeconds = GracePeriod(o["kill_policy"], path + ".kill_policy"),
            Labels = ParseLabels(o["labels"], path + ".labels"),
            HealthCheck = o["health_check"] is { } hc ? ParseHealthCheck(hc, path + ".health_check") : null,
        };
    }

    public static JsonObject WriteTaskInfo(TaskInfo t)
    {
        var o = new JsonObject
        {
            ["name"] = t.Name,
            ["task_id"] = IdJson(t.TaskId.Value),
            ["agent_id"] = IdJson(t.AgentId.Value),
            ["resources"] = WriteResources(t.Resources),
        };
        if (t.Command is { } c) o["command"] = WriteCommand(c);
        if (t.Container is { DockerImage: { } image } ct)
        {
            o["container"] = ct.Type == "MESOS"
                ? new JsonObject { ["type"] = "MESOS", ["mesos"] = new JsonObject { ["image"] = new JsonObject { ["type"] = "DOCKER", ["docker"] = new JsonObject { ["name"] = image } } } }
                : new JsonObject { ["type"] = "DOCKER", ["docker"] = new JsonObject { ["image"] = image, ["network"] = ct.Network } };
        }
        if (t.KillGracePeriodSeconds is { } g) o["kill_policy"] = GracePeriodJson(g);
        if (t.Labels.Count > 0) o["labels"] = LabelsJson(t.Labels);
        if (t.HealthCheck is { } hc) o["health_check"] = WriteHealthCheck(hc);
        return o;
    }

    public static JsonObject WriteOffer(Offer offer)
    {
        var allocation = new JsonObject { ["role"] = offer.AllocationRole };
        var resources = WriteResources(offer.Resources);
        foreach (var r in resources) r!.AsObject()["allocation_info"] = new JsonObject { ["role"] = offer.AllocationRole };
        return new JsonObject
        {
            ["id"] = IdJson(offer.Id.Value),
            ["framework_id"] = IdJson(offer.FrameworkId.Value),
            ["agent_id"] = IdJson(offer.AgentId.Value),
            ["hostname"] = offer.Hostname,
            ["resources"] = resources,
            ["allocation_info"] = allocation,
            ["attributes"] = new JsonArray(offer.Attributes.Select(kv => (JsonNode)new JsonObject
            {
                ["name"] = kv.Key, ["type"] = "TEXT", ["text"] = new JsonObject { ["value"] = kv.Value },
            }).ToArray()),
        };
    }

    public static Offer ParseOffer(JsonObject o, string path = "offer")
    {
        var attributes = new Dictionary<string, string>();
        var i = 0;
        foreach (var a in OptArr(o, "attributes", path) ?? new JsonArray())
        {
            var ap = $"{path}.attributes[{i++}]";
            var ao = Obj(a, ap);
            attributes[ReqStr(ao, "name", ap)] = ao["text"] is JsonObject text ? ReqStr(text, "value", ap + ".text")
                : ao["scalar"] is JsonObject sc ? Num(Req(sc, "value", ap + ".scalar"), ap + ".scalar.value").ToString(CultureInfo.InvariantCulture) : "";
        }
        return new Offer
        {
            Id = new OfferId(IdValue(Req(o, "id", path), path + ".id")),
            FrameworkId = new FrameworkId(IdValue(Req(o, "framework_id", path), path + ".framework_id")),
            AgentId = new AgentId(IdValue(Req(o, "agent_id", path), path + ".agent_id")),
            Hostname = ReqStr(o, "hostname", path),
            Resources = ParseResources(o["resources"], path + ".resources"),
            AllocationRole = o["allocation_info"] is JsonObject ai && ai["role"] is { } role ? Str(role, path + ".allocation_info.role") : ClusterKernel.Resources.Roles.Any,
            Attributes = attributes,
        };
    }

    public static JsonObject WriteTaskStatus(TaskStatus s)
    {
        var o = new JsonObject
        {
            ["task_id"] = IdJson(s.TaskId.Value),
            ["state"] = s.State.ToString(),
            ["source"] = s.Source.ToString(),
            ["timestamp"] = s.Timestamp,
        };
        if (s.Message is { } m) o["message"] = m;
        if (s.Reason is { } r) o["reason"] = r;
        if (s.AgentId is { } a) o["agent_id"] = IdJson(a.Value);
        if (s.ExecutorId is { } e) o["executor_id"] = IdJson(e.Value);
        if (s.Uuid is { } u) o["uuid"] = WriteUuid(u);
        if (s.Healthy is { } h) o["healthy"] = h;
        return o;
    }

    public static TaskStatus ParseTaskStatus(JsonObject o, string path = "status")
    {
        var stateText = ReqStr(o, "state", path);
        if (!Enum.TryParse<TaskState>(stateText, out var state) || !stateText.StartsWith("TASK_", StringComparison.Ordinal))
            throw new SchedulerJsonException($"{path}.state: unknown task state '{stateText}'");
        var source = StatusSource.SOURCE_AGENT;
        if (o["source"] is { } src && !Enum.TryParse(Str(src, path + ".source"), out source))
            throw new SchedulerJsonException($"{path}.source: unknown source '{src}'");
        return new TaskStatus
        {
            TaskId = new TaskId(IdValue(Req(o, "task_id", path), path + ".task_id")),
            State = state,
            Message = o["message"] is { } m ? Str(m, path + ".message") : null,
            Source = source,
            Reason = o["reason"] is { } r ? Str(r, path + ".reason") : null,
            AgentId = o["agent_id"] is { } a ? new AgentId(IdValue(a, path + ".agent_id")) : null,
            ExecutorId = o["executor_id"] is { } e ? new ExecutorId(IdValue(e, path + ".executor_id")) : null,
            Timestamp = o["timestamp"] is { } t ? Num(t, path + ".timestamp") : 0,
            Uuid = o["uuid"] is { } u ? ParseUuid(Str(u, path + ".uuid"), path + ".uuid") : null,
            Healthy = o["healthy"] is { } h ? Bool(h, path + ".healthy") : null,
        };
    }

    /// <summary>Mesos Resource objects. A reservation is written both ways Mesos has used: "reservations" (≥1.9, refinement
    /// stack) and the legacy "role"; both are accepted when reading (the deepest reservation wins).</summary>
    public static JsonArray WriteResources(Res resources) => new(resources.Select(r =>
    {
        var o = new JsonObject { ["name"] = r.Name };
        switch (r.Type)
        {
            case ClusterKernel.Resources.ValueType.Scalar:
                o["type"] = "SCALAR";
                o["scalar"] = new JsonObject { ["value"] = r.Scalar };
                break;
            case ClusterKernel.Resources.ValueType.Ranges:
                o["type"] = "RANGES";
                o["ranges"] = new JsonObject
                {
                    ["range"] = new JsonArray(r.Ranges.Select(x => (JsonNode)new JsonObject { ["begin"] = x.Begin, ["end"] = x.End }).ToArray()),
                };
                break;
            default:
                o["type"] = "SET";
                o["set"] = new JsonObject { ["item"] = StrArray(r.Set) };
                break;
        }
        o["role"] = r.Role;
        WriteReservationAndDisk(o, r);
        if (r.Revocable) o["revocable"] = new JsonObject();
        return (JsonNode)o;
    }).ToArray());

    public static Res ParseResources(JsonNode? node, string path = "resources")
    {
        if (node is null) return Res.Empty;
        if (node is not JsonArray arr) throw new SchedulerJsonException($"{path} must be an array");
        var list = new List<Resource>();
        for (var i = 0; i < arr.Count; i++)
        {
            var p = $"{path}[{i}]";
            var o = Obj(arr[i], p);
            var name = ReqStr(o, "name", p);
            var type = o["type"] is { } t ? Str(t, p + ".type") : o["scalar"] is not null ? "SCALAR" : o["ranges"] is not null ? "RANGES" : o["set"] is not null ? "SET" : null;
            var role = o["role"] is { } rl ? Str(rl, p + ".role") : ClusterKernel.Resources.Roles.Any;
            if (!ClusterKernel.Resources.Roles.IsValid(role)) throw new SchedulerJsonException($"{p}: invalid role '{role}'");
            Resource r = type switch
            {
                "SCALAR" => Resource.OfScalar(name, Num(Req(ReqObj(o, "scalar", p), "value", p + ".scalar"), p + ".scalar.value"), role),
                "RANGES" => Resource.OfRanges(name, (OptArr(ReqObj(o, "ranges", p), "range", p + ".ranges") ?? new JsonArray()).Select((x, j) =>
                {
                    var rp = $"{p}.ranges.range[{j}]";
                    var ro = Obj(x, rp);
                    return new ValueRange((long)Num(Req(ro, "begin", rp), rp + ".begin"), (long)Num(Req(ro, "end", rp), rp + ".end"));
                }), role),
                "SET" => Resource.OfSet(name, (OptArr(ReqObj(o, "set", p), "item", p + ".set") ?? new JsonArray()).Select((x, j) => Str(x, $"{p}.set.item[{j}]")), role),
                null => throw new SchedulerJsonException($"{p}: 'type' is required"),
                _ => throw new SchedulerJsonException($"{p}.type: unknown value type '{type}'"),
            };
            if (o["revocable"] is not null) r = r with { Revocable = true };
            r = ParseReservationAndDisk(o, r, p);
            if (r.Type == ClusterKernel.Resources.ValueType.Scalar && (double.IsNaN(r.Scalar) || r.Scalar < 0))
                throw new SchedulerJsonException($"{p}: negative scalar");
            list.Add(r);
        }
        return Res.From(list);
    }

    // =====================================================================================================================
    // helpers
    // =====================================================================================================================

    public static string WriteUuid(Guid uuid) => Convert.ToBase64String(uuid.ToByteArray(bigEndian: true));

    public static Guid ParseUuid(string base64, string path = "uuid")
    {
        byte[] bytes;
        try { bytes = Convert.FromBase64String(base64); }
        catch (FormatException) { throw new SchedulerJsonException($"{path}: not base64"); }
        if (bytes.Length != 16) throw new SchedulerJsonException($"{path}: expected 16 bytes, got {bytes.Length}");
        return new Guid(bytes, bigEndian: true);
    }

    private static double? GracePeriod(JsonNode? killPolicy, string path)
    {
        if (killPolicy is null) return null;
        var kp = Obj(killPolicy, path);
        if (kp["grace_period"] is not { } gp) return null;
        var g = Obj(gp, path + ".grace_period");
        return Num(Req(g, "nanoseconds", path + ".grace_period"), path + ".grace_period.nanoseconds") / 1e9;
    }

    private static JsonObject GracePeriodJson(double seconds) =>
        new() { ["grace_period"] = new JsonObject { ["nanoseconds"] = (long)Math.Round(seconds * 1e9) } };

    private static IReadOnlyDictionary<string, string> ParseLabels(JsonNode? node, string path)
    {
        var d = new Dictionary<string, string>();
        if (node is null) return d;
        var i = 0;
        foreach (var l in OptArr(Obj(node, path), "labels", path) ?? new JsonArray())
        {
            var lp = $"{path}.labels[{i++}]";
            var lo = Obj(l, lp);
            d[ReqStr(lo, "key", lp)] = lo["value"] is { } v ? Str(v, lp + ".value") : "";
        }
        return d;
    }

    private static JsonObject LabelsJson(IReadOnlyDictionary<string, string> labels) => new()
    {
        ["labels"] = new JsonArray(labels.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray()),
    };

    private static JsonObject IdJson(string value) => new() { ["value"] = value };

    private static JsonArray StrArray(IEnumerable<string> items) => new(items.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray());

    private static JsonObject Obj(JsonNode? node, string path) =>
        node as JsonObject ?? throw new SchedulerJsonException(node is null ? $"'{path}' is required" : $"'{path}' must be an object");

    private static JsonNode Req(JsonObject o, string field, string path) =>
        o[field] ?? throw new SchedulerJsonException($"'{path}.{field}' is required");

    private static JsonObject ReqObj(JsonObject o, string field, string path) => Obj(Req(o, field, path), $"{path}.{field}");

    private static string ReqStr(JsonObject o, string field, string path) => Str(Req(o, field, path), $"{path}.{field}");

    private static JsonArray ReqArr(JsonObject o, string field, string path) =>
        Req(o, field, path) as JsonArray ?? throw new SchedulerJsonException($"'{path}.{field}' must be an array");

    private static JsonArray? OptArr(JsonObject o, string field, string path) => o[field] switch
    {
        null => null,
        JsonArray a => a,
        _ => throw new SchedulerJsonException($"'{path}.{field}' must be an array"),
    };

    private static string Str(JsonNode? n, string path) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new SchedulerJsonException($"'{path}' must be a string");

    private static double Num(JsonNode? n, string path)
    {
        if (n is JsonValue v)
        {
            if (v.TryGetValue<double>(out var d)) return d;
            // protobuf's JSON mapping writes 64-bit integers (e.g. nanoseconds) as strings
            if (v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d)) return d;
        }
        throw new SchedulerJsonException($"'{path}' must be a number");
    }

    private static bool Bool(JsonNode? n, string path) =>
        n is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw new SchedulerJsonException($"'{path}' must be true or false");

    private static string IdValue(JsonNode? n, string path)
    {
        var o = Obj(n, path);
        var value = ReqStr(o, "value", path);
        if (value.Length == 0) throw new SchedulerJsonException($"'{path}.value' must not be empty");
        return value;
    }
}
