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

    /// <summary>
    /// Temporary, until the agent remembers which containerizer launched each task: today <c>Agent.ContainerizerOf</c> looks a
    /// task's containerizer up by the name "docker" or "process", so a simulated agent also gets the simulated containerizer
    /// under the name "process". Supports() picks the first entry, so every launch still goes to the simulated one.
    /// </summary>
    public static IReadOnlyList<IContainerizer> WithLegacyNameAlias(IReadOnlyList<IContainerizer> containerizers) =>
        containerizers.Count == 1 && containerizers[0] is SimulatedContainerizer sim
            ? new IContainerizer[] { sim, new NamedAs("process", sim) }
            : containerizers;

    private sealed class NamedAs(string name, IContainerizer inner) : IContainerizer
    {
        public string Name => name;
        public bool Supports(ContainerLaunch launch) => inner.Supports(launch);
        public Task<ContainerStarted> LaunchAsync(ContainerLaunch launch, CancellationToken ct) => inner.LaunchAsync(launch, ct);
        public Task<ContainerExit> WaitAsync(string containerId, CancellationToken ct) => inner.WaitAsync(containerId, ct);
        public Task KillAsync(string containerId, TimeSpan gracePeriod, CancellationToken ct) => inner.KillAsync(containerId, gracePeriod, ct);
        public Task<IReadOnlyList<RecoveredContainer>> RecoverAsync(string agentId, CancellationToken ct) => Task.FromResult<IReadOnlyList<RecoveredContainer>>(Array.Empty<RecoveredContainer>());
        public Task CleanupAsync(string containerId, CancellationToken ct) => inner.CleanupAsync(containerId, ct);
    }
}
