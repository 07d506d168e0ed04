using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Cluster.Tools.Singleton;
using ClusterKernel.Agent;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Allocation;
using ClusterKernel.Api;
using ClusterKernel.Framework;
using ClusterKernel.Master;
using Microsoft.AspNetCore.Builder;

namespace ClusterKernel.Hosting;

/// <summary>
/// One running ClusterKernel node: an ActorSystem joined to the cluster with the master singleton manager (master role), the
/// singleton proxy, the HTTP API and the built-in command framework (master role), and an agent (agent role).
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    public ActorSystem System { get; }
    public NodeOptions Options { get; }
    public IActorRef MasterProxy { get; }
    public IActorRef? Agent { get; private set; }
    public IActorRef? CommandFramework { get; private set; }
    public string? HttpUrl { get; private set; }
    public IReadOnlyList<string> Containerizers { get; private set; } = Array.Empty<string>();
    private WebApplication? _http;
    private readonly List<IDisposable> _disposables = new();
    private int _disposed;

    private ClusterNode(ActorSystem system, NodeOptions options, IActorRef masterProxy)
    {
        System = system;
        Options = options;
        MasterProxy = masterProxy;
    }

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Starts the node. Throws <see cref="FormatException"/> for malformed resources or attributes, before anything starts.</summary>
    public static async Task<ClusterNode> StartAsync(NodeOptions options, CancellationToken ct = default)
    {
        var config = NodeConfig.Build(options);
        var agentSettings = options.Agent ? AgentSettings.Create(config) : null; // validates --resources before starting anything
        Directory.CreateDirectory(options.DataDir);
        var system = ActorSystem.Create(options.SystemName, config);
        if (options.Master)
        {
            var settings = MasterSettings.Create(config);
            var allocatorOptions = new AllocatorOptions { AllocationInterval = settings.AllocationInterval };
            system.ActorOf(ClusterSingletonManager.Props(
                Master.Master.SupervisedProps(settings, () => new HierarchicalAllocator(allocatorOptions)),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole("master")), "master");
        }
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/master",
            ClusterSingletonProxySettings.Create(system).WithRole("master").WithBufferSize(10000)), "master-proxy");
        var node = new ClusterNode(system, options, proxy);
        // A master with no seeds starts a new cluster on its own (as the first seed node would).
        if (options.Master && options.Seeds.Count == 0 && options.Port == 0) Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);

        if (agentSettings is not null)
        {
            var containerizers = new List<IContainerizer>();
            foreach (var name in agentSettings.Containerizers)
            {
                if (name == "docker" && await DockerContainerizer.IsAvailableAsync(null, TimeSpan.FromSeconds(3), ct))
                    containerizers.Add(new DockerContainerizer());
                else if (name == "process")
                    containerizers.Add(new ProcessContainerizer(Path.Combine(agentSettings.WorkDir, "meta", "process")));
            }
            foreach (var c in containerizers) if (c is IDisposable d) node._disposables.Add(d);
            node.Containerizers = containerizers.Select(c => c.Name).ToList();
            system.Log.Info($"Agent containerizers: {string.Join(",", node.Containerizers)} (docker endpoint {DockerContainerizer.ResolveEndpoint()})");
            node.Agent = system.ActorOf(ClusterKernel.Agent.Agent.Props(agentSettings, proxy, containerizers), "agent");
        }
        if (options.Master)
        {
            node.CommandFramework = system.ActorOf(ClusterKernel.Framework.CommandFramework.Props(proxy), "ck-command");
            if (options.HttpUrl is not null)
            {
                node._http = HttpApi.Build(new HttpApiOptions { Url = options.HttpUrl }, system, proxy, node.CommandFramework);
                await node._http.StartAsync(ct);
                node.HttpUrl = node._http.Urls.FirstOrDefault() ?? options.HttpUrl;
            }
        }
        return node;
    }

    /// <summary>Completes when this node is Up in the cluster.</summary>
    public Task WhenUp(TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(System).RegisterOnMemberUp(() => tcs.TrySetResult());
        return tcs.Task.WaitAsync(timeout, CancellationToken.None);
    }

    public void Join(Address address) => Cluster.Get(System).Join(address);

    /// <summary>Leaves the cluster gracefully and stops everything this node started.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_http is not null)
        {
            try { using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)); await _http.StopAsync(cts.Token); } catch (Exception) { /* shutting down anyway */ }
            await _http.DisposeAsync();
        }
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        foreach (var d in _disposables) d.Dispose();
    }
}
