namespace ClusterKernel.Agent;

/// <summary>What the agent keeps on disk across restarts: its id (so it re-registers as the same agent).</summary>
public static class AgentCheckpoint
{
    private static string IdFile(string workDir) => Path.Combine(workDir, "meta", "agent_id");

    public static AgentId? ReadAgentId(string workDir) =>
        File.Exists(IdFile(workDir)) && File.ReadAllText(IdFile(workDir)).Trim() is { Length: > 0 } id ? new AgentId(id) : null;

    public static void WriteAgentId(string workDir, AgentId id)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(IdFile(workDir))!);
        File.WriteAllText(IdFile(workDir), id.Value);
    }
}
