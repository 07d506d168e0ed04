namespace ClusterKernel.Allocation.Dense;

/// <summary>Maps resource names to dense indices: scalars (cpus, mem, ...) to slots of a double[], ranges (ports) to slots of a range array.</summary>
internal sealed class ResourceSchema
{
    public const int MaxScalars = 16;
    public const int MaxRanges = 4;

    private readonly Dictionary<string, int> _scalars = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ranges = new(StringComparer.Ordinal);

    public List<string> ScalarNames { get; } = new();
    public List<string> RangeNames { get; } = new();
    public int ScalarCount => ScalarNames.Count;
    public int RangeCount => RangeNames.Count;

    public int Scalar(string name)
    {
        if (_scalars.TryGetValue(name, out var i)) return i;
        if (ScalarNames.Count == MaxScalars) throw new InvalidOperationException($"more than {MaxScalars} scalar resource names; raise ResourceSchema.MaxScalars");
        _scalars[name] = i = ScalarNames.Count;
        ScalarNames.Add(name);
        return i;
    }

    public int? FindScalar(string name) => _scalars.TryGetValue(name, out var i) ? i : null;

    public int Range(string name)
    {
        if (_ranges.TryGetValue(name, out var i)) return i;
        if (RangeNames.Count == MaxRanges) throw new InvalidOperationException($"more than {MaxRanges} range resource names; raise ResourceSchema.MaxRanges");
        _ranges[name] = i = RangeNames.Count;
        RangeNames.Add(name);
        return i;
    }
}
