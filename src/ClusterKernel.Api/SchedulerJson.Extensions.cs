using System.Text.Json.Nodes;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

// LAUNCH_GROUP, UPDATE_FRAMEWORK, MESSAGE, ACCEPT/DECLINE_INVERSE_OFFERS and the INVERSE_OFFERS, MESSAGE and FAILURE events,
// in scheduler.proto / mesos.proto JSON. Bytes (MESSAGE data) are base64, durations and times {"nanoseconds": ...}.
public static partial class SchedulerJson
{
    private static LaunchGroupOperation ParseLaunchGroup(JsonObject op, string path)
    {
        var lg = ReqObj(op, "launch_group", path);
        path += ".launch_group";
        var e = ReqObj(lg, "executor", path);
        var ep = path + ".executor";
        var executor = new ExecutorInfo
        {
            ExecutorId = new ExecutorId(IdValue(Req(e, "executor_id", ep), ep + ".executor_id")),
            Type = e["type"] is { } t ? Str(t, ep + ".type") : ExecutorInfo.DefaultType,
            Resources = ParseResources(e["resources"], ep + ".resources"),
            Name = e["name"] is { } n ? Str(n, ep + ".name") : null,
            FrameworkId = e["framework_id"] is { } f ? new FrameworkId(IdValue(f, ep + ".framework_id")) : null,
        };
        var tasks = ReqArr(ReqObj(lg, "task_group", path), "tasks", path + ".task_group")
            .Select((t, j) => ParseTaskInfo(Obj(t, $"{path}.task_group.tasks[{j}]"), $"{path}.task_group.tasks[{j}]")).ToList();
        return new LaunchGroupOperation(executor, tasks);
    }

    private static JsonObject WriteLaunchGroup(LaunchGroupOperation g)
    {
        var e = new JsonObject { ["executor_id"] = IdJson(g.Executor.ExecutorId.Value), ["type"] = g.Executor.Type, ["resources"] = WriteResources(g.Executor.Resources) };
        if (g.Executor.Name is { } n) e["name"] = n;
        if (g.Executor.FrameworkId is { } f) e["framework_id"] = IdJson(f.Value);
        return new JsonObject
        {
            ["type"] = "LAUNCH_GROUP",
            ["launch_group"] = new JsonObject
            {
                ["executor"] = e,
                ["task_group"] = new JsonObject { ["tasks"] = new JsonArray(g.Tasks.Select(t => (JsonNode)WriteTaskInfo(t with { Executor = null })).ToArray()) },
            },
        };
    }

    private static UpdateFramework ParseUpdateFramework(FrameworkId id, JsonObject u)
    {
        var info = ParseFrameworkInfo(ReqObj(u, "framework_info", "update_framework"), "update_framework.framework_info");
        if (info.Id is { } inner && inner != id)
            throw new SchedulerJsonException($"'framework_id' ({id}) differs from 'update_framework.framework_info.id' ({inner})");
        var suppressed = OptArr(u, "suppressed_roles", "update_framework")?.Select((r, i) => Str(r, $"update_framework.suppressed_roles[{i}]")).ToList();
        // Absent offer_constraints clear them, as Mesos' UPDATE_FRAMEWORK replaces them whole.
        return new UpdateFramework(id, info with { Id = id, OfferConstraints = ParseOfferConstraints(u, "update_framework") }, suppressed);
    }

    private static FrameworkToExecutorMessage ParseMessage(FrameworkId id, JsonObject m) =>
        new(id, new AgentId(IdValue(Req(m, "agent_id", "message"), "message.agent_id")),
            new ExecutorId(IdValue(Req(m, "executor_id", "message"), "message.executor_id")), Bytes(Req(m, "data", "message"), "message.data"));

    private static RespondInverseOffers ParseInverseOffers(FrameworkId id, JsonObject o, string path, bool accept) =>
        new(id, ReqArr(o, "inverse_offer_ids", path).Select((x, i) => new OfferId(IdValue(x, $"{path}.inverse_offer_ids[{i}]"))).ToList(),
            accept, ParseFilters(o["filters"], path + ".filters"));

    private static void WriteExtensionCall(JsonObject o, object? body)
    {
        switch (body)
        {
            case UpdateFramework u:
                var uf = new JsonObject { ["framework_info"] = WriteFrameworkInfo(u.Info) };
                if (u.SuppressedRoles is { } sr) uf["suppressed_roles"] = StrArray(sr);
                WriteOfferConstraints(uf, u.Info.OfferConstraints);
                o["update_framework"] = uf;
                break;
            case FrameworkToExecutorMessage m:
                o["message"] = new JsonObject
                {
                    ["agent_id"] = IdJson(m.AgentId.Value), ["executor_id"] = IdJson(m.ExecutorId.Value), ["data"] = Convert.ToBase64String(m.Data),
                };
                break;
            case RespondInverseOffers r:
                var io = new JsonObject { ["inverse_offer_ids"] = new JsonArray(r.InverseOfferIds.Select(x => (JsonNode)IdJson(x.Value)).ToArray()) };
                if (r.Filters is { } f) io["filters"] = new JsonObject { ["refuse_seconds"] = f.RefuseSeconds };
                o[r.Accept ? "accept_inverse_offers" : "decline_inverse_offers"] = io;
                break;
        }
    }

