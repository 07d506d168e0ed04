using System.Collections;
using System.Globalization;

namespace ClusterKernel.Resources;

/// <summary>
/// An immutable bag of resources with Mesos' arithmetic: resources of the same kind (name, type,
/// reservation, revocability) are merged; subtraction removes empty ones; <see cref="Contains"/>
/// is the test an offer's LAUNCH must pass.
/// </summary>
public sealed class Resources : IReadOnlyList<Resource>, IEquatable<Resources>
{
    private readonly Resource[] _items;

    public static readonly Resources Empty = new(Array.Empty<Resource>());

    private Resources(Resource[] items) => _items = items;

    public static Resources From(IEnumerable<Resource> items)
    {
        // Sized arrays, no List or closure: a re-registration storm (100,000 tasks) builds and adds millions of these, and
        // their garbage showed up as GC pauses in the profile of the new master.
        if (items is IReadOnlyCollection<Resource> c)
        {
            var buffer = new Resource[c.Count];
            var n = 0;
            foreach (var r in items) n = Put(buffer, n, r);
            return Sized(buffer, n);
        }
        var merged = new List<Resource>();
        foreach (var r in items)
        {
            if (r.IsEmpty) continue;
            var i = merged.FindIndex(m => m.SameKind(r));
            if (i < 0) merged.Add(r);
            else merged[i] = Combine(merged[i], r, +1);
        }
        return new Resources(merged.ToArray());
    }

    /// <summary>Adds <paramref name="r"/> to the first <paramref name="n"/> merged items (as <see cref="From"/>: first-seen order).</summary>
    private static int Put(Resource[] merged, int n, Resource r)
    {
        if (r.IsEmpty) return n;
        for (var i = 0; i < n; i++)
            if (merged[i].SameKind(r)) { merged[i] = Combine(merged[i], r, +1); return n; }
        merged[n] = r;
        return n + 1;
    }

    private static Resources Sized(Resource[] buffer, int n) =>
        n == 0 ? Empty : new Resources(n == buffer.Length ? buffer : buffer.AsSpan(0, n).ToArray());

    public static Resources Of(params Resource[] items) => From(items);

