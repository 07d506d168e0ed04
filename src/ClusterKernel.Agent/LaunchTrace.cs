using System.Diagnostics;

namespace ClusterKernel.Agent;

/// <summary>
/// Benchmark hook (<c>ck bench docker</c>): the agent and the Docker containerizer mark the phases of a task launch with
/// <see cref="Stopwatch"/> timestamps. Off (one null check per phase) unless a bench sets <see cref="Observer"/>.
/// </summary>
public static class LaunchTrace
{
    /// <summary>(task id, phase, Stopwatch timestamp); called on whatever thread reached the phase.</summary>
    public static volatile Action<string, string, long>? Observer;

    public static void Mark(string taskId, string phase) => Observer?.Invoke(taskId, phase, Stopwatch.GetTimestamp());
}
