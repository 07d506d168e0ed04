namespace ClusterKernel.Allocation.Sorting;

/// <summary>
/// What every sorter of one allocator shares: the cluster's scalar totals (the denominators of shares) and which scalar
/// indices are left out of fair sharing. One object, so an agent joining touches one array rather than every sorter.
/// </summary>
public sealed class SorterContext
{
    public SorterContext(int capacity) { Totals = new double[capacity]; Excluded = new bool[capacity]; }

    public double[] Totals { get; }
    public bool[] Excluded { get; }
    public int Count { get; set; }
    /// <summary>Bumped when <see cref="Totals"/> change, so sorters know their cached shares are stale.</summary>
    public long Version { get; private set; }

    public void AddToTotals(ReadOnlySpan<double> amounts, int sign)
    {
        for (var i = 0; i < amounts.Length; i++) Totals[i] += sign * amounts[i];
        Version++;
    }

    public double DominantShare(double[] allocated)
    {
        double share = 0;
        for (var i = 0; i < Count; i++)
        {
            if (Excluded[i] || Totals[i] <= 0) continue;
            var s = allocated[i] / Totals[i];
            if (s > share) share = s;
        }
        return share;
    }
}
