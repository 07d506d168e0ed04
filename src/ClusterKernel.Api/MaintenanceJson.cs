using System.Text.Json.Nodes;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>Mesos' maintenance.proto Schedule/Window/Unavailability and ClusterStatus.DrainingMachine with InverseOfferStatus.</summary>
public static class MaintenanceJson
{
    public static IReadOnlyList<MaintenanceWindow> Windows(JsonNode? schedule)
    {
        var windows = new List<MaintenanceWindow>();
        if (schedule?["windows"] is not JsonArray ws) return windows;
        foreach (var w in ws)
        {
            var hosts = w?["machine_ids"] is JsonArray ids ? OperatorJson.MachineHostnames(ids) : Array.Empty<string>();
            var u = w?["unavailability"];
            var start = u?["start"]?["nanoseconds"] is { } s ? OperatorJson.Number(s) / 1e9 : 0;
            double? duration = u?["duration"]?["nanoseconds"] is { } d ? OperatorJson.Number(d) / 1e9 : null;
            windows.Add(new MaintenanceWindow(hosts, start, duration));
        }
        return windows;
    }

    public static JsonObject Schedule(MaintenanceView m) => new()
    {
        ["windows"] = new JsonArray(m.Schedule.Select(w =>
        {
            var u = new JsonObject { ["start"] = Nanos(w.StartSeconds) };
            if (w.DurationSeconds is { } d) u["duration"] = Nanos(d);
            return (JsonNode)new JsonObject
            {
                ["machine_ids"] = new JsonArray(w.Hostnames.Select(h => (JsonNode)new JsonObject { ["hostname"] = h }).ToArray()),
                ["unavailability"] = u,
            };
        }).ToArray()),
    };

    /// <summary>Scheduled machines not yet down, each with every framework's answer to its inverse offers (UNKNOWN, ACCEPT, DECLINE).</summary>
    public static JsonArray DrainingMachines(MaintenanceView m)
    {
        var down = m.DownHostnames.ToHashSet();
        var statuses = m.InverseOfferStatuses.ToLookup(s => s.Hostname);
        return new JsonArray(m.Schedule.SelectMany(w => w.Hostnames).Where(h => !down.Contains(h)).Distinct().Order(StringComparer.Ordinal)
            .Select(h => (JsonNode)new JsonObject
            {
                ["id"] = new JsonObject { ["hostname"] = h },
                ["statuses"] = new JsonArray(statuses[h].Select(s => (JsonNode)new JsonObject
                {
                    ["status"] = s.Status,
                    ["framework_id"] = new JsonObject { ["value"] = s.FrameworkId.Value },
                    ["timestamp"] = Nanos(s.Timestamp),
                    ["agent_id"] = new JsonObject { ["value"] = s.AgentId.Value },
                }).ToArray()),
            }).ToArray());
    }

    private static JsonObject Nanos(double seconds) => new() { ["nanoseconds"] = (long)Math.Round(seconds * 1e9) };
}
