namespace ClusterKernel.Allocation.State;

/// <summary>A framework's membership in one role: its client handle in that role's framework sorter.</summary>
internal sealed class FrameworkRole
{
    public FrameworkRole(FrameworkState framework, RoleState role, int handle) { Framework = framework; Role = role; Handle = handle; }
    public FrameworkState Framework { get; }
    public RoleState Role { get; }
    public int Handle { get; }
    public bool Subscribed = true;
    public bool Suppressed;
    /// <summary>Whether it is currently active in the sorter (framework active, subscribed, not suppressed).</summary>
    public bool Listed;
    /// <summary>The framework's offer constraints for this role; null when it has none (the common case costs one null check).</summary>
    public AgentConstraint? Constraint;
}

internal sealed class FrameworkState
{
    public FrameworkState(FrameworkId id, FrameworkInfo info, int slot) { Id = id; Info = info; Slot = slot; }
    public FrameworkId Id { get; }
    public FrameworkInfo Info
    {
        get => _info;
        // The capability is read once per (agent, framework) pair in the cycle: keep it as a flag, not a list search.
        set { _info = value; Revocable = value.Has(FrameworkCapabilities.RevocableResources); }
    }
    private FrameworkInfo _info = null!;
    /// <summary>Dense index, reused after removal; indexes agents' filter bitsets.</summary>
    public int Slot { get; }
    public bool Active;
    public bool Revocable { get; private set; }
    public readonly List<FrameworkRole> Roles = new();
    public readonly HashSet<AgentState> AllocatedOn = new();
    public readonly HashSet<AgentState> FilteredOn = new();
    /// <summary>Pending task shapes (dense scalars) when the framework opted into shape-sized offers; null otherwise.</summary>
    public double[][]? Shapes;
    public int[]? ShapeRanges;

    public FrameworkRole? Role(string name) => Roles.Find(r => r.Role.Name == name);
}
