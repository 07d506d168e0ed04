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

/// <summary>
/// A sorted array of nodes with a parallel array of their handles, so a flat sorter's order is a span with no copying.
/// A node whose key changed moves by shifting only the entries between its old and new place (usually a few).
/// </summary>
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
        var i = LowerBound(node, 0, Count);
        Shift(i, i + 1, Count - i);
        _items[i] = node;
        _handles[i] = node.Handle;
        Count++;
    }

    /// <summary>Position of the node, found by its stored key (call before changing the key).</summary>
    public int IndexOf(SorterNode node)
    {
        var i = LowerBound(node, 0, Count);
        while (i < Count && !ReferenceEquals(_items[i], node)) i++;
        return i < Count ? i : Array.IndexOf(_items, node, 0, Count);
    }

    public void Remove(SorterNode node)
    {
        var i = IndexOf(node);
        if (i < 0) return;
        Count--;
        Shift(i + 1, i, Count - i);
        _items[Count] = null!;
    }

    /// <summary>Restores order after the key of the node at <paramref name="index"/> changed.</summary>
    public void Moved(int index)
    {
        var node = _items[index];
        int target;
        if (index + 1 < Count && SorterNode.Compare(_items[index + 1], node) < 0)
        {
            target = LowerBound(node, index + 1, Count) - 1;
            Shift(index + 1, index, target - index);
        }
        else if (index > 0 && SorterNode.Compare(_items[index - 1], node) > 0)
        {
            target = LowerBound(node, 0, index);
            Shift(target, target + 1, index - target);
        }
        else return;
        _items[target] = node;
        _handles[target] = node.Handle;
    }

    private void Shift(int from, int to, int length)
    {
        if (length <= 0) return;
        if (length < 16)
        {
            // Short moves element by element: cheaper than Array.Copy's setup and its write-barrier bulk move.
            if (to > from) for (var k = length - 1; k >= 0; k--) { _items[to + k] = _items[from + k]; _handles[to + k] = _handles[from + k]; }
            else for (var k = 0; k < length; k++) { _items[to + k] = _items[from + k]; _handles[to + k] = _handles[from + k]; }
            return;
        }
        Array.Copy(_items, from, _items, to, length);
        Array.Copy(_handles, from, _handles, to, length);
    }

    public void Resort()
    {
        Array.Sort(_items, 0, Count, Comparer<SorterNode>.Create(SorterNode.Compare));
        for (var i = 0; i < Count; i++) _handles[i] = _items[i].Handle;
    }

    private int LowerBound(SorterNode node, int lo, int hi)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (SorterNode.Compare(_items[mid], node) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
