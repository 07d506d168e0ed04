using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClusterKernel.Protocol.Serialization;

namespace ClusterKernel.Agent;

/// <summary>One task as checkpointed in <c>WORK_DIR/meta/tasks/&lt;task_id&gt;.json</c>.</summary>
public sealed record TaskCheckpoint
{
    public required FrameworkId FrameworkId { get; init; }
    public required TaskInfo Info { get; init; }
    public required string ContainerId { get; init; }
    public required string Sandbox { get; init; }
    public string? Containerizer { get; init; }
    public TaskState State { get; init; }
    public bool Launched { get; init; }
    public bool KillRequested { get; init; }
    public double? KillGraceSeconds { get; init; }
    public IReadOnlyList<TaskStatus> Unacknowledged { get; init; } = Array.Empty<TaskStatus>();

    public static TaskCheckpoint Of(AgentTask t) => new()
    {
        FrameworkId = t.FrameworkId, Info = t.Info, ContainerId = t.ContainerId, Sandbox = t.Sandbox, Containerizer = t.Containerizer,
        State = t.State, Launched = t.Launched, KillRequested = t.KillRequested, KillGraceSeconds = t.KillGrace?.TotalSeconds,
        Unacknowledged = t.Unacknowledged.ToList(),
    };

    public AgentTask ToTask()
    {
        var t = new AgentTask
        {
            FrameworkId = FrameworkId, Info = Info, ContainerId = ContainerId, Sandbox = Sandbox, Containerizer = Containerizer,
            State = State, Launched = Launched, KillRequested = KillRequested,
            KillGrace = KillGraceSeconds is { } g ? TimeSpan.FromSeconds(g) : null,
        };
        t.Unacknowledged.AddRange(Unacknowledged);
        return t;
    }
}

/// <summary>
/// What the agent keeps on disk across restarts (Mesos' <c>meta/</c>): its id (so it re-registers as the same agent) and
/// one JSON file per task in its table (<c>meta/tasks/</c>), written atomically (temp file + rename) and removed when the
/// task leaves the table. Reading never throws for a bad file: it is reported, renamed to <c>*.corrupt</c> and skipped.
/// </summary>
public static class AgentCheckpoint
{
    private static readonly JsonSerializerOptions Options = Json.CreateOptions();

    private static string IdFile(string workDir) => Path.Combine(workDir, "meta", "agent_id");
    public static string TasksDir(string workDir) => Path.Combine(workDir, "meta", "tasks");

    public static AgentId? ReadAgentId(string workDir) =>
        File.Exists(IdFile(workDir)) && File.ReadAllText(IdFile(workDir)).Trim() is { Length: > 0 } id ? new AgentId(id) : null;

    public static void WriteAgentId(string workDir, AgentId id) => WriteAtomically(IdFile(workDir), id.Value);

    /// <summary>The file of a task: its id, escaped so any id is one safe file name (ids longer than a file name allows are hashed).</summary>
    public static string TaskFile(string workDir, TaskId id)
    {
        var name = Uri.EscapeDataString(id.Value);
        if (name.StartsWith('.')) name = "%2E" + name[1..];
        if (name.Length > 200) name = "sha256-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(id.Value))).ToLowerInvariant();
        return Path.Combine(TasksDir(workDir), name + ".json");
    }

    public static string Serialize(TaskCheckpoint task) => JsonSerializer.Serialize(task, Options);

    public static TaskCheckpoint? Deserialize(string json) => JsonSerializer.Deserialize<TaskCheckpoint>(json, Options);

    public static void WriteTask(string workDir, TaskCheckpoint task) => WriteAtomically(TaskFile(workDir, task.Info.TaskId), Serialize(task));

    public static void RemoveTask(string workDir, TaskId id)
    {
        var file = TaskFile(workDir, id);
        if (File.Exists(file)) File.Delete(file);
    }

    /// <summary>Every checkpointed task. A file that cannot be read or parsed is passed to <paramref name="onCorrupt"/>
    /// (file, error), renamed to <c>*.corrupt</c> so it is not read again, and skipped; leftover temp files are deleted.</summary>
    public static IReadOnlyList<TaskCheckpoint> ReadTasks(string workDir, Action<string, string>? onCorrupt = null)
    {
        var dir = TasksDir(workDir);
        if (!Directory.Exists(dir)) return Array.Empty<TaskCheckpoint>();
        foreach (var tmp in Directory.EnumerateFiles(dir, "*.tmp")) TryDelete(tmp);
        var result = new List<TaskCheckpoint>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                var task = Deserialize(File.ReadAllText(file));
                if (task is null || task.Info is null || string.IsNullOrEmpty(task.Info.TaskId.Value) || string.IsNullOrEmpty(task.ContainerId))
                    throw new JsonException("incomplete task checkpoint");
                result.Add(task);
            }
            catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                onCorrupt?.Invoke(file, e.Message);
                try { File.Move(file, file + ".corrupt", overwrite: true); } catch (Exception) { /* read-only dir: skipped again next time */ }
            }
        }
        return result;
    }

    private static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(Encoding.UTF8.GetBytes(text));
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (Exception) { /* best effort */ }
    }
}
