using System.Text.Json.Nodes;

namespace ClusterKernel.Api;

// ClusterKernel extension of FrameworkInfo: "task_shapes": [{"resources": [<Mesos Resource JSON>...], "count": 4}, ...].
// Mesos ignores unknown fields, and a FrameworkInfo without it means Mesos' whole-agent offers, so Mesos clients are unaffected.
public static partial class SchedulerJson
{
    private static IReadOnlyList<TaskShape> ParseTaskShapes(JsonObject o, string path)
    {
        var arr = OptArr(o, "task_shapes", path);
        if (arr is null || arr.Count == 0) return Array.Empty<TaskShape>();
        var shapes = new List<TaskShape>(arr.Count);
        for (var i = 0; i < arr.Count; i++)
        {
            var p = $"{path}.task_shapes[{i}]";
            var s = Obj(arr[i], p);
            var resources = ParseResources(Req(s, "resources", p), p + ".resources");
            if (!resources.Any(r => r.Type == ClusterKernel.Resources.ValueType.Scalar && r.Scalar > 0))
                throw new SchedulerJsonException($"'{p}.resources' must hold at least one positive scalar");
            var count = s["count"] is { } c ? Num(c, p + ".count") : 1;
            if (count < 1 || count > TaskShape.MaxCount || count != Math.Floor(count))
                throw new SchedulerJsonException($"'{p}.count' must be a whole number from 1 to {TaskShape.MaxCount}");
            shapes.Add(new TaskShape(resources, (int)count));
        }
        return shapes;
    }

    private static void WriteTaskShapes(JsonObject o, IReadOnlyList<TaskShape> shapes)
    {
        if (shapes.Count == 0) return;
        o["task_shapes"] = new JsonArray(shapes.Select(s => (JsonNode)new JsonObject { ["resources"] = WriteResources(s.Resources), ["count"] = s.Count }).ToArray());
    }
}
