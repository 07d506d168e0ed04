using System.Text.Json.Nodes;
using Akka.Actor;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Http;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

// RESERVE_RESOURCES / UNRESERVE_RESOURCES / CREATE_VOLUMES / DESTROY_VOLUMES (POST /api/v1), the classic form-encoded
// /reserve, /unreserve, /create-volumes, /destroy-volumes (slaveId + a JSON array), and GET_OPERATIONS. As Mesos:
// 202 Accepted when applied, 409 Conflict when the resources are not free on the agent, 400 with a message when malformed.
public static partial class OperatorApi
{
    private sealed partial class Handlers
    {
        private async Task<IResult> V1Operation(string type, JsonObject call)
        {
            var field = type.ToLowerInvariant();
            var body = Field(call, field) as JsonObject ?? throw new FormatException($"'{field}' must be an object");
            var agent = AgentIdOf(call, field);
            var list = type is "CREATE_VOLUMES" or "DESTROY_VOLUMES" ? "volumes" : "resources";
            Res resources;
            try { resources = SchedulerJson.ParseResources(body[list] ?? throw new FormatException($"Expecting '{field}.{list}' to be present"), $"{field}.{list}"); }
            catch (SchedulerJsonException e) { return Error(400, e.Message); }
            return await Operation(type switch
            {
                "RESERVE_RESOURCES" => new ReserveResources(agent, resources),
                "UNRESERVE_RESOURCES" => new UnreserveResources(agent, resources),
                "CREATE_VOLUMES" => new CreateVolumes(agent, resources),
                _ => new DestroyVolumes(agent, resources),
            });
        }

        public async Task<IResult> ClassicOperation(HttpRequest r, string list, Func<AgentId, Res, object> message)
        {
            if (!r.HasFormContentType) return Error(400, $"Expecting a form-encoded body with 'slaveId' and '{list}'");
            var form = await r.ReadFormAsync(r.HttpContext.RequestAborted);
            if (form["slaveId"].ToString() is not { Length: > 0 } slave) return Error(400, "Missing 'slaveId' query parameter in the request body");
            if (form[list].ToString() is not { Length: > 0 } json) return Error(400, $"Missing '{list}' query parameter in the request body");
            Res resources;
            try { resources = SchedulerJson.ParseResources(JsonNode.Parse(json), list); }
            catch (Exception e) when (e is SchedulerJsonException or System.Text.Json.JsonException) { return Error(400, $"Error in parsing '{list}': {e.Message}"); }
            return await Operation(message(new AgentId(slave), resources));
        }

        private async Task<IResult> Operation(object message) => await Ask<object>(message) switch
        {
            OperatorResult { Ok: true } => Results.StatusCode(202),
            OperatorResult rr => Error(400, rr.Error ?? "refused"),
            OperatorConflict c => Error(409, c.Error),
            var other => Error(500, $"unexpected answer {other?.GetType().Name}"),
        };
    }

    /// <summary>master.proto Response.GetOperations.operations: Operation {framework_id, agent_id, info, latest_status, uuid}.</summary>
    private static JsonArray OperationsJson(OperationsView view) => new(view.Operations.Select(o =>
    {
        var j = new JsonObject
        {
            ["framework_id"] = OperatorJson.Id(o.FrameworkId.Value),
            ["info"] = new JsonObject { ["type"] = o.Type, ["id"] = OperatorJson.Id(o.Latest.OperationId) },
            ["latest_status"] = SchedulerJson.WriteOperationStatus(o.Latest),
            ["statuses"] = new JsonArray(SchedulerJson.WriteOperationStatus(o.Latest)),
        };
        if (o.AgentId is { } a) j["agent_id"] = OperatorJson.Id(a.Value);
        if (o.Latest.Uuid is { } u) j["uuid"] = new JsonObject { ["value"] = SchedulerJson.WriteUuid(u) };
        return (JsonNode)j;
    }).ToArray());
}
