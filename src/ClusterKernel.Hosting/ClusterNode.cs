using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
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
/// <para>A node whose ActorSystem terminated under it (downed, or fenced after being quarantined), and an agent-only node that
/// sees no member with the master role for <c>clusterkernel.agent.master-lost-rejoin-after</c> (the only master restarted and
/// formed a new cluster), starts a new ActorSystem with the same configuration that joins the seeds again; a master node
/// starts its command framework and HTTP API (same URL) again with it. The containerizers belong to the node and outlive
/// the ActorSystems; the new agent actor recovers its tasks from the work dir. <see cref="System"/>, <see cref="MasterProxy"/>
/// and <see cref="Agent"/> always name the current incarnation.</para>
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private sealed record Incarnation(ActorSystem System, IActorRef MasterProxy, IActorRef? Agent);

    private volatile Incarnation _current = null!;
    public ActorSystem System => _current.System;
    public NodeOptions Options { get; }
    public IActorRef MasterProxy => _current.MasterProxy;
    public IActorRef? Agent => _current.Agent;
    public IActorRef? CommandFramework { get; private set; }
    public string? HttpUrl { get; private set; }
    public IReadOnlyList<string> Containerizers { get; private set; } = Array.Empty<string>();
    /// <summary>How many times this node replaced its ActorSystem to rejoin the cluster.</summary>
    public int Restarts => _restarts;
    /// <summary>Raised (on a thread-pool thread) after a new ActorSystem has started; the argument is the number of restarts so far.</summary>
    public event Action<int>? Restarted;
    private WebApplication? _http;
    private readonly List<IDisposable> _disposables = new();
    private readonly Akka.Configuration.Config _config;
    private readonly AgentSettings? _agentSettings;
    private IReadOnlyList<IContainerizer> _containerizers = Array.Empty<IContainerizer>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Task _monitor = Task.CompletedTask;
    private int _restarts;
    private int _disposed;

    private ClusterNode(NodeOptions options, Akka.Configuration.Config config, AgentSettings? agentSettings)
    {
        Options = options;
        _config = config;
        _agentSettings = agentSettings;
    }

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Starts the node. Throws <see cref="FormatException"/> for malformed resources or attributes, before anything starts.</summary>
    public static async Task<ClusterNode> StartAsync(NodeOptions options, CancellationToken ct = default)
    {
        var config = NodeConfig.Build(options);
        var agentSettings = options.Agent ? AgentSettings.Create(config) : null; // validates --resources before starting anything
        Directory.CreateDirectory(options.DataDir);
        var node = new ClusterNode(options, config, agentSettings);
        if (agentSettings is not null)
        {
            // The node owns the containerizers: they hold process handles and outlive any ActorSystem restart.
            var containerizers = await ContainerizerFactory.CreateAsync(agentSettings, ct);
            foreach (var c in containerizers) if (c is IDisposable d) node._disposables.Add(d);
            node._containerizers = containerizers;
            node.Containerizers = containerizers.Select(c => c.Name).ToList();
        }
        node._current = node.StartIncarnation();
        if (options.Master)
        {
            await node.StartFrontEndAsync(options.HttpUrl, ct);
            node._monitor = Task.Run(() => node.MonitorMastersAsync(null));
        }
        else if (agentSettings is not null)
        {
            node._monitor = Task.Run(() => node.MonitorMastersAsync(agentSettings.MasterLostRejoinAfter));
        }
        return node;
    }

    /// <summary>Master nodes: the built-in command framework and the HTTP API, bound to the current incarnation.</summary>
    private async Task StartFrontEndAsync(string? url, CancellationToken ct)
    {
        CommandFramework = System.ActorOf(ClusterKernel.Framework.CommandFramework.Props(MasterProxy), "ck-command");
        if (url is null) return;
        _http = HttpApi.Build(new HttpApiOptions { Url = url }, System, MasterProxy, CommandFramework);
        if (MemoryProbe.Enabled) MemoryProbe.Map(_http, MasterProxy);
        await _http.StartAsync(ct);
        HttpUrl = _http.Urls.FirstOrDefault() ?? url;
        ClusterKernel.Master.NodeHttpEndpoint.Get(System).Url = HttpUrl;
    }

    private async Task StopHttpAsync()
    {
        if (_http is null) return;
        try { using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)); await _http.StopAsync(cts.Token); } catch (Exception) { /* stopping anyway */ }
        await _http.DisposeAsync();
        _http = null;
    }

    /// <param name="rejoin">A restarted incarnation: it joins the other seeds only, never forming a cluster of its own as the
    /// first seed node may (a downed first-seed master that did so would serve a second master beside the majority's).</param>
    private Incarnation StartIncarnation(bool rejoin = false)
    {
        var system = ActorSystem.Create(Options.SystemName,
            rejoin && Options.Seeds.Count > 1 ? ConfigurationFactory.ParseString("akka.cluster.seed-nodes = []").WithFallback(_config) : _config);
        if (rejoin && Options.Seeds.Count > 1)
        {
            var cluster = Cluster.Get(system);
            var self = $"{cluster.SelfAddress.Host}:{cluster.SelfAddress.Port}";
            var others = Options.Seeds.Where(seed => seed != self).ToList();
            cluster.JoinSeedNodes((others.Count > 0 ? others : Options.Seeds)
                .Select(seed => Address.Parse($"akka.tcp://{Options.SystemName}@{seed}")).ToList());
        }
        if (Options.Master)
        {
            // Loading the persistence extension is what starts the journals listed in auto-start-journals: without this it loaded
            // only when the singleton first recovered, so a standby taking over paid the journal's start-up (~1-2.5 s at load 35).
            _ = Akka.Persistence.Persistence.Instance.Apply(system);
            // Every master node watches the leader lease's row from the start, so that a standby that becomes leader has long seen the
            // old leader's last renewal and waits only for what is left of its TTL (Master.Lease.cs).
            _ = LeaderLease.Get(system);
            var settings = MasterSettings.Create(_config);
            var allocatorOptions = new AllocatorOptions { AllocationInterval = settings.AllocationInterval, ShapeAwareOffers = settings.ShapeAwareOffers };
            system.ActorOf(ClusterSingletonManager.Props(
                Master.Master.SupervisedProps(settings, () => new HierarchicalAllocator(allocatorOptions)),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithRole("master")), "master");
        }
        var confirmedDead = ConfirmedDeadSettings.Create(_config);
        if (confirmedDead.Enabled) system.ActorOf(ConfirmedDeadDowning.Props(confirmedDead, probe: Options.Master), "confirmed-dead-downing");
        var proxy = system.ActorOf(ClusterSingletonProxy.Props("/user/master",
            ClusterSingletonProxySettings.Create(system).WithRole("master").WithBufferSize(10000)), "master-proxy");
        // A master with no seeds starts a new cluster on its own (as the first seed node would).
        if (Options.Master && Options.Seeds.Count == 0 && Options.Port == 0) Cluster.Get(system).Join(Cluster.Get(system).SelfAddress);
        IActorRef? agent = null;
        if (_agentSettings is not null)
        {
            system.Log.Info($"Agent containerizers: {string.Join(",", Containerizers)} (docker endpoint {DockerContainerizer.ResolveEndpoint()})");
            agent = system.ActorOf(ClusterKernel.Agent.Agent.Props(_agentSettings, proxy, _containerizers), "agent");
        }
        return new Incarnation(system, proxy, agent);
    }

    /// <summary>Restarts the ActorSystem when it terminated without this node being disposed (downed by the split-brain
    /// resolver or the confirmed-dead fast path, e.g. after being frozen), and on agent-only nodes also when no master-role
    /// member has been seen (Up and reachable) for <paramref name="rejoinAfter"/>.</summary>
    private async Task MonitorMastersAsync(TimeSpan? rejoinAfter)
    {
        var poll = TimeSpan.FromMilliseconds(Math.Clamp((rejoinAfter?.TotalMilliseconds ?? 2000) / 10, 50, 1000));
        var lastSeen = DateTime.UtcNow;
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            try { await Task.Delay(poll, ct); }
            catch (OperationCanceledException) { return; }
            var current = _current;
            string? why = null;
            if (current.System.WhenTerminated.IsCompleted) why = "its ActorSystem terminated";
            else if (rejoinAfter is null || MasterVisible(current.System)) lastSeen = DateTime.UtcNow;
            else if (DateTime.UtcNow - lastSeen >= rejoinAfter) why = $"no master in the cluster for {rejoinAfter}";
            if (why is null) continue;
            try
            {
                await RestartAsync(why, ct);
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                // Could not start the new system (e.g. the port is still taken): try again after another interval.
                Console.Error.WriteLine($"ck: node could not restart its ActorSystem: {e.GetBaseException().Message}");
            }
            lastSeen = DateTime.UtcNow;
        }
    }

    private static bool MasterVisible(ActorSystem system)
    {
        try
        {
            var state = Cluster.Get(system).State;
            return state.Members.Any(m => m.HasRole("master") && m.Status == MemberStatus.Up && !state.Unreachable.Contains(m));
        }
        catch (Exception) { return false; } // system shutting down
    }

    private async Task RestartAsync(string why, CancellationToken ct)
    {
        await _lifecycle.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _disposed) == 1) return;
            var old = _current;
            Console.Error.WriteLine($"ck: node restarting its ActorSystem and rejoining the seeds: {why}");
            // A downed master's HTTP API must not serve from a dead ActorSystem; it comes back with the new incarnation.
            if (Options.Master) await StopHttpAsync();
            if (!old.System.WhenTerminated.IsCompleted)
                await CoordinatedShutdown.Get(old.System).Run(new RejoinReason());
            await old.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30), ct);
            _current = StartIncarnation(rejoin: true);
            if (Options.Master) await StartFrontEndAsync(Options.HttpUrl is null ? null : HttpUrl, ct);
            var n = Interlocked.Increment(ref _restarts);
            _current.System.Log.Warning("Node started ActorSystem incarnation {0}", n + 1);
            Restarted?.Invoke(n);
        }
        finally { _lifecycle.Release(); }
    }

    private sealed class RejoinReason : CoordinatedShutdown.Reason
    {
        public override int ExitCode => 0;
        public override string ToString() => "node rejoining the cluster";
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
        _stopping.Cancel();
        try { await _monitor; } catch (Exception) { /* stopping anyway */ }
        await _lifecycle.WaitAsync();
        _lifecycle.Release();
        await StopHttpAsync();
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
        foreach (var d in _disposables) d.Dispose();
    }
}
