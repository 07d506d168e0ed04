namespace ClusterKernel.Allocation.Sorting;

/// <summary>
/// A node of a sorter's tree. Internal nodes stand for role paths ("eng", "eng/web"); leaves are clients. A client that is
/// also a parent ("eng" with frameworks and a child role "eng/web") is a leaf under its own internal node, as Mesos' virtual leaf.
/// </summary>
internal sealed class SorterNode
{
    public SorterNode(string name, SorterNode? parent, int capacity) { Name = name; Parent = parent; Allocated = new double[capacity]; }

    public string Name { get; }
    public SorterNode? Parent { get; }
    public int Handle = -1;
    public readonly double[] Allocated;
    public long Count;
    public double Weight = 1;
    /// <summary>Sort key, cached: the list a node sits in is ordered by these stored values.</summary>
    public double Share;
    public bool Active;
    /// <summary>Active leaves at or below this node; a node sits in its parent's list only while this is positive.</summary>
    public int ActiveLeaves;
    public SortedNodes? Kids;
    public Dictionary<string, SorterNode>? Children;

    public static int Compare(SorterNode a, SorterNode b)
    {
        var c = a.Share.CompareTo(b.Share);
        if (c != 0) return c;
        c = a.Count.CompareTo(b.Count);
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    }
}

/// <summary>A sorted array of nodes with a parallel array of their handles, so a flat sorter's order is a span with no copying.</summary>
internal sealed class SortedNodes
{
    private SorterNode[] _items = new SorterNode[8];
    private int[] _handles = new int[8];

    public int Count { get; private set; }
    public SorterNode this[int i] => _items[i];
    public ReadOnlySpan<int> Handles => _handles.AsSpan(0, Count);

    public void Insert(SorterNode node)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
            Array.Resize(ref _handles, Count * 2);
        }
        var i = LowerBound(node);
        Array.Copy(_items, i, _items, i + 1, Count - i);
        Array.Copy(_handles, i, _handles, i + 1, Count - i);
        _items[i] = node;
        _handles[i] = node.Handle;
        Count++;
    }

    public void Remove(SorterNode node)
    {
        var i = LowerBound(node);
        while (i < Count && !ReferenceEquals(_items[i], node)) i++;
        if (i == Count) i = Array.IndexOf(_items, node, 0, Count); // keys changed under us (should not happen); fall back to a scan
        if (i < 0) return;
        Count--;
        Array.Copy(_items, i + 1, _items, i, Count - i);
        Array.Copy(_handles, i + 1, _handles, i, Count - i);
        _items[Count] = null!;
    }

    public void Resort()
    {
        Array.Sort(_items, 0, Count, Comparer<SorterNode>.Create(SorterNode.Compare));
        for (var i = 0; i < Count; i++) _handles[i] = _items[i].Handle;
    }

    private int LowerBound(SorterNode node)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (SorterNode.Compare(_items[mid], node) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
