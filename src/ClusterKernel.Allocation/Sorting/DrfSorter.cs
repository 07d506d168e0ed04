namespace ClusterKernel.Allocation.Sorting;

/// <summary>
/// Dominant Resource Fairness (Mesos' DRFSorter): clients ordered by weighted dominant share, then allocation count, then name.
/// Incremental: a change to one client repositions it (and its ancestors) in sorted arrays, so sorting costs nothing
/// until the cluster totals change. Hierarchical mode treats '/' in names as role nesting (siblings compete by subtree share).
/// </summary>
public sealed class DrfSorter : ISorter
{
    private readonly SorterContext _ctx;
    private readonly bool _hierarchical;
    private readonly SorterNode _root;
    /// <summary>Every node by id; leaves' ids are their client handles.</summary>
    private readonly List<SorterNode?> _clients = new();
    private readonly Stack<int> _freeHandles = new();
    private readonly Dictionary<string, int> _handles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _weights = new(StringComparer.Ordinal);
    private readonly List<SorterNode> _all = new();
    private int[] _order = new int[16];
    private int _orderCount;
    private bool _orderDirty = true;
    private bool _hasInternal;
    private long _totalsVersion = -1;

    public DrfSorter(SorterContext context, bool hierarchical)
    {
        _ctx = context;
        _hierarchical = hierarchical;
        _root = new SorterNode("", null, context.Totals.Length) { Kids = new SortedNodes(_clients), Children = new(), Id = -1 };
    }

    public int Add(string name)
    {
        if (_handles.TryGetValue(name, out var existing)) return existing;
        var parent = _root;
        var key = name;
        if (_hierarchical)
        {
            // Internal nodes only for proper prefixes; flat role names stay leaves of the root, so sorting them is free.
            for (var slash = name.IndexOf('/'); slash >= 0; slash = name.IndexOf('/', slash + 1))
                parent = Child(parent, name[..slash]);
            if (parent.Children!.TryGetValue(name, out var node) && node.Handle < 0) { parent = node; key = "."; }
        }
        var leaf = new SorterNode(name, parent, _ctx.Totals.Length) { Weight = _weights.GetValueOrDefault(name, 1.0), Key = key };
        var handle = NewId(leaf);
        leaf.Handle = handle;
        parent.Children![key] = leaf;
        _handles[name] = handle;
        _all.Add(leaf);
        return handle;
    }

    private SorterNode Child(SorterNode parent, string path)
    {
        if (parent.Children!.TryGetValue(path, out var existing) && existing.Handle < 0) return existing;
        var node = new SorterNode(path, parent, _ctx.Totals.Length) { Kids = new SortedNodes(_clients), Children = new(), Weight = _weights.GetValueOrDefault(path, 1.0), Key = path };
        NewId(node);
        _all.Add(node);
        _hasInternal = true;
        parent.Children[path] = node;
        if (existing != null)
        {
            // A client becomes a parent: it moves under a new internal node that inherits its allocation and place.
            var listed = existing.ActiveLeaves > 0;
            if (listed) parent.Kids!.Remove(existing);
            existing.Allocated.CopyTo(node.Allocated, 0);
            node.Count = existing.Count;
            node.ActiveLeaves = existing.ActiveLeaves;
            existing.Parent = node;
            existing.Key = ".";
            node.Children["."] = existing;
            if (listed)
            {
                node.Share = ShareOf(node);
                parent.Kids!.Insert(node);
                node.Kids.Insert(existing);
            }
            _orderDirty = true;
        }
        return node;
    }

    private int NewId(SorterNode node)
    {
        var id = _freeHandles.Count > 0 ? _freeHandles.Pop() : _clients.Count;
        node.Id = id;
        if (id == _clients.Count) _clients.Add(node); else _clients[id] = node;
        return id;
    }

