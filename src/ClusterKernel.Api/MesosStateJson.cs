using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

/// <summary>
/// Maps the master's <see cref="ClusterState"/> onto the JSON of Mesos' <c>/state</c> (v0 field names, plain string ids,
/// scalars as numbers, ranges as "[31000-32000]"), so tools written for Mesos can read it. Active tasks go to a
/// framework's "tasks", terminal ones to "completed_tasks", as Mesos does. Top-level total/used/offered resources are a
/// ClusterKernel extension. Pure: no actors, no HTTP.
/// </summary>
public static class MesosStateJson
{
    public const string Version = "1.11.0-ck";

    public static JsonObject Map(ClusterState state, string? leader = null)
    {
        var total = state.Agents.Aggregate(Res.Empty, (acc, a) => acc + a.Resources);
        var used = state.Agents.Aggregate(Res.Empty, (acc, a) => acc + a.Used);
        var offered = state.Agents.Aggregate(Res.Empty, (acc, a) => acc + a.Offered);
        return new JsonObject
        {
            ["version"] = Version,
            ["id"] = state.MasterEpoch,
            ["start_time"] = state.StartTime,
            ["elected_time"] = state.StartTime,
            ["leader"] = leader,
            ["activated_slaves"] = state.Agents.Count(a => a.Active),
            ["deactivated_slaves"] = state.Agents.Count(a => !a.Active),
            ["slaves"] = Array(state.Agents.Select(Agent)),
            ["frameworks"] = Array(state.Frameworks.Select(f => Framework(f, state))),
            ["completed_frameworks"] = Array(state.CompletedFrameworks.Select(c => Framework(c.Framework, c.CompletedTasks, System.Array.Empty<Offer>(), System.Array.Empty<ExecutorView>()))),
            ["total_resources"] = ResourcesJson(total),
            ["used_resources"] = ResourcesJson(used),
            ["offered_resources"] = ResourcesJson(offered),
        };
    }

    /// <summary>Mesos' resources object: cpus/mem/disk/gpus always present, other scalars as numbers, ranges and sets as strings.</summary>
    public static JsonObject ResourcesJson(Res resources)
    {
        var o = new JsonObject { ["cpus"] = 0.0, ["mem"] = 0.0, ["disk"] = 0.0, ["gpus"] = 0.0 };
        foreach (var (name, value) in resources.ScalarTotals()) o[name] = value;
        foreach (var name in resources.Where(r => r.Type == ClusterKernel.Resources.ValueType.Ranges).Names)
            o[name] = "[" + string.Join(",", resources.Ranges(name)) + "]";
        foreach (var group in resources.Where(r => r.Type == ClusterKernel.Resources.ValueType.Set).GroupBy(r => r.Name))
            o[group.Key] = "{" + string.Join(",", group.SelectMany(r => r.Set).Distinct().Order(StringComparer.Ordinal)) + "}";
        return o;
    }

    internal static JsonObject Agent(AgentView a)
    {
        var reserved = new JsonObject();
        var reservedFull = new JsonObject();
        foreach (var role in a.Resources.Where(r => r.IsReserved).Select(r => r.Role).Distinct())
        {
            reserved[role] = ResourcesJson(a.Resources.Reserved(role));
            reservedFull[role] = SchedulerJson.WriteResources(a.Resources.Reserved(role)); // with reservation stacks and volumes
        }
        return new JsonObject
        {
            ["id"] = a.Id.Value,
            ["hostname"] = a.Hostname,
            ["resources"] = ResourcesJson(a.Resources),
            ["used_resources"] = ResourcesJson(a.Used),
            ["offered_resources"] = ResourcesJson(a.Offered),
            ["unreserved_resources"] = ResourcesJson(a.Resources.Unreserved()),
            ["reserved_resources"] = reserved,
            ["reserved_resources_full"] = reservedFull,
            ["unreserved_resources_full"] = SchedulerJson.WriteResources(a.Resources.Unreserved()),
            ["attributes"] = Attributes(a.Attributes),
            ["active"] = a.Active,
            ["registered_time"] = a.RegisteredTime,
        };
    }

    private static JsonObject Framework(FrameworkView f, ClusterState state) => Framework(f, state.Tasks.Where(t => t.FrameworkId == f.Id).ToList(),
        state.Offers.Where(o => o.FrameworkId == f.Id), state.Executors.Where(e => e.FrameworkId == f.Id));

    private static JsonObject Framework(FrameworkView f, IReadOnlyList<TaskView> tasks, IEnumerable<Offer> offers, IEnumerable<ExecutorView> executors)
    {
        return new JsonObject
        {
            ["id"] = f.Id.Value,
            ["name"] = f.Name,
            ["roles"] = Array(f.Roles.Select(r => (JsonNode?)JsonValue.Create(r))),
            ["active"] = f.Active,
            ["connected"] = f.Connected,
            ["failover_timeout"] = f.FailoverTimeout,
            ["used_resources"] = ResourcesJson(f.Used),
            ["offered_resources"] = ResourcesJson(f.Offered),
            ["registered_time"] = f.RegisteredTime,
            ["unregistered_time"] = f.UnregisteredTime ?? 0,
            ["tasks"] = Array(tasks.Where(t => !t.State.IsTerminal()).Select(Task)),
            ["completed_tasks"] = Array(tasks.Where(t => t.State.IsTerminal()).Select(Task)),
            ["offers"] = Array(offers.Select(OfferJson)),
            ["executors"] = Array(executors.Select(Executor)),
        };
    }

