using System.Text.Json.Nodes;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>Operator events (master.proto Event) as Mesos writes them in JSON, from what the master pushes. Pure.</summary>
public static class OperatorEvents
{
    public static JsonObject Event(string type, JsonObject payload) => new() { ["type"] = type, [type.ToLowerInvariant()] = payload };

    public static JsonObject Subscribed(ClusterState s, MaintenanceView? m, double heartbeatSeconds) =>
        Event("SUBSCRIBED", new JsonObject { ["get_state"] = OperatorJson.GetState(s, m), ["heartbeat_interval_seconds"] = heartbeatSeconds });

    public static JsonObject Heartbeat() => new() { ["type"] = "HEARTBEAT" };

    /// <summary>The one agent's operator state as the <see cref="MaintenanceView"/> that <see cref="OperatorJson.Agent"/> reads.</summary>
    private static MaintenanceView Only(AgentView a, AgentOperatorState o) => new(
        o.Down ? new[] { a.Hostname } : Array.Empty<string>(), o.Deactivated ? new[] { a.Id } : Array.Empty<AgentId>(),
        o.Draining ? new[] { a.Id } : Array.Empty<AgentId>(), Array.Empty<AgentId>());

    public static JsonObject Of(IOperatorEvent e) => e switch
    {
        OperatorTaskAdded t => Event("TASK_ADDED", new JsonObject { ["task"] = OperatorJson.Task(t.Task) }),
        OperatorTaskUpdated u => Event("TASK_UPDATED", new JsonObject
        {
            ["framework_id"] = OperatorJson.Id(u.FrameworkId.Value),
            ["status"] = OperatorJson.Status(u.Status, u.Status.AgentId ?? new AgentId("")),
            ["state"] = u.State.ToString(),
        }),
        OperatorAgentAdded a => Event("AGENT_ADDED", new JsonObject { ["agent"] = OperatorJson.Agent(a.Agent, Only(a.Agent, a.OperatorState)) }),
        // Mesos' master.proto has no AGENT_UPDATED: the changed agent (deactivated, draining, down) goes out as AGENT_ADDED,
        // which clients treat as "this agent, as it is now" (Mesos itself sends nothing on these changes).
        OperatorAgentUpdated a => Event("AGENT_ADDED", new JsonObject { ["agent"] = OperatorJson.Agent(a.Agent, Only(a.Agent, a.OperatorState)) }),
        OperatorAgentRemoved r => Event("AGENT_REMOVED", new JsonObject { ["agent_id"] = OperatorJson.Id(r.AgentId.Value) }),
        OperatorFrameworkAdded f => Event("FRAMEWORK_ADDED", new JsonObject { ["framework"] = OperatorJson.Framework(f.Framework) }),
        OperatorFrameworkUpdated f => Event("FRAMEWORK_UPDATED", new JsonObject { ["framework"] = OperatorJson.Framework(f.Framework) }),
        OperatorFrameworkRemoved f => Event("FRAMEWORK_REMOVED", new JsonObject { ["framework_info"] = OperatorJson.Framework(f.Framework)["framework_info"]!.DeepClone() }),
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name),
    };
}
