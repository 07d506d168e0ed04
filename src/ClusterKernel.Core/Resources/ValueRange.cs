namespace ClusterKernel.Resources;

/// <summary>An inclusive range of integers, as Mesos' Value.Range (ports: [31000-32000]).</summary>
public readonly record struct ValueRange(long Begin, long End)
{
    public long Count => End - Begin + 1;
    public override string ToString() => $"{Begin}-{End}";
}

/// <summary>Normalised range-set arithmetic: ranges sorted, non-overlapping, non-adjacent.</summary>
public static class RangeSet
{
    public static IReadOnlyList<ValueRange> Normalize(IEnumerable<ValueRange> ranges)
    {
        var sorted = ranges.Where(r => r.End >= r.Begin).OrderBy(r => r.Begin).ToList();
        var result = new List<ValueRange>(sorted.Count);
        foreach (var r in sorted)
        {
            if (result.Count > 0 && r.Begin <= result[^1].End + 1)
                result[^1] = result[^1] with { End = Math.Max(result[^1].End, r.End) };
            else
                result.Add(r);
        }
        return result;
    }

    public static IReadOnlyList<ValueRange> Union(IReadOnlyList<ValueRange> a, IReadOnlyList<ValueRange> b) =>
        Normalize(a.Concat(b));

    public static IReadOnlyList<ValueRange> Subtract(IReadOnlyList<ValueRange> a, IReadOnlyList<ValueRange> b)
    {
        var result = new List<ValueRange>();
        foreach (var r in a)
        {
            var pieces = new List<ValueRange> { r };
            foreach (var cut in b)
            {
                var next = new List<ValueRange>();
                foreach (var p in pieces)
                {
                    if (cut.End < p.Begin || cut.Begin > p.End) { next.Add(p); continue; }
                    if (cut.Begin > p.Begin) next.Add(new ValueRange(p.Begin, cut.Begin - 1));
                    if (cut.End < p.End) next.Add(new ValueRange(cut.End + 1, p.End));
                }
                pieces = next;
            }
            result.AddRange(pieces);
        }
        return Normalize(result);
    }

    /// <summary>True when every value of <paramref name="inner"/> lies in <paramref name="outer"/>.</summary>
    public static bool Contains(IReadOnlyList<ValueRange> outer, IReadOnlyList<ValueRange> inner) =>
        inner.All(r => outer.Any(o => o.Begin <= r.Begin && r.End <= o.End));

    public static long Count(IReadOnlyList<ValueRange> ranges) => ranges.Sum(r => r.Count);
}
