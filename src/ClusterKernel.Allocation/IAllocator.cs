using ClusterKernel.Resources;

namespace ClusterKernel.Allocation;

/// <summary>
/// Mesos' allocator interface, as plain C#: the master's allocator actor is its only caller, one call at a time,
/// so implementations need no locking. Time is passed in (<c>now</c>) so the allocator is deterministic and testable.
/// Resources handed out by <see cref="Allocate"/> count as allocated until they come back through
/// <see cref="RecoverResources"/> (declined, unused part of an accept, rescinded, or a task that ended).
/// </summary>
public interface IAllocator
{
    void AddFramework(FrameworkId id, FrameworkInfo info, IReadOnlyDictionary<AgentId, Resources.Resources> used, bool active, IReadOnlyCollection<string>? suppressedRoles = null);
    void UpdateFramework(FrameworkId id, FrameworkInfo info, IReadOnlyCollection<string>? suppressedRoles = null);
    void ActivateFramework(FrameworkId id);
    /// <summary>A disconnected framework keeps its allocations but gets no offers.</summary>
    void DeactivateFramework(FrameworkId id);
    void RemoveFramework(FrameworkId id);

    /// <summary>An agent with its total resources and what running tasks of each framework already use on it.</summary>
    void AddAgent(AgentId id, AgentInfo info, Resources.Resources total, IReadOnlyDictionary<FrameworkId, Resources.Resources> used);
    void RemoveAgent(AgentId id);
    /// <summary>New total (e.g. revocable resources from oversubscription, or a reservation change).</summary>
    void UpdateAgentTotal(AgentId id, Resources.Resources total);
    /// <summary>Unavailable agents (draining, maintenance, deactivated) get no new offers.</summary>
    void SetAgentAvailable(AgentId id, bool available);

    /// <summary>Task resources added outside an offer cycle (e.g. tasks reported by a re-registering agent).</summary>
    void AddAllocation(FrameworkId framework, AgentId agent, Resources.Resources resources);

    /// <summary>Gives resources back. With <paramref name="filters"/> (a DECLINE, or the unused part of an ACCEPT) the framework is
    /// not offered those resources on that agent again for max(allocation interval, refuse_seconds).</summary>
    void RecoverResources(FrameworkId framework, AgentId agent, Resources.Resources resources, Filters? filters, DateTimeOffset now);

    /// <summary>The same, naming the role the resources were allocated under (the offer's allocation role), so that shares and quota
    /// are credited back to the right role of a multi-role framework. Null: the framework's first role.</summary>
    void RecoverResources(FrameworkId framework, AgentId agent, string? role, Resources.Resources resources, Filters? filters, DateTimeOffset now);

    /// <summary>An operator's RESERVE/UNRESERVE/CREATE/DESTROY: converts free resources of the agent (and its total).
    /// False, changing nothing, when they are not all free.</summary>
    bool UpdateAvailable(AgentId agent, ResourceConversion conversion);
    /// <summary>An operation in an ACCEPT: converts part of the framework's allocation on the agent (and the agent's total).</summary>
    void UpdateAllocation(FrameworkId framework, AgentId agent, string? role, ResourceConversion conversion);

    void SuppressOffers(FrameworkId framework, IReadOnlyCollection<string>? roles);
    /// <summary>Unsuppresses the roles and clears the framework's decline filters for them (all roles when null).</summary>
    void ReviveOffers(FrameworkId framework, IReadOnlyCollection<string>? roles);

    void UpdateWeights(IReadOnlyDictionary<string, double> weights);
    void UpdateQuota(string role, Quota quota);

    /// <summary>One allocation cycle. Every returned grant is now allocated to that framework.</summary>
    IReadOnlyList<OfferGrant> Allocate(DateTimeOffset now);
}

/// <summary>Resources of one agent granted to one framework for one of its roles; the master turns it into an <see cref="Offer"/>.</summary>
public sealed record OfferGrant(FrameworkId Framework, string Role, AgentId Agent, Resources.Resources Resources);

/// <summary>Per-role quota on scalar resources: guaranteed amounts are served first; limits are never exceeded.</summary>
public sealed record Quota(IReadOnlyDictionary<string, double> Guarantees, IReadOnlyDictionary<string, double> Limits)
{
    public static readonly Quota None = new(new Dictionary<string, double>(), new Dictionary<string, double>());
}

/// <summary>Allocator options, with Mesos' defaults.</summary>
public sealed record AllocatorOptions
{
    public TimeSpan AllocationInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Mesos --min_allocatable_resources default "cpus:0.01|mem:32": an offer must hold at least one of these.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, double>> MinAllocatable { get; init; } = new[]
    {
        (IReadOnlyDictionary<string, double>)new Dictionary<string, double> { ["cpus"] = 0.01 },
        new Dictionary<string, double> { ["mem"] = 32 },
    };
    /// <summary>Mesos --fair_sharing_excluded_resource_names default: gpus.</summary>
    public IReadOnlyCollection<string> FairSharingExcluded { get; init; } = new[] { "gpus" };
    /// <summary>"drf" or "random" (weighted random), as Mesos' --role_sorter / --framework_sorter.</summary>
    public string RoleSorter { get; init; } = "drf";
    public string FrameworkSorter { get; init; } = "drf";
    /// <summary>Whether task shapes declared in FrameworkInfo (ClusterKernel extension) cut that framework's offers to fit them,
    /// leaving the rest of the agent for others. Off: every framework gets Mesos' whole-agent offers.</summary>
    public bool ShapeAwareOffers { get; init; } = true;
    /// <summary>Seed for agent shuffling and the random sorter, so a run can be replayed.</summary>
    public int Seed { get; init; } = 42;
}
