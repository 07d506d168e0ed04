using System.Text.Json.Nodes;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

// RESERVE / UNRESERVE / CREATE / DESTROY operations, operation feedback (UPDATE_OPERATION_STATUS, ACKNOWLEDGE_OPERATION_STATUS,
// RECONCILE_OPERATIONS), and the parts of v1 Resource they need: the refined "reservations" stack and "disk" (persistence, volume).
public static partial class SchedulerJson
{
    private static OfferOperation ParseResourceOperation(JsonObject op, string type, string path)
    {
        var id = op["id"] is { } idNode ? IdValue(idNode, path + ".id") : null;
        return type switch
        {
            "RESERVE" => new ReserveOperation(ParseResources(ReqObj(op, "reserve", path)["resources"], path + ".reserve.resources"), id),
            "UNRESERVE" => new UnreserveOperation(ParseResources(ReqObj(op, "unreserve", path)["resources"], path + ".unreserve.resources"), id),
            "CREATE" => new CreateOperation(ParseResources(ReqObj(op, "create", path)["volumes"], path + ".create.volumes"), id),
            "DESTROY" => new DestroyOperation(ParseResources(ReqObj(op, "destroy", path)["volumes"], path + ".destroy.volumes"), id),
            _ => throw new SchedulerJsonException($"{path}: operation {type} is not supported"),
        };
    }

    private static JsonNode WriteResourceOperation(OfferOperation op)
    {
        var (type, field, list, resources, id) = op switch
        {
            ReserveOperation r => ("RESERVE", "reserve", "resources", r.Resources, r.Id),
            UnreserveOperation u => ("UNRESERVE", "unreserve", "resources", u.Resources, u.Id),
            CreateOperation c => ("CREATE", "create", "volumes", c.Volumes, c.Id),
            DestroyOperation d => ("DESTROY", "destroy", "volumes", d.Volumes, d.Id),
            _ => throw new ArgumentException($"operation {op.GetType().Name} has no JSON mapping"),
        };
        var o = new JsonObject { ["type"] = type, [field] = new JsonObject { [list] = WriteResources(resources) } };
        if (id is not null) o["id"] = IdJson(id);
        return o;
    }

    private static AcknowledgeOperationStatus ParseAcknowledgeOperation(FrameworkId id, JsonObject a) =>
        new(id, a["agent_id"] is { } ag ? new AgentId(IdValue(ag, "acknowledge_operation_status.agent_id")) : null,
            IdValue(Req(a, "operation_id", "acknowledge_operation_status"), "acknowledge_operation_status.operation_id"),
            ParseUuid(Str(Req(a, "uuid", "acknowledge_operation_status"), "acknowledge_operation_status.uuid"), "acknowledge_operation_status.uuid"));

    private static ReconcileOperations ParseReconcileOperations(FrameworkId id, JsonObject? r) =>
        new(id, ((r is null ? null : OptArr(r, "operations", "reconcile_operations")) ?? new JsonArray())
            .Select((o, i) => IdValue(Req(Obj(o, $"reconcile_operations.operations[{i}]"), "operation_id", $"reconcile_operations.operations[{i}]"),
                $"reconcile_operations.operations[{i}].operation_id")).ToList());

    private static void WriteOperationCall(JsonObject o, object? body)
    {
        switch (body)
        {
            case AcknowledgeOperationStatus a:
                var ack = new JsonObject { ["operation_id"] = IdJson(a.OperationId), ["uuid"] = WriteUuid(a.Uuid) };
                if (a.AgentId is { } ag) ack["agent_id"] = IdJson(ag.Value);
                o["acknowledge_operation_status"] = ack;
                break;
            case ReconcileOperations r:
                o["reconcile_operations"] = new JsonObject
                {
                    ["operations"] = new JsonArray(r.OperationIds.Select(x => (JsonNode)new JsonObject { ["operation_id"] = IdJson(x) }).ToArray()),
                };
                break;
        }
    }

    /// <summary>mesos.proto OperationStatus.</summary>
    public static JsonObject WriteOperationStatus(OperationStatus s)
    {
        var o = new JsonObject { ["operation_id"] = IdJson(s.OperationId), ["state"] = s.State };
        if (s.Message is { } m) o["message"] = m;
        if (s.AgentId is { } a) o["agent_id"] = IdJson(a.Value);
        if (s.Uuid is { } u) o["uuid"] = new JsonObject { ["value"] = WriteUuid(u) };
        return o;
    }

