using System.Runtime.CompilerServices;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Dense;

/// <summary>Scalar amounts by schema index, stored inside the bundle object (one allocation per bundle, not three).</summary>
[InlineArray(ResourceSchema.MaxScalars)]
internal struct Scalars { private double _first; }

/// <summary>Range sets by schema index (arrays are never mutated in place, so bundles may share them).</summary>
[InlineArray(ResourceSchema.MaxRanges)]
internal struct RangeSlots { private ValueRange[] _first; }

/// <summary>
/// Resources of one pool (one reservation role and revocability) in dense form: scalars by schema index, ranges by schema
/// index, and the rare set-typed resources in general form. This is what the allocation loop works on.
/// </summary>
internal sealed class Bundle
{
    public Scalars S;
    public RangeSlots R;
    public Res Sets = Res.Empty;

    public Bundle() => ((Span<ValueRange[]>)R).Fill(RangeOps.None);

    public bool IsEmpty
    {
        get
        {
            for (var i = 0; i < ResourceSchema.MaxScalars; i++) if (S[i] > 0) return false;
            for (var i = 0; i < ResourceSchema.MaxRanges; i++) if (R[i].Length > 0) return false;
            return Sets.IsEmpty;
        }
    }

    public void Add(Bundle o)
    {
        for (var i = 0; i < ResourceSchema.MaxScalars; i++) if (o.S[i] != 0) S[i] = Resource.Round(S[i] + o.S[i]);
        for (var i = 0; i < ResourceSchema.MaxRanges; i++) R[i] = RangeOps.Union(R[i], o.R[i]);
        if (!o.Sets.IsEmpty) Sets += o.Sets;
    }

    public void Subtract(Bundle o)
    {
        for (var i = 0; i < ResourceSchema.MaxScalars; i++) if (o.S[i] != 0) S[i] = Math.Max(0, Resource.Round(S[i] - o.S[i]));
        for (var i = 0; i < ResourceSchema.MaxRanges; i++) R[i] = RangeOps.Subtract(R[i], o.R[i]);
        if (!o.Sets.IsEmpty) Sets -= o.Sets;
    }

    /// <summary>The part of this bundle that <paramref name="o"/> also holds (what can really be given back).</summary>
    public Bundle Intersect(Bundle o)
    {
        var b = new Bundle();
        for (var i = 0; i < ResourceSchema.MaxScalars; i++) b.S[i] = Math.Min(S[i], o.S[i]);
        for (var i = 0; i < ResourceSchema.MaxRanges; i++) b.R[i] = RangeOps.Intersect(R[i], o.R[i]);
        b.Sets = Sets.IsEmpty ? Res.Empty : Res.From(Sets.Where(x => o.Sets.Contains(Res.Of(x))));
        return b;
    }

    public bool Contains(Bundle o)
    {
        for (var i = 0; i < ResourceSchema.MaxScalars; i++) if (o.S[i] > S[i] + 1e-9) return false;
        for (var i = 0; i < ResourceSchema.MaxRanges; i++) if (!RangeOps.Contains(R[i], o.R[i])) return false;
        return o.Sets.IsEmpty || Sets.Contains(o.Sets);
    }

    public bool SameAs(Bundle o)
    {
        for (var i = 0; i < ResourceSchema.MaxScalars; i++) if (S[i] != o.S[i]) return false;
        for (var i = 0; i < ResourceSchema.MaxRanges; i++) if (!ReferenceEquals(R[i], o.R[i]) && !R[i].AsSpan().SequenceEqual(o.R[i])) return false;
        return Sets.Equals(o.Sets);
    }

    public Bundle Clone()
    {
        var b = new Bundle();
        CopyTo(b);
        return b;
    }

    public void CopyTo(Bundle b)
    {
        b.S = S;
        b.R = R;
        b.Sets = Sets;
    }

    public void Clear()
    {
        S = default;
        ((Span<ValueRange[]>)R).Fill(RangeOps.None);
        Sets = Res.Empty;
    }

    public void AddTo(ResourceSchema schema, State.Pool pool, List<Resource> into)
    {
        for (var i = 0; i < schema.ScalarCount; i++)
            if (S[i] > 0) into.Add(new Resource { Name = schema.ScalarNames[i], Type = Resources.ValueType.Scalar, Scalar = S[i], Role = pool.Role, Revocable = pool.Revocable, Reservations = pool.Reservations, Disk = pool.Disk });
        for (var i = 0; i < schema.RangeCount; i++)
            if (R[i].Length > 0) into.Add(new Resource { Name = schema.RangeNames[i], Type = Resources.ValueType.Ranges, Ranges = R[i], Role = pool.Role, Revocable = pool.Revocable, Reservations = pool.Reservations });
        into.AddRange(Sets);
    }
}
