using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using ClusterKernel.Allocation;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Benchmarks;

/// <summary>Adding agents (Mesos' AddAndUpdateSlave/DeclineOffers setup): agents with resources already used by frameworks.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class AddAgentsBenchmark
{
    [Params(10_000)] public int Agents;
    [Params(1_000)] public int Frameworks;
    private (AgentId, AgentInfo, Res, Dictionary<FrameworkId, Res>)[] _data = null!;
    private HierarchicalAllocator _allocator = null!;

    [IterationSetup]
    public void Setup()
    {
        _allocator = new HierarchicalAllocator(new AllocatorOptions { FairSharingExcluded = Array.Empty<string>() });
        var ids = Workloads.AddFrameworks(_allocator, Frameworks);
        _data = Workloads.DeclineOffersAgents(Agents, ids);
    }

    [Benchmark] public void AddAgents() => Workloads.AddAgents(_allocator, _data);
}

/// <summary>
/// One DeclineOffers allocation round (Mesos' DeclineOffers): every earlier offer was declined with a year-long filter.
/// Offering = an early round (each agent is still offered to someone); FullyFiltered = every (agent, framework) pair filtered.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class DeclineOffersBenchmark
{
    [Params(1_000, 10_000)] public int Agents;
    [Params(200, 1_000)] public int Frameworks;
    private HierarchicalAllocator _allocator = null!;
    private IReadOnlyList<OfferGrant> _last = Array.Empty<OfferGrant>();
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _allocator = new HierarchicalAllocator(new AllocatorOptions { FairSharingExcluded = Array.Empty<string>() });
        var ids = Workloads.AddFrameworks(_allocator, Frameworks);
        Workloads.AddAgents(_allocator, Workloads.DeclineOffersAgents(Agents, ids));
        _now = Workloads.Start;
        _last = _allocator.Allocate(_now);
    }

    [IterationSetup]
    public void DeclineLastRound()
    {
        Workloads.DeclineAll(_allocator, _last, _now);
        _now += TimeSpan.FromSeconds(1);
    }

    /// <summary>Runs through iterations: starts with offering rounds, ends fully filtered when rounds exceed frameworks.</summary>
    [Benchmark] public void AllocationRound() => _last = _allocator.Allocate(_now);
}

/// <summary>Fully filtered rounds: set up by declining until no offers are made, then timing rounds that offer nothing.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class FullyFilteredBenchmark
{
    [Params(1_000)] public int Agents;
    [Params(200)] public int Frameworks;
    private HierarchicalAllocator _allocator = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _allocator = new HierarchicalAllocator(new AllocatorOptions { FairSharingExcluded = Array.Empty<string>() });
        var ids = Workloads.AddFrameworks(_allocator, Frameworks);
        Workloads.AddAgents(_allocator, Workloads.DeclineOffersAgents(Agents, ids));
        _now = Workloads.Start;
        IReadOnlyList<OfferGrant> grants;
        do
        {
            grants = _allocator.Allocate(_now);
            Workloads.DeclineAll(_allocator, grants, _now);
            _now += TimeSpan.FromSeconds(1);
        } while (grants.Count > 0);
    }

    [Benchmark] public int AllocationRound() => _allocator.Allocate(_now).Count;
}

/// <summary>Mesos' MultiFrameworkAllocations: cycles until all 19,500 tasks are placed, whole-agent offers vs task-shape offers.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class MultiFrameworkBenchmark
{
    [Params(false, true)] public bool Shapes;

    [Benchmark] public int PlaceAll()
    {
        var w = new MultiFrameworkWorkload(Shapes);
        w.RunToCompletion();
        return w.Rounds;
    }
}

/// <summary>3000 agents, 3000 roles with quota (guarantee cpus:4;mem:8192, limit cpus:32;mem:131072), one framework each.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class QuotaBenchmark
{
    private HierarchicalAllocator _allocator = null!;
    private IReadOnlyList<OfferGrant> _last = Array.Empty<OfferGrant>();
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        _allocator = new HierarchicalAllocator(new AllocatorOptions { FairSharingExcluded = Array.Empty<string>() });
        _now = Workloads.Start;
        Workloads.AddQuotaCluster(_allocator, 3_000, 3_000);
    }

    [IterationSetup]
    public void DeclineLastCycle()
    {
        foreach (var g in _last) _allocator.RecoverResources(g.Framework, g.Agent, g.Resources, new Filters { RefuseSeconds = 0 }, _now);
        _now += TimeSpan.FromSeconds(1);
    }

    [Benchmark] public void Cycle() => _last = _allocator.Allocate(_now);
}
