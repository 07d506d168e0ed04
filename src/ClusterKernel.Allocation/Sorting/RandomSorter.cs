namespace ClusterKernel.Allocation.Sorting;

/// <summary>
/// Mesos' RandomSorter: a weighted random order on every sort (Efraimidis–Spirakis keys -ln(u)/weight), seeded so a run
/// can be replayed. Allocations are tracked only so <see cref="Share"/> can be reported.
/// </summary>
public sealed class RandomSorter : ISorter
{
    private readonly SorterContext _ctx;
    private readonly Random _random;
    private readonly List<string?> _names = new();
    private readonly List<double[]> _allocated = new();
    private readonly List<bool> _active = new();
    private readonly Dictionary<string, int> _handles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _weights = new(StringComparer.Ordinal);
    private int[] _order = new int[16];
    private double[] _keys = new double[16];

    public RandomSorter(SorterContext context, int seed) { _ctx = context; _random = new Random(seed); }

    public int Add(string name)
    {
        if (_handles.TryGetValue(name, out var h)) return h;
        h = _names.Count;
        _names.Add(name);
        _allocated.Add(new double[_ctx.Totals.Length]);
        _active.Add(false);
        _handles[name] = h;
        return h;
    }

    public void Remove(int client) { _handles.Remove(_names[client]!); _names[client] = null; _active[client] = false; }
    public void Activate(int client) => _active[client] = true;
    public void Deactivate(int client) => _active[client] = false;
    public void UpdateWeight(string name, double weight) => _weights[name] = weight;

    public void Allocated(int client, ReadOnlySpan<double> amounts) { var a = _allocated[client]; for (var i = 0; i < amounts.Length; i++) a[i] += amounts[i]; }
    public void Unallocated(int client, ReadOnlySpan<double> amounts) { var a = _allocated[client]; for (var i = 0; i < amounts.Length; i++) a[i] = Math.Max(0, a[i] - amounts[i]); }

    public ReadOnlySpan<int> Sort()
    {
        if (_order.Length < _names.Count) { _order = new int[_names.Count * 2]; _keys = new double[_names.Count * 2]; }
        var n = 0;
        for (var i = 0; i < _names.Count; i++)
        {
            if (!_active[i]) continue;
            var w = Weight(_names[i]!);
            _order[n] = i;
            _keys[n] = -Math.Log(1.0 - _random.NextDouble()) / (w > 0 ? w : 1e-9);
            n++;
        }
        Array.Sort(_keys, _order, 0, n);
        return _order.AsSpan(0, n);
    }

    private double Weight(string name)
    {
        // A nested role inherits the weight of its nearest weighted ancestor for this purpose.
        for (var r = name; r != null; r = ClusterKernel.Resources.Roles.Parent(r))
            if (_weights.TryGetValue(r, out var w)) return w;
        return 1.0;
    }

    public double Share(int client) => _ctx.DominantShare(_allocated[client]) / Weight(_names[client]!);
    public string Name(int client) => _names[client]!;
}
