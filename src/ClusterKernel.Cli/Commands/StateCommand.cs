using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ClusterKernel.Cli.Commands;

/// <summary><c>ck state</c>: the master's /state as three tables (agents, frameworks, tasks), or the raw JSON.</summary>
public static class StateCommand
{
    public static Command Create()
    {
        var master = new Option<string>("--master") { Description = "The master's HTTP address", DefaultValueFactory = _ => "http://127.0.0.1:5050" };
        var json = new Option<bool>("--json") { Description = "Print the raw /state JSON" };
        var cmd = new Command("state", "Show the cluster's agents, frameworks and tasks") { master, json };
        cmd.SetAction((ParseResult r, CancellationToken ct) => MasterClient.Guard(async () =>
        {
            using var client = new MasterClient(r.GetValue(master)!);
            var response = await client.GetAsync("/state", ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) throw new CliException(1, "/state failed: " + await MasterClient.ErrorMessage(response, ct));
            if (r.GetValue(json)) { Console.WriteLine(text); return 0; }
            Console.Write(Render(JsonNode.Parse(text)!));
            return 0;
        }));
        return cmd;
    }

    /// <summary>Renders Mesos /state JSON as text tables.</summary>
    public static string Render(JsonNode state)
    {
        var frameworks = Items(state["frameworks"]);
        var tasks = frameworks.SelectMany(f => Items(f["tasks"]).Concat(Items(f["completed_tasks"]))).ToList();
        var activeTasks = frameworks.SelectMany(f => Items(f["tasks"])).ToList();

        var sb = new System.Text.StringBuilder();
        sb.AppendLine("AGENTS");
        sb.Append(Table(new[] { "ID", "HOSTNAME", "CPUS", "MEM", "TASKS" }, Items(state["slaves"]).Select(a => new[]
        {
            Str(a["id"]), Str(a["hostname"]),
            $"{Num(a["used_resources"]?["cpus"])}/{Num(a["resources"]?["cpus"])}",
            $"{Num(a["used_resources"]?["mem"])}/{Num(a["resources"]?["mem"])}",
            activeTasks.Count(t => Str(t["slave_id"]) == Str(a["id"])).ToString(CultureInfo.InvariantCulture),
        })));
        sb.AppendLine().AppendLine("FRAMEWORKS");
        sb.Append(Table(new[] { "ID", "NAME", "ACTIVE", "TASKS" }, frameworks.Select(f => new[]
        {
            Str(f["id"]), Str(f["name"]), (bool?)f["active"] == true ? "yes" : "no",
            Items(f["tasks"]).Count.ToString(CultureInfo.InvariantCulture),
        })));
        sb.AppendLine().AppendLine("TASKS");
        sb.Append(Table(new[] { "ID", "NAME", "STATE", "AGENT", "FRAMEWORK" }, tasks.Select(t => new[]
        {
            Str(t["id"]), Str(t["name"]), Str(t["state"]), Str(t["slave_id"]), Str(t["framework_id"]),
        })));
        return sb.ToString();
    }

    internal static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new[] { header }.Concat(rows).ToList();
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        var sb = new System.Text.StringBuilder();
        foreach (var row in all)
            sb.AppendLine(string.Join("  ", row.Select((c, i) => i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        return sb.ToString();
    }

    private static List<JsonNode> Items(JsonNode? array) => array is JsonArray a ? a.Where(n => n is not null).Select(n => n!).ToList() : new List<JsonNode>();
    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n?.ToJsonString() ?? "";
    private static string Num(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var d) ? d.ToString("0.###", CultureInfo.InvariantCulture) : "0";
}
