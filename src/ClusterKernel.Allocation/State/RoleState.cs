using ClusterKernel.Allocation.Dense;
using ClusterKernel.Allocation.Sorting;

namespace ClusterKernel.Allocation.State;

/// <summary>A role: its framework sorter, quota and what it consumes (its subtree's unreserved allocations plus reservations).</summary>
internal sealed class RoleState
{
    public RoleState(string name, RoleState? parent, ISorter frameworks)
    {
        Name = name;
        Parent = parent;
        Frameworks = frameworks;
        Array.Fill(Guarantee, double.NaN);
        Array.Fill(Limit, double.NaN);
    }

    public string Name { get; }
    public RoleState? Parent { get; }
    public ISorter Frameworks { get; }
    public int Handle = -1;
    public readonly List<FrameworkRole?> ByHandle = new();
    public int ListedFrameworks;

    /// <summary>Quota consumption of the subtree, by scalar index: unreserved non-revocable allocations + reservations.</summary>
    public readonly double[] Consumed = new double[ResourceSchema.MaxScalars];
    public readonly double[] Guarantee = new double[ResourceSchema.MaxScalars];
    public readonly double[] Limit = new double[ResourceSchema.MaxScalars];
    public bool HasGuarantee;
    public bool HasLimit;
    public int Priority;
    /// <summary>Cached GuaranteeUnmet, maintained by the allocator as consumption changes.</summary>
    public bool UnmetCached;

    public bool GuaranteeUnmet(int count)
    {
        if (!HasGuarantee) return false;
        for (var k = 0; k < count; k++)
            if (Guarantee[k] > Consumed[k] + 1e-9) return true;
        return false;
    }

    public double Unmet(int k) => double.IsNaN(Guarantee[k]) ? 0 : Math.Max(0, Guarantee[k] - Consumed[k]);

    public bool HasGuaranteedAncestor
    {
        get { for (var r = Parent; r != null; r = r.Parent) if (r.HasGuarantee) return true; return false; }
    }
}