    private static JsonObject? WriteExtensionEvent(object message) => message switch
    {
        InverseOffers i => new JsonObject
        {
            ["type"] = "INVERSE_OFFERS",
            ["inverse_offers"] = new JsonObject { ["inverse_offers"] = new JsonArray(i.Offers.Select(x => (JsonNode)WriteInverseOffer(x)).ToArray()) },
        },
        ExecutorToFrameworkMessage m => new JsonObject
        {
            ["type"] = "MESSAGE",
            ["message"] = new JsonObject
            {
                ["agent_id"] = IdJson(m.AgentId.Value), ["executor_id"] = IdJson(m.ExecutorId.Value), ["data"] = Convert.ToBase64String(m.Data),
            },
        },
        FrameworkFailure f => new JsonObject { ["type"] = "FAILURE", ["failure"] = WriteFailure(f) },
        InverseOfferRescinded r => new JsonObject
        {
            ["type"] = "RESCIND_INVERSE_OFFER",
            ["rescind_inverse_offer"] = new JsonObject { ["inverse_offer_id"] = IdJson(r.InverseOfferId.Value) },
        },
        _ => null,
    };

    private static JsonObject WriteFailure(FrameworkFailure f)
    {
        var o = new JsonObject { ["agent_id"] = IdJson(f.AgentId.Value) };
        if (f.ExecutorId is { } e) o["executor_id"] = IdJson(e.Value);
        if (f.Status is { } s) o["status"] = s;
        return o;
    }

    public static JsonObject WriteInverseOffer(InverseOffer x)
    {
        var unavailability = new JsonObject { ["start"] = Nanos(x.StartSeconds) };
        if (x.DurationSeconds is { } d) unavailability["duration"] = Nanos(d);
        return new JsonObject
        {
            ["id"] = IdJson(x.Id.Value),
            ["url"] = new JsonObject { ["scheme"] = "http", ["address"] = new JsonObject { ["hostname"] = x.Hostname }, ["path"] = "/slave(1)" },
            ["framework_id"] = IdJson(x.FrameworkId.Value),
            ["agent_id"] = IdJson(x.AgentId.Value),
            ["unavailability"] = unavailability,
            ["resources"] = new JsonArray(),
        };
    }

    private static object ParseExtensionEvent(string type, JsonObject e)
    {
        switch (type)
        {
            case "RESCIND_INVERSE_OFFER":
                return new InverseOfferRescinded(new OfferId(IdValue(Req(ReqObj(e, "rescind_inverse_offer", "event"), "inverse_offer_id", "rescind_inverse_offer"),
                    "rescind_inverse_offer.inverse_offer_id")));
            case "INVERSE_OFFERS":
                return new InverseOffers(ReqArr(ReqObj(e, "inverse_offers", "event"), "inverse_offers", "inverse_offers").Select((x, i) =>
                {
                    var p = $"inverse_offers.inverse_offers[{i}]";
                    var o = Obj(x, p);
                    var u = ReqObj(o, "unavailability", p);
                    return new InverseOffer(new OfferId(IdValue(Req(o, "id", p), p + ".id")), new FrameworkId(IdValue(Req(o, "framework_id", p), p + ".framework_id")),
                        new AgentId(IdValue(Req(o, "agent_id", p), p + ".agent_id")),
                        o["url"]?["address"]?["hostname"] is { } h ? Str(h, p + ".url.address.hostname") : "",
                        Seconds(Req(u, "start", p + ".unavailability"), p + ".unavailability.start"),
                        u["duration"] is { } d ? Seconds(d, p + ".unavailability.duration") : null);
                }).ToList());
            case "MESSAGE":
                var m = ReqObj(e, "message", "event");
                return new ExecutorToFrameworkMessage(FrameworkId: default, new AgentId(IdValue(Req(m, "agent_id", "message"), "message.agent_id")),
                    new ExecutorId(IdValue(Req(m, "executor_id", "message"), "message.executor_id")), Bytes(Req(m, "data", "message"), "message.data"));
            default:
                var f = ReqObj(e, "failure", "event");
                return new FrameworkFailure(new AgentId(IdValue(Req(f, "agent_id", "failure"), "failure.agent_id")),
                    f["executor_id"] is { } ex ? new ExecutorId(IdValue(ex, "failure.executor_id")) : null,
                    f["status"] is { } st ? (int)Num(st, "failure.status") : null);
        }
    }

    private static JsonObject Nanos(double seconds) => new() { ["nanoseconds"] = (long)Math.Round(seconds * 1e9) };

    private static double Seconds(JsonNode n, string path) => Num(Req(Obj(n, path), "nanoseconds", path), path + ".nanoseconds") / 1e9;

    private static byte[] Bytes(JsonNode n, string path)
    {
        try { return Convert.FromBase64String(Str(n, path)); }
        catch (FormatException) { throw new SchedulerJsonException($"'{path}' must be base64"); }
    }
}
