namespace ClusterKernel.Resources;

public enum ValueType { Scalar, Ranges, Set }

/// <summary>
/// One named resource, as Mesos' Resource: a scalar (cpus, mem, disk, gpus), ranges (ports) or a set,
/// reserved for a role (<see cref="Role"/> other than "*") or unreserved, optionally revocable.
/// Scalars are kept to three decimal places, as Mesos does, so sums never drift.
/// </summary>
public sealed record Resource
{
    public const string Unreserved = "*";

    public required string Name { get; init; }
    public ValueType Type { get; init; }
    public double Scalar { get; init; }
    public IReadOnlyList<ValueRange> Ranges { get; init; } = Array.Empty<ValueRange>();
    public IReadOnlyList<string> Set { get; init; } = Array.Empty<string>();
    /// <summary>"*" when unreserved; else the role it is reserved for (a refined reservation names the deepest role).</summary>
    public string Role { get; init; } = Unreserved;
    public bool Revocable { get; init; }
    /// <summary>Mesos' refined reservation stack (bottom first), set when any level is DYNAMIC; the deepest entry's role is
    /// <see cref="Role"/>. Empty for unreserved and for plain static reservations ("cpus(ads):8"), see <see cref="Stack"/>.</summary>
    public IReadOnlyList<ReservationInfo> Reservations { get; init; } = Array.Empty<ReservationInfo>();
    /// <summary>A persistent volume (disk only): persistence id and where tasks see it.</summary>
    public DiskInfo? Disk { get; init; }

    /// <summary>The full reservation stack, static reservations included: what Mesos writes as "reservations".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<ReservationInfo> Stack =>
        Reservations.Count > 0 ? Reservations : Role == Unreserved ? Array.Empty<ReservationInfo>() : new[] { ReservationInfo.Static(Role) };
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsDynamicallyReserved => Reservations.Count > 0 && Reservations[^1].Type == ReservationInfo.Dynamic;
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsPersistentVolume => Disk?.PersistenceId is not null;

    public bool IsReserved => Role != Unreserved;
    public bool IsEmpty => Type switch
    {
        ValueType.Scalar => Scalar <= 0,
        ValueType.Ranges => Ranges.Count == 0,
        _ => Set.Count == 0,
    };

    /// <summary>Two resources that may be merged into one: same name, type, reservation and revocability.</summary>
    public bool SameKind(Resource other) =>
        Name == other.Name && Type == other.Type && Role == other.Role && Revocable == other.Revocable &&
        (ReferenceEquals(Reservations, other.Reservations) || Stack.SequenceEqual(other.Stack)) && Equals(Disk, other.Disk);

    public static double Round(double value) => Math.Round(value * 1000.0) / 1000.0;

    public static Resource OfScalar(string name, double value, string role = Unreserved) =>
        new() { Name = name, Type = ValueType.Scalar, Scalar = Round(value), Role = role };

    public static Resource OfRanges(string name, IEnumerable<ValueRange> ranges, string role = Unreserved) =>
        new() { Name = name, Type = ValueType.Ranges, Ranges = RangeSet.Normalize(ranges), Role = role };

    public static Resource OfSet(string name, IEnumerable<string> items, string role = Unreserved) =>
        new() { Name = name, Type = ValueType.Set, Set = items.Distinct().OrderBy(s => s, StringComparer.Ordinal).ToArray(), Role = role };

    public bool Equals(Resource? other) =>
        other is not null && SameKind(other) && Scalar == other.Scalar &&
        Ranges.SequenceEqual(other.Ranges) && Set.SequenceEqual(other.Set);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Role, Revocable, Scalar);

    public override string ToString()
    {
        var head = Role == Unreserved ? Name : IsDynamicallyReserved && Reservations[^1].Principal is { } p ? $"{Name}({Role}, {p})" : $"{Name}({Role})";
        if (Disk?.PersistenceId is { } id) head += $"[{id}:{Disk.ContainerPath}]";
        var value = Type switch
        {
            ValueType.Scalar => Scalar.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
            ValueType.Ranges => "[" + string.Join(",", Ranges) + "]",
            _ => "{" + string.Join(",", Set) + "}",
        };
        return $"{head}:{value}";
    }
}

/// <summary>mesos.proto Resource.ReservationInfo: one level of a (refined) reservation.</summary>
public sealed record ReservationInfo(string Type, string Role, string? Principal = null, IReadOnlyDictionary<string, string>? Labels = null)
{
    public const string StaticType = "STATIC";
    public const string Dynamic = "DYNAMIC";

    public static ReservationInfo Static(string role) => new(StaticType, role);

    public bool Equals(ReservationInfo? other) =>
        other is not null && Type == other.Type && Role == other.Role && Principal == other.Principal &&
        (Labels ?? Empty).Count == (other.Labels ?? Empty).Count &&
        (Labels ?? Empty).All(kv => (other.Labels ?? Empty).TryGetValue(kv.Key, out var v) && v == kv.Value);

    public override int GetHashCode() => HashCode.Combine(Type, Role, Principal);

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}

/// <summary>mesos.proto Resource.DiskInfo for persistent volumes: Persistence {id, principal} and Volume {container_path, mode}.</summary>
public sealed record DiskInfo(string? PersistenceId, string? Principal, string? ContainerPath, string Mode = "RW");