    public int Count => _items.Length;
    public Resource this[int index] => _items[index];
    public IEnumerator<Resource> GetEnumerator() => ((IEnumerable<Resource>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
    public bool IsEmpty => _items.Length == 0;

    public Resources Add(Resources other)
    {
        if (other.IsEmpty) return this;
        if (IsEmpty) return other;
        var buffer = new Resource[_items.Length + other._items.Length];
        var n = 0;
        foreach (var r in _items) n = Put(buffer, n, r);
        foreach (var r in other._items) n = Put(buffer, n, r);
        return Sized(buffer, n);
    }

    /// <summary>Removes <paramref name="other"/>; what this does not hold is ignored (callers check <see cref="Contains"/> first).</summary>
    public Resources Subtract(Resources other)
    {
        if (other.IsEmpty) return this;
        var result = new List<Resource>(_items);
        foreach (var r in other._items)
        {
            var i = result.FindIndex(m => m.SameKind(r));
            if (i < 0) continue;
            var left = Combine(result[i], r, -1);
            if (left.IsEmpty) result.RemoveAt(i); else result[i] = left;
        }
        return new Resources(result.ToArray());
    }

    public bool Contains(Resources other) => other._items.All(Contains);

    public bool Contains(Resource r)
    {
        var mine = Array.Find(_items, m => m.SameKind(r));
        if (mine is null) return r.IsEmpty;
        return r.Type switch
        {
            ValueType.Scalar => mine.Scalar + 1e-9 >= r.Scalar,
            ValueType.Ranges => RangeSet.Contains(mine.Ranges, r.Ranges),
            _ => r.Set.All(s => mine.Set.Contains(s)),
        };
    }

    public static Resources operator +(Resources a, Resources b) => a.Add(b);
    public static Resources operator -(Resources a, Resources b) => a.Subtract(b);

    /// <summary>Sum of a scalar over every reservation (e.g. all "cpus").</summary>
    public double Scalar(string name) => Resource.Round(_items.Where(r => r.Name == name && r.Type == ValueType.Scalar).Sum(r => r.Scalar));

    public IReadOnlyList<ValueRange> Ranges(string name) =>
        RangeSet.Normalize(_items.Where(r => r.Name == name && r.Type == ValueType.Ranges).SelectMany(r => r.Ranges));

    public IEnumerable<string> Names => _items.Select(r => r.Name).Distinct();

    public Resources Where(Func<Resource, bool> predicate) => new(_items.Where(predicate).ToArray());
    public Resources Unreserved() => Where(r => !r.IsReserved);
    public Resources Reserved(string role) => Where(r => r.Role == role);
    public Resources Revocable() => Where(r => r.Revocable);
    public Resources NonRevocable() => Where(r => !r.Revocable);

    /// <summary>What a framework in <paramref name="role"/> may be offered: unreserved, plus what is reserved for the role or an ancestor of it.</summary>
    public Resources AllocatableTo(string role) => Where(r => !r.IsReserved || Roles.IsSelfOrAncestor(r.Role, role));

    /// <summary>The same resources with every reservation dropped (the shape a task asks for, whatever the pool).</summary>
    public Resources ToUnreserved() => From(_items.Select(r => r with { Role = Resource.Unreserved, Reservations = Array.Empty<ReservationInfo>(), Disk = null }));

    /// <summary>The scalar totals per name, ignoring reservations: {cpus: 2, mem: 1024}.</summary>
    public IReadOnlyDictionary<string, double> ScalarTotals()
    {
        var d = new Dictionary<string, double>();
        foreach (var r in _items.Where(r => r.Type == ValueType.Scalar))
            d[r.Name] = Resource.Round(d.GetValueOrDefault(r.Name) + r.Scalar);
        return d;
    }

    private static Resource Combine(Resource a, Resource b, int sign) => a.Type switch
    {
        ValueType.Scalar => a with { Scalar = Math.Max(0, Resource.Round(a.Scalar + sign * b.Scalar)) },
        ValueType.Ranges => a with { Ranges = sign > 0 ? RangeSet.Union(a.Ranges, b.Ranges) : RangeSet.Subtract(a.Ranges, b.Ranges) },
        _ => a with
        {
            Set = sign > 0
                ? a.Set.Union(b.Set).OrderBy(s => s, StringComparer.Ordinal).ToArray()
                : a.Set.Except(b.Set).ToArray(),
        },
    };

    public bool Equals(Resources? other) =>
        other is not null && other.Count == Count && Contains(other) && other.Contains(this);

    public override bool Equals(object? obj) => obj is Resources r && Equals(r);
    public override int GetHashCode() => _items.Aggregate(0, (h, r) => h ^ r.GetHashCode());

    /// <summary>Mesos' text form: <c>cpus:2;mem:1024;ports:[31000-32000];cpus(ads):4</c>.</summary>
    public override string ToString() => string.Join(";", _items.Select(r => r.ToString()));

    /// <summary>Parses Mesos' <c>--resources</c> syntax; throws <see cref="FormatException"/> with a message that says what to fix.</summary>
    public static Resources Parse(string text)
    {
        if (!TryParse(text, out var resources, out var error)) throw new FormatException(error);
        return resources;
    }

    public static bool TryParse(string? text, out Resources resources, out string error)
    {
        resources = Empty;
        error = "";
        if (string.IsNullOrWhiteSpace(text)) { error = "empty resource string; expected e.g. 'cpus:2;mem:1024;ports:[31000-32000]'"; return false; }
        var list = new List<Resource>();
        foreach (var raw in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = raw.IndexOf(':');
            if (colon <= 0) { error = $"'{raw}' is not NAME:VALUE (e.g. 'cpus:2', 'ports:[31000-32000]')"; return false; }
            var head = raw[..colon].Trim();
            var value = raw[(colon + 1)..].Trim();
            var role = Resource.Unreserved;
            var open = head.IndexOf('(');
            if (open >= 0)
            {
                if (!head.EndsWith(')')) { error = $"'{head}' has an unclosed role: write NAME(ROLE)"; return false; }
                role = head[(open + 1)..^1].Trim();
                head = head[..open].Trim();
                if (!Roles.IsValid(role)) { error = $"'{role}' is not a valid role name"; return false; }
            }
            if (head.Length == 0 || !head.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/'))
            { error = $"'{head}' is not a valid resource name"; return false; }
            if (value.StartsWith('['))
            {
                if (!value.EndsWith(']')) { error = $"'{raw}': ranges must be closed with ']'"; return false; }
                var ranges = new List<ValueRange>();
                foreach (var part in value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var dash = part.IndexOf('-');
                    var ok = dash < 0
                        ? long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single) && Add(ranges, single, single)
                        : long.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var b)
                          && long.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var e) && e >= b && Add(ranges, b, e);
                    if (!ok) { error = $"'{part}' in '{raw}' is not a range BEGIN-END with BEGIN <= END"; return false; }
                }
                list.Add(Resource.OfRanges(head, ranges, role));
            }
            else if (value.StartsWith('{'))
            {
                if (!value.EndsWith('}')) { error = $"'{raw}': sets must be closed with '}}'"; return false; }
                list.Add(Resource.OfSet(head, value[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), role));
            }
            else
            {
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var scalar) || double.IsNaN(scalar) || double.IsInfinity(scalar) || scalar < 0)
                { error = $"'{value}' in '{raw}' is not a non-negative number"; return false; }
                list.Add(Resource.OfScalar(head, scalar, role));
            }
        }
        resources = From(list);
        return true;

        static bool Add(List<ValueRange> ranges, long b, long e) { ranges.Add(new ValueRange(b, e)); return true; }
    }
}