    public void Remove(int client)
    {
        var leaf = _clients[client] ?? throw new ArgumentException($"unknown client {client}");
        Deactivate(client);
        Unallocated(client, leaf.Allocated.ToArray());
        leaf.Parent!.Children!.Remove(leaf.Key);
        _all.Remove(leaf);
        _handles.Remove(leaf.Name);
        _clients[client] = null;
        _freeHandles.Push(client);
    }

    public void Activate(int client)
    {
        var leaf = _clients[client]!;
        if (leaf.Active) return;
        leaf.Active = true;
        for (var n = leaf; n.Parent != null; n = n.Parent)
        {
            if (n.ActiveLeaves++ == 0)
            {
                n.Share = ShareOf(n);
                n.Parent.Kids!.Insert(n);
            }
        }
        _orderDirty = true;
    }

    public void Deactivate(int client)
    {
        var leaf = _clients[client]!;
        if (!leaf.Active) return;
        leaf.Active = false;
        for (var n = leaf; n.Parent != null; n = n.Parent)
            if (--n.ActiveLeaves == 0) n.Parent.Kids!.Remove(n);
        _orderDirty = true;
    }

    public void UpdateWeight(string name, double weight)
    {
        _weights[name] = weight;
        foreach (var n in _all)
            if (n.Name == name) Reposition(n, () => n.Weight = weight);
        _orderDirty = true;
    }

    public void Allocated(int client, ReadOnlySpan<double> amounts) => Change(client, amounts, +1);
    public void Unallocated(int client, ReadOnlySpan<double> amounts) => Change(client, amounts, -1);

    private void Change(int client, ReadOnlySpan<double> amounts, int sign)
    {
        for (var n = _clients[client]!; n.Parent != null; n = n.Parent)
        {
            var at = n.ActiveLeaves > 0 ? n.Parent.Kids!.IndexOf(n) : -1;
            for (var i = 0; i < amounts.Length; i++) n.Allocated[i] = Math.Max(0, n.Allocated[i] + sign * amounts[i]);
            if (sign > 0) n.Count++;
            n.Share = ShareOf(n);
            if (at >= 0) n.Parent.Kids!.Moved(at);
        }
        _orderDirty = true;
    }

    private void Reposition(SorterNode n, Action change)
    {
        var listed = n.ActiveLeaves > 0 && n.Parent != null;
        if (listed) n.Parent!.Kids!.Remove(n);
        change();
        n.Share = ShareOf(n);
        if (listed) n.Parent!.Kids!.Insert(n);
    }

    private double ShareOf(SorterNode n) => _ctx.DominantShare(n.Allocated) / (n.Weight > 0 ? n.Weight : 1e-9);

    public ReadOnlySpan<int> Sort()
    {
        if (_totalsVersion != _ctx.Version)
        {
            // Totals moved (an agent came or went): every share is stale. Recompute and resort each list once.
            _totalsVersion = _ctx.Version;
            foreach (var n in _all) n.Share = ShareOf(n);
            foreach (var n in _all) n.Kids?.Resort();
            _root.Kids!.Resort();
            _orderDirty = true;
        }
        if (!_hierarchical || !_hasInternal) return _root.Kids!.Handles;
        if (_orderDirty)
        {
            _orderCount = 0;
            Collect(_root);
            _orderDirty = false;
        }
        return _order.AsSpan(0, _orderCount);
    }

    private void Collect(SorterNode node)
    {
        var kids = node.Kids!;
        for (var i = 0; i < kids.Count; i++)
        {
            var k = kids[i];
            if (k.Handle >= 0)
            {
                if (_orderCount == _order.Length) Array.Resize(ref _order, _order.Length * 2);
                _order[_orderCount++] = k.Handle;
            }
            else Collect(k);
        }
    }

    public double Share(int client)
    {
        var leaf = _clients[client]!;
        return ShareOf(leaf.Key == "." ? leaf.Parent! : leaf);
    }

    public string Name(int client) => _clients[client]!.Name;
}