    /// <summary>An executor as Mesos' master /state writes it (model(ExecutorInfo) plus slave_id and type).</summary>
    internal static JsonObject Executor(ExecutorView e)
    {
        var o = new JsonObject
        {
            ["executor_id"] = e.Info.ExecutorId.Value,
            ["framework_id"] = e.FrameworkId.Value,
            ["slave_id"] = e.AgentId.Value,
            ["type"] = e.Info.Type,
            ["resources"] = ResourcesJson(e.Info.Resources),
        };
        if (e.Info.Name is { } name) o["name"] = name;
        return o;
    }

    internal static JsonObject Task(TaskView t)
    {
        var o = new JsonObject
        {
            ["id"] = t.Id.Value,
            ["name"] = t.Name,
            ["framework_id"] = t.FrameworkId.Value,
            ["executor_id"] = "",
            ["slave_id"] = t.AgentId.Value,
            ["state"] = t.State.ToString(),
            ["resources"] = ResourcesJson(t.Resources),
            ["statuses"] = Array(t.Statuses.Select(Status)),
        };
        if (t.Image is { } image)
            o["container"] = new JsonObject { ["type"] = "DOCKER", ["docker"] = new JsonObject { ["image"] = image } };
        return o;
    }

    /// <summary>
    /// The same bytes as <c>Task(t).WriteTo(w)</c> without building the node tree: during a burst thousands of tasks change
    /// between two /state renderings and each is mapped again (MesosStateCacheSpec checks the two agree).
    /// </summary>
    public static void WriteTask(Utf8JsonWriter w, TaskView t)
    {
        w.WriteStartObject();
        w.WriteString("id", t.Id.Value);
        w.WriteString("name", t.Name);
        w.WriteString("framework_id", t.FrameworkId.Value);
        w.WriteString("executor_id", "");
        w.WriteString("slave_id", t.AgentId.Value);
        w.WriteString("state", t.State.ToString());
        w.WritePropertyName("resources");
        WriteResources(w, t.Resources);
        w.WriteStartArray("statuses");
        foreach (var s in t.Statuses)
        {
            w.WriteStartObject();
            w.WriteString("state", s.State.ToString());
            w.WriteNumber("timestamp", s.Timestamp);
            if (s.Message is { } message) w.WriteString("message", message);
            if (s.Reason is { } reason) w.WriteString("reason", reason);
            if (s.Healthy is { } healthy) w.WriteBoolean("healthy", healthy);
            if (s.ExitCode is { } code) w.WriteNumber("exit_code", code);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (t.Image is { } image)
        {
            w.WriteStartObject("container");
            w.WriteString("type", "DOCKER");
            w.WriteStartObject("docker");
            w.WriteString("image", image);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary><c>ResourcesJson(r).WriteTo(w)</c>, written directly when <paramref name="r"/> holds only scalars (a task's usual
    /// shape); anything else goes through the node.</summary>
    private static void WriteResources(Utf8JsonWriter w, Res r)
    {
        foreach (var item in r)
            if (item.Type != ClusterKernel.Resources.ValueType.Scalar) { ResourcesJson(r).WriteTo(w); return; }
        var totals = r.ScalarTotals();
        w.WriteStartObject();
        // Same order as the node: cpus, mem, disk, gpus always first, then the other scalars as they first appear.
        foreach (var name in DefaultScalars) w.WriteNumber(name, totals.GetValueOrDefault(name));
        foreach (var (name, value) in totals)
            if (System.Array.IndexOf(DefaultScalars, name) < 0) w.WriteNumber(name, value);
        w.WriteEndObject();
    }

    private static readonly string[] DefaultScalars = { "cpus", "mem", "disk", "gpus" };

    private static JsonObject Status(TaskStatus s)
    {
        var o = new JsonObject { ["state"] = s.State.ToString(), ["timestamp"] = s.Timestamp };
        if (s.Message is { } message) o["message"] = message;
        if (s.Reason is { } reason) o["reason"] = reason;
        if (s.Healthy is { } healthy) o["healthy"] = healthy;
        if (s.ExitCode is { } code) o["exit_code"] = code;
        return o;
    }

    internal static JsonObject OfferJson(Offer o) => new()
    {
        ["id"] = o.Id.Value,
        ["framework_id"] = o.FrameworkId.Value,
        ["slave_id"] = o.AgentId.Value,
        ["hostname"] = o.Hostname,
        ["resources"] = ResourcesJson(o.Resources),
        ["allocation_info"] = new JsonObject { ["role"] = o.AllocationRole },
    };

    // Mesos writes numeric attributes as numbers and the rest as strings.
    private static JsonObject Attributes(IReadOnlyDictionary<string, string> attributes)
    {
        var o = new JsonObject();
        foreach (var (k, v) in attributes)
            o[k] = double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? JsonValue.Create(d) : JsonValue.Create(v);
        return o;
    }

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new(items.ToArray());
}
