using ClusterKernel.Allocation.Dense;

namespace ClusterKernel.Allocation.State;

/// <summary>One reservation pool of an agent: resources reserved for one role (or unreserved, "*"), revocable or not. Dynamic
/// reservations (with their principal and labels) and each persistent volume get pools of their own, so offers give them back whole.</summary>
internal sealed class Pool
{
    public Pool(string role, bool revocable, IReadOnlyList<ClusterKernel.Resources.ReservationInfo>? reservations = null, ClusterKernel.Resources.DiskInfo? disk = null)
    {
        Role = role; Revocable = revocable;
        Reservations = reservations ?? Array.Empty<ClusterKernel.Resources.ReservationInfo>();
        Disk = disk;
    }
    public string Role { get; }
    public bool Revocable { get; }
    public IReadOnlyList<ClusterKernel.Resources.ReservationInfo> Reservations { get; }
    public ClusterKernel.Resources.DiskInfo? Disk { get; }

    public bool Holds(ClusterKernel.Resources.Resource r) =>
        r.Revocable == Revocable && r.Role == Role && Equals(r.Disk, Disk) &&
        (r.Reservations.Count == 0 && Reservations.Count == 0 || r.Reservations.SequenceEqual(Reservations));
    public bool Unreserved => Role == ClusterKernel.Resources.Roles.Any;
    public Bundle Total = new();
    public Bundle Free = new();
}

/// <summary>What one framework holds on one agent under one of its roles, per pool of that agent.</summary>
internal sealed class AgentAllocation
{
    public AgentAllocation(FrameworkRole role) => Role = role;
    public FrameworkRole Role { get; }
    public Bundle?[] Pools = Array.Empty<Bundle?>();

    public bool IsEmpty => Pools.All(p => p is null || p.IsEmpty);
}

/// <summary>
/// A decline filter: the framework refuses the agent's refused set number <see cref="Refused"/> until <see cref="Until"/>.
/// A struct without references, stored in the agent's dictionary: at 10,000 agents x 1,000 frameworks there are
/// millions, and neither objects nor references in them should be left for the GC to trace.
/// </summary>
internal readonly record struct OfferFilter(int Refused, DateTimeOffset Until);

internal sealed class AgentState
{
    public AgentState(AgentId id) => Id = id;
    public AgentId Id { get; }
    /// <summary>What offer constraints select on.</summary>
    public string Hostname = "";
    public IReadOnlyDictionary<string, string> Attributes = new Dictionary<string, string>();
    public int ListIndex;
    public bool Available = true;
    public readonly List<Pool> Pools = new();
    /// <summary>Bumped whenever free resources or filters change; caches compare against it.</summary>
    public long Version;

    public ulong[] FilterBits = Array.Empty<ulong>();
    public readonly Dictionary<int, OfferFilter> Filters = new();
    /// <summary>Distinct refused sets of this agent's filters: frameworks mostly decline the same leftovers, so filters share them.</summary>
    public readonly List<Bundle?[]> RefusedSets = new();
    /// <summary>Index of the most recent refused set.</summary>
    public int LastRefused = -1;
    public Bundle?[]? LastOffer;
    public ClusterKernel.Resources.Resources? LastOfferResources;
    public int MemoRefused = -1;
    public long MemoVersion = -1;
    public ulong MemoMask;
    public bool MemoResult;

    // "Every eligible framework is filtered here": valid while Version, the allocator's eligibility version and the clock allow.
    public long SkipVersion = -1;
    public long SkipEligibility = -1;
    public DateTimeOffset SkipUntil;

    /// <summary>Allocations on this agent by framework slot.</summary>
    public readonly Dictionary<int, List<AgentAllocation>> Allocations = new();

    /// <summary>An empty bundle kept for reuse: offers and declines swap whole bundles in and out of the pools.</summary>
    public Bundle? Spare;

    public Bundle TakeSpare()
    {
        var b = Spare ?? new Bundle();
        Spare = null;
        b.Clear();
        return b;
    }

    public bool HasFilter(int slot) => (slot >> 6) < FilterBits.Length && (FilterBits[slot >> 6] & (1UL << (slot & 63))) != 0;

    /// <summary>How many filters refer to <see cref="LastRefused"/>, and the earliest expiry ever set (a lower bound).</summary>
    public int SharedRefused;
    public DateTimeOffset MinFilterUntil = DateTimeOffset.MaxValue;

    public void SetFilter(int slot, OfferFilter filter)
    {
        if ((slot >> 6) >= FilterBits.Length) Array.Resize(ref FilterBits, Math.Max((slot >> 6) + 1, FilterBits.Length * 2));
        FilterBits[slot >> 6] |= 1UL << (slot & 63);
        if (Filters.TryGetValue(slot, out var old) && old.Refused == LastRefused) SharedRefused--;
        Filters[slot] = filter;
        if (filter.Refused == LastRefused) SharedRefused++;
        if (filter.Until < MinFilterUntil) MinFilterUntil = filter.Until;
        Version++;
    }

    public void ClearFilter(int slot)
    {
        if (!HasFilter(slot)) return;
        FilterBits[slot >> 6] &= ~(1UL << (slot & 63));
        if (Filters.Remove(slot, out var old) && old.Refused == LastRefused) SharedRefused--;
        if (Filters.Count == 0)
        {
            MinFilterUntil = DateTimeOffset.MaxValue;
            RefusedSets.Clear();
            LastRefused = -1;
            SharedRefused = 0;
            MemoRefused = -1;
        }
        Version++;
    }

    /// <summary>The index of this refused set, reusing the last one when equal; the set becomes the shared one.</summary>
    public int InternRefused(Bundle?[] refused, Func<Bundle?[], Bundle?[], bool> same)
    {
        if (LastRefused >= 0 && same(RefusedSets[LastRefused], refused)) return LastRefused;
        if (RefusedSets.Count >= 32) CompactRefused();
        RefusedSets.Add(refused);
        LastRefused = RefusedSets.Count - 1;
        SharedRefused = 0;
        MemoRefused = -1;
        return LastRefused;
    }

    /// <summary>Drops refused sets no live filter uses (declines of ever-different leftovers would otherwise pile up).</summary>
    private void CompactRefused()
    {
        var map = new Dictionary<int, int>();
        var kept = new List<Bundle?[]>();
        foreach (var slot in Filters.Keys.ToList())
        {
            var f = Filters[slot];
            if (!map.TryGetValue(f.Refused, out var to)) { map[f.Refused] = to = kept.Count; kept.Add(RefusedSets[f.Refused]); }
            Filters[slot] = f with { Refused = to };
        }
        LastRefused = LastRefused >= 0 && map.TryGetValue(LastRefused, out var last) ? last : -1;
        RefusedSets.Clear();
        RefusedSets.AddRange(kept);
        MemoRefused = -1;
    }

    public int PoolIndex(ClusterKernel.Resources.Resource r, bool create)
    {
        for (var i = 0; i < Pools.Count; i++)
            if (Pools[i].Holds(r)) return i;
        if (!create) return -1;
        if (Pools.Count == 64) throw new InvalidOperationException("more than 64 reservation pools on one agent");
        Pools.Add(new Pool(r.Role, r.Revocable, r.Reservations, r.Disk));
        return Pools.Count - 1;
    }
}
