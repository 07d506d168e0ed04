using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using ClusterKernel.Agent;
using ClusterKernel.Agent.Containerizers;

namespace ClusterKernel.Hosting;

/// <summary>What <see cref="SimulatedAgents"/> starts: N agents in one process, for scale tests and benchmarks only.</summary>
public sealed record SimulatedAgentsOptions
{
    public required int Count { get; init; }
    /// <summary>Mesos --resources of every agent.</summary>
    public string Resources { get; init; } = "cpus:8;mem:32768;disk:100000;ports:[31000-32000]";
    /// <summary>"host:port" of the master (or any seed) to join.</summary>
    public required IReadOnlyList<string> Seeds { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; }
    /// <summary>Agent i works in DATA_DIR/agent-i (only its checkpointed id lands there; the simulated containerizer writes nothing).</summary>
    public required string DataDir { get; init; }
    /// <summary>Agents started per second; 0 = all at once. Each agent registers as soon as it starts.</summary>
    public double RegistrationsPerSecond { get; init; }
    public string? ExtraHocon { get; init; }
    public string SystemName { get; init; } = "clusterkernel";
}

/// <summary>
/// Many agents in one ActorSystem (role <c>agent</c>): actors <c>/user/agent-0..N-1</c>, each with its own settings (work dir
/// DATA_DIR/agent-i, hostname sim-i) and its own <see cref="SimulatedContainerizer"/>, each registering with the master over the
/// real protocol through the node's singleton proxy. Exists for scale tests and benchmarks (<c>ck agents --simulate N</c>, <c>ck bench</c>).
/// </summary>
public sealed class SimulatedAgents : IAsyncDisposable
{
    public ActorSystem System { get; }
    public IActorRef MasterProxy { get; }
    public IReadOnlyList<IActorRef> Agents => _agents;
    public IReadOnlyList<SimulatedContainerizer> Containerizers => _containerizers;
    public Address Address => Cluster.Get(System).SelfAddress;
    private readonly List<IActorRef> _agents = new();
    private readonly List<SimulatedContainerizer> _containerizers = new();
    private int _disposed;
    private bool _ownsSystem;

    private SimulatedAgents(ActorSystem system, IActorRef proxy)
    {
        System = system;
        MasterProxy = proxy;
    }

    /// <summary>Starts the node and its agents (staggered by <see cref="SimulatedAgentsOptions.RegistrationsPerSecond"/>); returns once all are started,
    /// not once they are registered. Throws <see cref="FormatException"/> for malformed resources.</summary>
    public static async Task<SimulatedAgents> StartAsync(SimulatedAgentsOptions o, CancellationToken ct = default)
    {
        if (o.Count < 0) throw new ArgumentOutOfRangeException(nameof(o), "Count must be >= 0");
        var nodeOptions = new NodeOptions
        {
            Agent = true, Host = o.Host, Port = o.Port, Seeds = o.Seeds, DataDir = o.DataDir, HttpUrl = null,
            AgentResources = o.Resources, AgentWorkDir = o.DataDir, SystemName = o.SystemName,
            ExtraHocon = (o.ExtraHocon ?? "") + "\nclusterkernel.agent.containerizers = \"simulated\"\n",
        };
        var config = NodeConfig.Build(nodeOptions);
        var template = AgentSettings.Create(config); // parses --resources once; every agent shares the immutable Resources
        Directory.CreateDirectory(o.DataDir);
        var system = ActorSystem.Create(o.SystemName, config);
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/master",
            ClusterSingletonProxySettings.Create(system).WithRole("master").WithBufferSize(10000)), "master-proxy");
        var node = new SimulatedAgents(system, proxy) { _ownsSystem = true };
        await node.AddAgentsAsync(o, template, ct);
        return node;
    }

    /// <summary>Adds the agents to an ActorSystem that is already a cluster member (e.g. the master's own, so that no message
    /// between master and agents is serialized); <paramref name="config"/> is that system's configuration. Disposing stops only the agents.</summary>
    public static async Task<SimulatedAgents> StartInAsync(ActorSystem system, IActorRef masterProxy, Akka.Configuration.Config config,
        SimulatedAgentsOptions o, CancellationToken ct = default)
    {
        var template = AgentSettings.Create(ConfigurationFactory.ParseString(
            $"clusterkernel.agent.resources = \"{o.Resources}\"\nclusterkernel.agent.work-dir = \"{o.DataDir}\"\nclusterkernel.agent.containerizers = \"simulated\"").WithFallback(config));
        Directory.CreateDirectory(o.DataDir);
        var node = new SimulatedAgents(system, masterProxy);
        await node.AddAgentsAsync(o, template, ct);
        return node;
    }

    private async Task AddAgentsAsync(SimulatedAgentsOptions o, AgentSettings template, CancellationToken ct)
    {
        var node = this;
        var system = System;
        var proxy = MasterProxy;
        var started = DateTime.UtcNow;
        for (var i = 0; i < o.Count; i++)
        {
            if (o.RegistrationsPerSecond > 0)
            {
                var due = started + TimeSpan.FromSeconds(i / o.RegistrationsPerSecond);
                if (due > DateTime.UtcNow) await Task.Delay(due - DateTime.UtcNow, ct);
            }
            var settings = template with { WorkDir = Path.Combine(o.DataDir, "agent-" + i), Hostname = "sim-" + i };
            var sim = (SimulatedContainerizer)(await ContainerizerFactory.CreateAsync(settings, ct))[0];
            node._containerizers.Add(sim);
            node._agents.Add(system.ActorOf(ClusterKernel.Agent.Agent.Props(settings, proxy, new IContainerizer[] { sim }), "agent-" + i));
        }
    }

    /// <summary>Leaves the cluster gracefully and stops every agent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_ownsSystem) await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        else foreach (var a in _agents) await a.GracefulStop(TimeSpan.FromSeconds(10));
        foreach (var c in _containerizers) c.Dispose();
        _containerizers.Clear();
        SimulatedContainerizer.PurgeDisposed(); // else the shared clock keeps their tasks (and ck bench counted them as the master's memory)
        _agents.Clear();
    }
}
