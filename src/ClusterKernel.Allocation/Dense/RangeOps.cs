using ClusterKernel.Resources;

namespace ClusterKernel.Allocation.Dense;

/// <summary>Linear-time arithmetic on normalised (sorted, disjoint, non-adjacent) range arrays.</summary>
internal static class RangeOps
{
    public static readonly ValueRange[] None = Array.Empty<ValueRange>();
    private const int StackLimit = 128;

    public static bool Contains(ValueRange[] outer, ValueRange[] inner)
    {
        if (ReferenceEquals(outer, inner) || inner.Length == 0) return true;
        var j = 0;
        foreach (var r in inner)
        {
            while (j < outer.Length && outer[j].End < r.Begin) j++;
            if (j == outer.Length || outer[j].Begin > r.Begin || outer[j].End < r.End) return false;
        }
        return true;
    }

    public static ValueRange[] Union(ValueRange[] a, ValueRange[] b)
    {
        if (b.Length == 0) return a;
        if (a.Length == 0) return b;
        // Results are built in a stack buffer when small (the usual case), so only the final array is allocated.
        var max = a.Length + b.Length;
        var result = max <= StackLimit ? stackalloc ValueRange[max] : new ValueRange[max];
        var n = 0;
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            var next = j == b.Length || (i < a.Length && a[i].Begin <= b[j].Begin) ? a[i++] : b[j++];
            if (n > 0 && next.Begin <= result[n - 1].End + 1)
                result[n - 1] = result[n - 1] with { End = Math.Max(result[n - 1].End, next.End) };
            else result[n++] = next;
        }
        return result[..n].ToArray();
    }

    public static ValueRange[] Subtract(ValueRange[] a, ValueRange[] b)
    {
        if (b.Length == 0 || a.Length == 0) return a;
        var max = a.Length + b.Length;
        var result = max <= StackLimit ? stackalloc ValueRange[max] : new ValueRange[max];
        var n = 0;
        var j = 0;
        foreach (var r in a)
        {
            var begin = r.Begin;
            while (j < b.Length && b[j].End < begin) j++;
            var k = j;
            while (k < b.Length && b[k].Begin <= r.End)
            {
                if (b[k].Begin > begin) result[n++] = new ValueRange(begin, b[k].Begin - 1);
                begin = Math.Max(begin, b[k].End + 1);
                if (b[k].End >= r.End) break;
                k++;
            }
            if (begin <= r.End) result[n++] = new ValueRange(begin, r.End);
        }
        return n == 0 ? None : result[..n].ToArray();
    }

    public static ValueRange[] Intersect(ValueRange[] a, ValueRange[] b) => Subtract(a, Subtract(a, b));
}
