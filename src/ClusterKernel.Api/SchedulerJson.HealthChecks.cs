using System.Text.Json.Nodes;

namespace ClusterKernel.Api;

// TaskInfo.command and TaskInfo.health_check (mesos.proto CommandInfo, HealthCheck) in Mesos' v1 JSON. Structure errors
// (wrong JSON types, a missing required port) are 400s here; the semantic checks (negative durations, bad scheme or path)
// are Mesos' task validation and become TASK_ERROR at the master (HealthCheck.Validate).
public static partial class SchedulerJson
{
    private static CommandInfo ParseCommand(JsonNode node, string path)
    {
        var c = Obj(node, path);
        var env = new Dictionary<string, string>();
        if (c["environment"] is { } en)
        {
            var j = 0;
            foreach (var v in OptArr(Obj(en, path + ".environment"), "variables", path + ".environment") ?? new JsonArray())
            {
                var vp = $"{path}.environment.variables[{j++}]";
                var vo = Obj(v, vp);
                env[ReqStr(vo, "name", vp)] = vo["value"] is { } vv ? Str(vv, vp + ".value") : "";
            }
        }
        return new CommandInfo
        {
            Value = c["value"] is { } val ? Str(val, path + ".value") : null,
            Shell = c["shell"] is not { } sh || Bool(sh, path + ".shell"),
            Arguments = OptArr(c, "arguments", path)?.Select((a, k) => Str(a, $"{path}.arguments[{k}]")).ToList() ?? new List<string>(),
            Environment = env,
            User = c["user"] is { } cu ? Str(cu, path + ".user") : null,
        };
    }

    private static JsonObject WriteCommand(CommandInfo c)
    {
        var co = new JsonObject { ["shell"] = c.Shell };
        if (c.Value is { } v) co["value"] = v;
        if (c.Arguments.Count > 0) co["arguments"] = StrArray(c.Arguments);
        if (c.Environment.Count > 0)
            co["environment"] = new JsonObject
            {
                ["variables"] = new JsonArray(c.Environment.Select(kv => (JsonNode)new JsonObject { ["name"] = kv.Key, ["value"] = kv.Value }).ToArray()),
            };
        if (c.User is { } u) co["user"] = u;
        return co;
    }

    public static HealthCheck ParseHealthCheck(JsonNode node, string path = "health_check")
    {
        var o = Obj(node, path);
        var defaults = new HealthCheck();
        var type = HealthCheckType.UNKNOWN;
        if (o["type"] is { } t)
        {
            var name = Str(t, path + ".type");
            if (name.Length == 0 || char.IsDigit(name[0]) || !Enum.TryParse(name, ignoreCase: false, out type) || !Enum.IsDefined(type))
                throw new SchedulerJsonException($"'{path}.type': unknown health check type '{name}' (COMMAND, HTTP or TCP)");
        }
        HttpCheckInfo? http = null;
        if (o["http"] is { } hn)
        {
            var hp = path + ".http";
            var h = Obj(hn, hp);
            http = new HttpCheckInfo
            {
                Port = Port(Req(h, "port", hp), hp + ".port"),
                Scheme = h["scheme"] is { } s ? Str(s, hp + ".scheme") : null,
                Path = h["path"] is { } p ? Str(p, hp + ".path") : null,
                Statuses = OptArr(h, "statuses", hp)?.Select((x, i) => Whole(x, $"{hp}.statuses[{i}]")).ToList() ?? new List<int>(),
            };
        }
        TcpCheckInfo? tcp = null;
        if (o["tcp"] is { } tn)
        {
            var tp = path + ".tcp";
            tcp = new TcpCheckInfo { Port = Port(Req(Obj(tn, tp), "port", tp), tp + ".port") };
        }
        return new HealthCheck
        {
            Type = type,
            DelaySeconds = o["delay_seconds"] is { } d ? Num(d, path + ".delay_seconds") : defaults.DelaySeconds,
            IntervalSeconds = o["interval_seconds"] is { } iv ? Num(iv, path + ".interval_seconds") : defaults.IntervalSeconds,
            TimeoutSeconds = o["timeout_seconds"] is { } to ? Num(to, path + ".timeout_seconds") : defaults.TimeoutSeconds,
            ConsecutiveFailures = o["consecutive_failures"] is { } cf ? Whole(cf, path + ".consecutive_failures") : defaults.ConsecutiveFailures,
            GracePeriodSeconds = o["grace_period_seconds"] is { } g ? Num(g, path + ".grace_period_seconds") : defaults.GracePeriodSeconds,
            Command = o["command"] is { } cn ? ParseCommand(cn, path + ".command") : null,
            Http = http,
            Tcp = tcp,
        };
    }

    public static JsonObject WriteHealthCheck(HealthCheck c)
    {
        var o = new JsonObject
        {
            ["type"] = c.Type.ToString(),
            ["delay_seconds"] = c.DelaySeconds,
            ["interval_seconds"] = c.IntervalSeconds,
            ["timeout_seconds"] = c.TimeoutSeconds,
            ["consecutive_failures"] = c.ConsecutiveFailures,
            ["grace_period_seconds"] = c.GracePeriodSeconds,
        };
        if (c.Command is { } cmd) o["command"] = WriteCommand(cmd);
        if (c.Http is { } h)
        {
            var ho = new JsonObject { ["port"] = h.Port };
            if (h.Scheme is { } s) ho["scheme"] = s;
            if (h.Path is { } p) ho["path"] = p;
            if (h.Statuses.Count > 0) ho["statuses"] = new JsonArray(h.Statuses.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());
            o["http"] = ho;
        }
        if (c.Tcp is { } tcp) o["tcp"] = new JsonObject { ["port"] = tcp.Port };
        return o;
    }

    /// <summary>A uint32 field (port, status, count): a whole, non-negative number.</summary>
    private static int Whole(JsonNode? n, string path)
    {
        var d = Num(n, path);
        if (d < 0 || d > int.MaxValue || d != Math.Floor(d)) throw new SchedulerJsonException($"'{path}' must be a whole non-negative number");
        return (int)d;
    }

    private static int Port(JsonNode? n, string path)
    {
        var p = Whole(n, path);
        if (p is < 1 or > 65535) throw new SchedulerJsonException($"'{path}' must be a port from 1 to 65535");
        return p;
    }
}
