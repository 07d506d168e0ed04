using ClusterKernel.Allocation.Dense;
using ClusterKernel.Resources;
using FsCheck.Xunit;

namespace ClusterKernel.Allocation.Tests;

/// <summary>The dense range arithmetic agrees with plain set arithmetic on the ports it covers, and stays normalised.</summary>
public class RangeOpsTests
{
    private static ValueRange[] Ranges(Random r, int max)
    {
        var set = new SortedSet<long>();
        for (var i = r.Next(0, max); i > 0; i--)
        {
            var begin = r.Next(0, 300);
            for (var p = begin; p < begin + r.Next(1, 12); p++) set.Add(p);
        }
        return FromSet(set);
    }

    private static ValueRange[] FromSet(IEnumerable<long> ports)
    {
        var result = new List<ValueRange>();
        foreach (var p in ports.OrderBy(p => p))
        {
            if (result.Count > 0 && result[^1].End + 1 == p) result[^1] = result[^1] with { End = p };
            else result.Add(new ValueRange(p, p));
        }
        return result.ToArray();
    }

    private static HashSet<long> ToSet(ValueRange[] ranges) =>
        ranges.SelectMany(r => Enumerable.Range((int)r.Begin, (int)(r.End - r.Begin + 1)).Select(x => (long)x)).ToHashSet();

    [Property(MaxTest = 300)]
    public void Union_subtract_and_contains_match_set_arithmetic(int seed)
    {
        var r = new Random(seed);
        // Up to 200 pieces, so both the stack buffer and the heap fallback are exercised.
        var a = Ranges(r, r.Next(2) == 0 ? 8 : 200);
        var b = Ranges(r, r.Next(2) == 0 ? 8 : 200);
        var sa = ToSet(a);
        var sb = ToSet(b);

        Assert.Equal(FromSet(sa.Union(sb)), RangeOps.Union(a, b));
        Assert.Equal(FromSet(sa.Except(sb)), RangeOps.Subtract(a, b));
        Assert.Equal(FromSet(sa.Intersect(sb)), RangeOps.Intersect(a, b));
        Assert.Equal(sb.IsSubsetOf(sa), RangeOps.Contains(a, b));
    }
}
