using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Api;

/// <summary>
/// Pure mapping between the master's messages and the JSON of Mesos' v1 operator API (include/mesos/v1/master/master.proto):
/// snake_case fields, enums as strings, ids as {"value": ...}, times and durations as {"nanoseconds": ...}, resources as
/// arrays of v1 Resource, bytes as base64. No actors, no HTTP.
/// </summary>
public static class OperatorJson
{
    // ---- building blocks ----

    public static JsonObject Id(string value) => new() { ["value"] = value };
    public static JsonObject Nanos(double seconds) => new() { ["nanoseconds"] = (long)Math.Round(seconds * 1e9) };

    /// <summary>v1 Resource array, as the scheduler API writes it (reservation stack, volumes).</summary>
    public static JsonArray Resources(Res resources) => SchedulerJson.WriteResources(resources);

    /// <summary>A name → quantity map, as in QuotaConfig.guarantees / limits.</summary>
    /// <summary>QuotaConfig's map&lt;string, Value.Scalar&gt;: {"cpus": {"value": 1}}.</summary>
    public static JsonObject Scalars(IReadOnlyDictionary<string, double> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = new JsonObject { ["value"] = v };
        return o;
    }

    public static JsonObject Quantities(IReadOnlyDictionary<string, double> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    private static JsonArray Array(IEnumerable<JsonNode> items) => new(items.ToArray());

    // ---- agents, frameworks, tasks, executors ----

    /// <summary>Operator changes that make an agent inactive, which <see cref="ClusterState"/> does not show (its Active is "connected").</summary>
    public static bool IsDeactivated(AgentView a, MaintenanceView? m) =>
        m is not null && (m.DeactivatedAgents.Contains(a.Id) || m.DrainingAgents.Contains(a.Id) || m.DownHostnames.Contains(a.Hostname));

    public static JsonObject AgentInfo(AgentView a)
    {
        var attributes = new JsonArray();
        foreach (var (k, v) in a.Attributes)
            attributes.Add(double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                ? new JsonObject { ["name"] = k, ["type"] = "SCALAR", ["scalar"] = new JsonObject { ["value"] = d } }
                : new JsonObject { ["name"] = k, ["type"] = "TEXT", ["text"] = new JsonObject { ["value"] = v } });
        return new JsonObject
        {
            ["id"] = Id(a.Id.Value),
            ["hostname"] = a.Hostname,
            ["resources"] = Resources(a.Resources),
            ["attributes"] = attributes,
        };
    }

    /// <summary>GetAgents.Agent. "active" is connected and not deactivated/draining/down; "deactivated" as Mesos 1.9+.</summary>
    public static JsonObject Agent(AgentView a, MaintenanceView? m)
    {
        var deactivated = IsDeactivated(a, m);
        var o = new JsonObject
        {
            ["agent_info"] = AgentInfo(a),
            ["active"] = a.Active && !deactivated,
            ["deactivated"] = deactivated,
            ["version"] = MesosStateJson.Version,
            ["registered_time"] = Nanos(a.RegisteredTime),
            ["total_resources"] = Resources(a.Resources),
            ["allocated_resources"] = Resources(a.Used),
            ["offered_resources"] = Resources(a.Offered),
        };
        if (m is not null && m.DrainingAgents.Contains(a.Id)) o["drain_info"] = new JsonObject { ["state"] = "DRAINING" };
        return o;
    }

    public static JsonObject GetAgents(ClusterState s, MaintenanceView? m) => new()
    {
        ["agents"] = Array(s.Agents.Select(a => Agent(a, m))),
        ["recovered_agents"] = new JsonArray(),
    };

    public static JsonObject Framework(FrameworkView f) => new()
    {
        ["framework_info"] = new JsonObject
        {
            ["id"] = Id(f.Id.Value),
            ["name"] = f.Name,
            ["user"] = "",
            ["roles"] = new JsonArray(f.Roles.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
            ["failover_timeout"] = f.FailoverTimeout,
            ["capabilities"] = new JsonArray(new JsonObject { ["type"] = "MULTI_ROLE" }),
        },
        ["active"] = f.Active,
        ["connected"] = f.Connected,
        ["recovered"] = false,
        ["registered_time"] = Nanos(f.RegisteredTime),
        ["allocated_resources"] = Resources(f.Used),
        ["offered_resources"] = Resources(f.Offered),
    };

    public static JsonObject GetFrameworks(ClusterState s) => new()
    {
        ["frameworks"] = Array(s.Frameworks.Select(Framework)),
        ["completed_frameworks"] = Array(s.CompletedFrameworks.Select(c => (JsonNode)CompletedFramework(c))),
    };

    /// <summary>A removed framework in GetFrameworks.completed_frameworks: as <see cref="Framework"/>, with when it was removed.</summary>
    public static JsonObject CompletedFramework(CompletedFrameworkView c)
    {
        var o = Framework(c.Framework);
        if (c.Framework.UnregisteredTime is { } removed) o["unregistered_time"] = Nanos(removed);
        return o;
    }

    public static JsonObject Status(TaskStatus st, AgentId agent)
    {
        var o = new JsonObject
        {
            ["task_id"] = Id(st.TaskId.Value),
            ["state"] = st.State.ToString(),
            ["source"] = st.Source.ToString(),
            ["agent_id"] = Id((st.AgentId ?? agent).Value),
            ["timestamp"] = st.Timestamp,
        };
        if (st.Message is { } message) o["message"] = message;
        if (st.Reason is { } reason) o["reason"] = reason;
        if (st.Healthy is { } healthy) o["healthy"] = healthy;
        if (st.Uuid is { } uuid) o["uuid"] = Convert.ToBase64String(uuid.ToByteArray());
        return o;
    }

    /// <summary>v1 Task. Command tasks have no executor_id in Mesos, so none is set (see <see cref="GetExecutors"/>).</summary>
    public static JsonObject Task(TaskView t)
    {
        var o = new JsonObject
        {
            ["name"] = t.Name,
            ["task_id"] = Id(t.Id.Value),
            ["framework_id"] = Id(t.FrameworkId.Value),
            ["agent_id"] = Id(t.AgentId.Value),
            ["state"] = t.State.ToString(),
            ["resources"] = Resources(t.Resources),
            ["statuses"] = Array(t.Statuses.Select(s => Status(s, t.AgentId))),
        };
        if (t.Statuses.Count > 0) o["status_update_state"] = t.Statuses[^1].State.ToString();
        if (t.Image is { } image)
            o["container"] = new JsonObject { ["type"] = "DOCKER", ["docker"] = new JsonObject { ["image"] = image } };
        return o;
    }

    public static JsonObject GetTasks(ClusterState s) => new()
    {
        ["pending_tasks"] = new JsonArray(),
        ["tasks"] = Array(s.Tasks.Where(t => !t.State.IsTerminal() && t.State != TaskState.TASK_UNREACHABLE).Select(Task)),
        ["unreachable_tasks"] = Array(s.Tasks.Where(t => t.State == TaskState.TASK_UNREACHABLE).Select(Task)),
        ["completed_tasks"] = Array(s.Tasks.Where(t => t.State.IsTerminal()).Concat(s.CompletedFrameworks.SelectMany(c => c.CompletedTasks)).Select(Task)),
        ["orphan_tasks"] = new JsonArray(),
    };

    /// <summary>The executors the master knows, as Mesos' master: those of task groups (DEFAULT) and TaskInfo.executor; command
    /// tasks' executors are the agent's business and are not listed (Mesos' master does not know them either).</summary>
    public static JsonObject GetExecutors(ClusterState s) => new()
    {
        ["executors"] = Array(s.Executors.Select(e => (JsonNode)Executor(e))),
        ["orphan_executors"] = new JsonArray(),
    };

    /// <summary>GetExecutors.Executor.</summary>
    public static JsonObject Executor(ExecutorView e) => new() { ["executor_info"] = ExecutorInfo(e), ["agent_id"] = Id(e.AgentId.Value) };

    /// <summary>v1 ExecutorInfo.</summary>
    public static JsonObject ExecutorInfo(ExecutorView e)
    {
        var o = new JsonObject
        {
            ["type"] = e.Info.Type,
            ["executor_id"] = Id(e.Info.ExecutorId.Value),
            ["framework_id"] = Id(e.FrameworkId.Value),
            ["resources"] = Resources(e.Info.Resources),
        };
        if (e.Info.Name is { } name) o["name"] = name;
        return o;
    }

    public static JsonObject GetState(ClusterState s, MaintenanceView? m) => new()
    {
        ["get_tasks"] = GetTasks(s),
        ["get_executors"] = GetExecutors(s),
        ["get_frameworks"] = GetFrameworks(s),
        ["get_agents"] = GetAgents(s, m),
    };

    // ---- roles, weights, quota ----

    /// <summary>Roles seen in frameworks, weights and quota, sorted by name. Default weight 1.</summary>
    public static IReadOnlyList<string> RoleNames(ClusterState s, WeightsView w, QuotaView q) =>
        s.Frameworks.SelectMany(f => f.Roles).Concat(w.Weights.Keys).Concat(q.Quotas.Select(x => x.Role))
            .Where(r => r != Roles.Any).Distinct().Order(StringComparer.Ordinal).ToList();

    public static JsonObject GetRoles(ClusterState s, WeightsView w, QuotaView q)
    {
        var roles = new JsonArray();
        foreach (var role in RoleNames(s, w, q))
        {
            var frameworks = s.Frameworks.Where(f => f.Roles.Contains(role)).ToList();
            var allocated = s.Tasks.Where(t => !t.State.IsTerminal() && frameworks.Any(f => f.Id == t.FrameworkId))
                .Aggregate(Res.Empty, (acc, t) => acc + t.Resources);
            var offered = s.Offers.Where(o => o.AllocationRole == role).Aggregate(Res.Empty, (acc, o) => acc + o.Resources);
            var o = new JsonObject
            {
                ["name"] = role,
                ["weight"] = w.Weights.TryGetValue(role, out var weight) ? weight : 1.0,
                ["frameworks"] = Array(frameworks.Select(f => (JsonNode)Id(f.Id.Value))),
                ["resources"] = Resources(allocated),
                ["allocated"] = Resources(allocated),
                ["offered"] = Resources(offered),
            };
            if (q.Quotas.FirstOrDefault(x => x.Role == role) is { } quota)
                o["quota"] = new JsonObject { ["role"] = role, ["guarantee"] = Quantities(quota.Guarantees), ["limit"] = Quantities(quota.Limits) };
            roles.Add(o);
        }
        return new JsonObject { ["roles"] = roles };
    }

    public static JsonArray WeightInfos(WeightsView w) =>
        Array(w.Weights.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (JsonNode)new JsonObject { ["role"] = kv.Key, ["weight"] = kv.Value }));

    /// <summary>Mesos' QuotaStatus: "infos" (guarantees as v1 Resources, the pre-1.9 shape) and "configs" (QuotaConfig).</summary>
    public static JsonObject QuotaStatus(QuotaView q) => new()
    {
        ["infos"] = Array(q.Quotas.Select(x => (JsonNode)new JsonObject
        {
            ["role"] = x.Role,
            ["guarantee"] = Resources(Res.From(x.Guarantees.Select(kv => Resource.OfScalar(kv.Key, kv.Value)))),
        })),
        ["configs"] = Array(q.Quotas.Select(x => (JsonNode)new JsonObject
        {
            ["role"] = x.Role, ["guarantees"] = Scalars(x.Guarantees), ["limits"] = Scalars(x.Limits),
        })),
    };

    // ---- maintenance ----

    /// <summary>
    /// Mesos' maintenance ClusterStatus: down_machines by hostname (no inverse offers, so no draining_machines).
    /// ClusterKernel extensions: the agents an operator deactivated, is draining, or marked gone.
    /// </summary>
    public static JsonObject MaintenanceStatus(MaintenanceView m) => new()
    {
        ["draining_machines"] = MaintenanceJson.DrainingMachines(m),
        ["down_machines"] = Array(m.DownHostnames.Order(StringComparer.Ordinal).Select(h => (JsonNode)new JsonObject { ["hostname"] = h })),
        ["deactivated_agents"] = Array(m.DeactivatedAgents.Select(a => (JsonNode)Id(a.Value))),
        ["draining_agents"] = Array(m.DrainingAgents.Select(a => (JsonNode)Id(a.Value))),
        ["gone_agents"] = Array(m.GoneAgents.Select(a => (JsonNode)Id(a.Value))),
    };

    /// <summary>The stored schedule; without one (machines put down by START_MAINTENANCE), one window holding the machines that are down now.</summary>
    public static JsonObject MaintenanceSchedule(MaintenanceView m) => m.Schedule.Count > 0 ? MaintenanceJson.Schedule(m) : new()
    {
        ["windows"] = m.DownHostnames.Count == 0 ? new JsonArray() : new JsonArray(new JsonObject
        {
            ["machine_ids"] = Array(m.DownHostnames.Order(StringComparer.Ordinal).Select(h => (JsonNode)new JsonObject { ["hostname"] = h })),
            ["unavailability"] = new JsonObject { ["start"] = new JsonObject { ["nanoseconds"] = 0 } },
        }),
    };

    /// <summary>Hostnames of the windows whose unavailability has started at <paramref name="nowSeconds"/>; later windows are ignored.</summary>
    public static IReadOnlyList<string> StartedHostnames(JsonNode? schedule, double nowSeconds)
    {
        var hosts = new List<string>();
        if (schedule?["windows"] is not JsonArray windows) return hosts;
        foreach (var w in windows)
        {
            var start = (w?["unavailability"]?["start"]?["nanoseconds"] is { } n ? Number(n) : 0) / 1e9;
            if (start > nowSeconds) continue;
            if (w?["machine_ids"] is JsonArray ids) hosts.AddRange(MachineHostnames(ids));
        }
        return hosts.Distinct().ToList();
    }

    /// <summary>[{"hostname": ...}, ...] → hostnames (entries with only "ip" are refused by the caller as hostless).</summary>
    public static IReadOnlyList<string> MachineHostnames(JsonArray machines) =>
        machines.Select(x => (string?)x?["hostname"] ?? "").ToList();

    // ---- parsing ----

    /// <summary>A JSON number or a numeric string (protobuf JSON writes int64 as strings).</summary>
    public static double Number(JsonNode n) => n switch
    {
        // A Value.Scalar ({"value": 1}): how Mesos (and the protobuf JSON mapping) writes QuotaConfig quantities.
        JsonObject o when o["value"] is { } inner => Number(inner),
        JsonValue v when v.TryGetValue<string>(out var s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => n.GetValue<double>(),
    };

    /// <summary>
    /// A duration in seconds from any form a client may send: google.protobuf.Duration as protobuf's JSON writes it ("10s",
    /// "1.5s" — also what protobuf requests become), as {"seconds","nanos"}, or Mesos' DurationInfo {"nanoseconds"}.
    /// </summary>
    public static double DurationSeconds(JsonNode n, string path) => n switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) && s.EndsWith('s')
            && double.TryParse(s[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) => secs,
        JsonObject o when o["nanoseconds"] is { } ns => Number(ns) / 1e9,
        JsonObject o when o["seconds"] is not null || o["nanos"] is not null =>
            (o["seconds"] is { } sec ? Number(sec) : 0) + (o["nanos"] is { } nanos ? Number(nanos) / 1e9 : 0),
        _ => throw new FormatException($"{path}: expected a duration such as \"10s\", {{\"seconds\": 10}} or {{\"nanoseconds\": 10000000000}}"),
    };

    /// <summary>{"cpus": 1} or v1 Resource array [{"name":"cpus","type":"SCALAR","scalar":{"value":1}}] → name → quantity.</summary>
    public static Dictionary<string, double> ParseQuantities(JsonNode? node)
    {
        var result = new Dictionary<string, double>();
        switch (node)
        {
            case null: break;
            case JsonObject o:
                foreach (var (k, v) in o) result[k] = v is null ? throw new FormatException($"'{k}' has no value") : Number(v);
                break;
            case JsonArray a:
                foreach (var r in a)
                {
                    var name = (string?)r?["name"] ?? throw new FormatException("a resource needs a name");
                    var value = r?["scalar"]?["value"] is { } v ? Number(v) : throw new FormatException($"'{name}' must be a scalar");
                    result[name] = result.GetValueOrDefault(name) + value;
                }
                break;
            default: throw new FormatException("quantities must be an object or a resource array");
        }
        return result;
    }

    /// <summary>
    /// Operator file paths: "FRAMEWORK_ID/TASK_ID[/FILE]" (FILE defaults to stdout), or Mesos' sandbox path
    /// ".../frameworks/FRAMEWORK_ID/executors/TASK_ID/runs/(CONTAINER|latest)[/FILE]" (the executor id is the task id).
    /// </summary>
    public static bool TryParseSandboxPath(string? path, out FrameworkId framework, out TaskId task, out string file)
    {
        framework = default; task = default; file = "";
        if (string.IsNullOrWhiteSpace(path)) return false;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var fw = System.Array.IndexOf(parts, "frameworks");
        if (fw >= 0 && fw + 3 < parts.Length && parts[fw + 2] == "executors")
        {
            framework = new FrameworkId(parts[fw + 1]);
            task = new TaskId(parts[fw + 3]);
            var rest = parts.Skip(fw + 4).ToArray();
            if (rest.Length >= 2 && rest[0] == "runs") rest = rest[2..];
            file = rest.Length == 0 ? "" : string.Join('/', rest);
            return true;
        }
        if (parts.Length < 2 || parts.Contains("..")) return false;
        framework = new FrameworkId(parts[0]);
        task = new TaskId(parts[1]);
        file = parts.Length == 2 ? "stdout" : string.Join('/', parts[2..]);
        return true;
    }

    // ---- Prometheus ----

    /// <summary>Metric name for Prometheus: every character outside [a-zA-Z0-9_:] becomes '_' ("allocator/mesos/allocation_run_ms" → "allocator_mesos_allocation_run_ms").</summary>
    public static string PrometheusName(string name)
    {
        var sb = new StringBuilder(name.Length + 1);
        foreach (var c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }

    /// <summary>Prometheus text exposition format 0.0.4: every metric as an untyped gauge; names that collide after sanitising keep the first.</summary>
    public static string Prometheus(MetricsSnapshot metrics)
    {
        var sb = new StringBuilder();
        var seen = new HashSet<string>();
        foreach (var (name, value) in metrics.Values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var p = PrometheusName(name);
            if (!seen.Add(p)) continue;
            var text = double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf"
                : value.ToString("R", CultureInfo.InvariantCulture);
            sb.Append("# TYPE ").Append(p).Append(" gauge\n").Append(p).Append(' ').Append(text).Append('\n');
        }
        return sb.ToString();
    }
}