    public static OperationStatus ParseOperationStatus(JsonObject o, string path) => new(
        IdValue(Req(o, "operation_id", path), path + ".operation_id"), ReqStr(o, "state", path),
        o["message"] is { } m ? Str(m, path + ".message") : null,
        o["agent_id"] is { } a ? new AgentId(IdValue(a, path + ".agent_id")) : null,
        o["uuid"] is { } u ? ParseUuid(ReqStr(Obj(u, path + ".uuid"), "value", path + ".uuid"), path + ".uuid.value") : null, 0);

    // ---- Resource.reservations and Resource.disk ----

    /// <summary>Writes the refined "reservations" stack (static levels included) and, for volumes, "disk".</summary>
    private static void WriteReservationAndDisk(JsonObject o, Resource r)
    {
        if (r.IsReserved)
            o["reservations"] = new JsonArray(r.Stack.Select(x =>
            {
                var ro = new JsonObject { ["type"] = x.Type, ["role"] = x.Role };
                if (x.Principal is { } p) ro["principal"] = p;
                if (x.Labels is { Count: > 0 } l) ro["labels"] = LabelsJson(l);
                return (JsonNode)ro;
            }).ToArray());
        if (r.Disk is { } d)
        {
            var disk = new JsonObject();
            if (d.PersistenceId is { } id)
            {
                var persistence = new JsonObject { ["id"] = id };
                if (d.Principal is { } dp) persistence["principal"] = dp;
                disk["persistence"] = persistence;
            }
            if (d.ContainerPath is { } cp) disk["volume"] = new JsonObject { ["container_path"] = cp, ["mode"] = d.Mode };
            o["disk"] = disk;
        }
    }

    /// <summary>Reads "reservations" (or the legacy "role" with "reservation") and "disk" onto a parsed resource.</summary>
    private static Resource ParseReservationAndDisk(JsonObject o, Resource r, string p)
    {
        if (o["reservations"] is JsonArray res && res.Count > 0)
        {
            var stack = new List<ReservationInfo>();
            for (var i = 0; i < res.Count; i++)
            {
                var rp = $"{p}.reservations[{i}]";
                var ro = Obj(res[i], rp);
                var type = ro["type"] is { } t ? Str(t, rp + ".type") : ReservationInfo.Dynamic;
                if (type is not (ReservationInfo.StaticType or ReservationInfo.Dynamic)) throw new SchedulerJsonException($"{rp}.type: expected STATIC or DYNAMIC, not '{type}'");
                var role = ReqStr(ro, "role", rp);
                if (!ClusterKernel.Resources.Roles.IsValid(role)) throw new SchedulerJsonException($"{rp}: invalid role '{role}'");
                var labels = ro["labels"] is { } ln ? ParseLabels(ln, rp + ".labels") : null;
                stack.Add(new ReservationInfo(type, role, ro["principal"] is { } pr ? Str(pr, rp + ".principal") : null, labels is { Count: > 0 } ? labels : null));
            }
            // Static-only stacks keep the short form ("cpus(ads)") the agent declares.
            r = stack.All(x => x.Type == ReservationInfo.StaticType) && stack.Count == 1
                ? r with { Role = stack[0].Role, Reservations = Array.Empty<ReservationInfo>() }
                : r with { Role = stack[^1].Role, Reservations = stack };
        }
        else if (o["reservation"] is JsonObject legacy && r.IsReserved)
        {
            // Pre-refinement format: "role" plus "reservation" {principal, labels} is one DYNAMIC level.
            var labels = legacy["labels"] is { } ln ? ParseLabels(ln, p + ".reservation.labels") : null;
            r = r with { Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, r.Role,
                legacy["principal"] is { } pr ? Str(pr, p + ".reservation.principal") : null, labels is { Count: > 0 } ? labels : null) } };
        }
        if (o["disk"] is { } diskNode)
        {
            var d = Obj(diskNode, p + ".disk");
            var persistence = d["persistence"] is { } pn ? Obj(pn, p + ".disk.persistence") : null;
            var volume = d["volume"] is { } vn ? Obj(vn, p + ".disk.volume") : null;
            var mode = volume?["mode"] is { } mn ? Str(mn, p + ".disk.volume.mode") : "RW";
            if (mode is not ("RW" or "RO")) throw new SchedulerJsonException($"{p}.disk.volume.mode: expected RW or RO, not '{mode}'");
            if (persistence is not null || volume is not null)
                r = r with
                {
                    Disk = new DiskInfo(persistence is null ? null : ReqStr(persistence, "id", p + ".disk.persistence"),
                        persistence?["principal"] is { } dp ? Str(dp, p + ".disk.persistence.principal") : null,
                        volume is null ? null : ReqStr(volume, "container_path", p + ".disk.volume"), mode),
                };
        }
        return r;
    }
}
