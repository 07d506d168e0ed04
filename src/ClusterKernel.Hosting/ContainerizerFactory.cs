using ClusterKernel.Agent;
using ClusterKernel.Agent.Containerizers;

namespace ClusterKernel.Hosting;

/// <summary>
/// Builds an agent's containerizers from <see cref="AgentSettings.Containerizers"/> (<c>clusterkernel.agent.containerizers</c>), in order:
/// "docker" (skipped when no engine answers), "process", "simulated" (scale tests and benchmarks only: a list that names
/// "simulated" gets only the simulated containerizer, so a simulated agent never starts a real process).
/// </summary>
public static class ContainerizerFactory
{
    public static async Task<IReadOnlyList<IContainerizer>> CreateAsync(AgentSettings settings, CancellationToken ct = default)
    {
        if (settings.Containerizers.Contains(SimulatedContainerizer.ContainerizerName))
            return new IContainerizer[] { new SimulatedContainerizer() };
        var containerizers = new List<IContainerizer>();
        foreach (var name in settings.Containerizers)
        {
            if (name == "docker" && await DockerContainerizer.IsAvailableAsync(null, TimeSpan.FromSeconds(3), ct))
                containerizers.Add(new DockerContainerizer());
            else if (name == "process")
                containerizers.Add(new ProcessContainerizer(Path.Combine(settings.WorkDir, "meta", "process")));
        }
        return containerizers;
    }
}
