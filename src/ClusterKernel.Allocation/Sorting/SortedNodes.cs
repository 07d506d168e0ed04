namespace ClusterKernel.Allocation.Sorting;

/// <summary>
/// A node of a sorter's tree. Internal nodes stand for role paths that have children ("eng" when "eng/web" exists); leaves
/// are clients. A client that is also a parent is a leaf "." under its own internal node, as Mesos' virtual leaf.
/// </summary>
internal sealed class SorterNode
{
    public SorterNode(string name, SorterNode? parent, int capacity) { Name = name; Parent = parent; Allocated = new double[capacity]; }

    public string Name { get; }
    public SorterNode? Parent { get; set; }
    /// <summary>Its key in the parent's Children: the name, or "." for a client that is also a parent (Mesos' virtual leaf).</summary>
    public string Key = "";
    public int Handle = -1;
    /// <summary>Index in the sorter's node table; equals <see cref="Handle"/> for leaves.</summary>
    public int Id;
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
/// A sorted array of node ids (ints: moving them needs no GC write barriers). Leaf ids are client handles, so a flat
/// sorter's order is this array itself, returned as a span with no copying. A node whose key changed moves by shifting
/// only the entries between its old and new place.
/// </summary>
internal sealed class SortedNodes
{
    private readonly List<SorterNode?> _table;
    private int[] _ids = new int[8];

    public SortedNodes(List<SorterNode?> table) => _table = table;

    public int Count { get; private set; }
    public SorterNode this[int i] => _table[_ids[i]]!;
    public ReadOnlySpan<int> Handles => _ids.AsSpan(0, Count);

    public void Insert(SorterNode node)
    {
        if (Count == _ids.Length) Array.Resize(ref _ids, Count * 2);
        var i = LowerBound(node, 0, Count);
        Array.Copy(_ids, i, _ids, i + 1, Count - i);
        _ids[i] = node.Id;
        Count++;
    }

    /// <summary>Position of the node, found by its stored key (call before changing the key).</summary>
    public int IndexOf(SorterNode node)
    {
        var i = LowerBound(node, 0, Count);
        while (i < Count && _ids[i] != node.Id) i++;
        return i < Count ? i : Array.IndexOf(_ids, node.Id, 0, Count);
    }

    public void Remove(SorterNode node)
    {
        var i = IndexOf(node);
        if (i < 0) return;
        Count--;
        Array.Copy(_ids, i + 1, _ids, i, Count - i);
    }

    /// <summary>Restores order after the key of the node at <paramref name="index"/> changed.</summary>
    public void Moved(int index)
    {
        var node = this[index];
        int target;
        if (index + 1 < Count && SorterNode.Compare(this[index + 1], node) < 0)
        {
            target = LowerBound(node, index + 1, Count) - 1;
            Array.Copy(_ids, index + 1, _ids, index, target - index);
        }
        else if (index > 0 && SorterNode.Compare(this[index - 1], node) > 0)
        {
            target = LowerBound(node, 0, index);
            Array.Copy(_ids, target, _ids, target + 1, index - target);
        }
        else return;
        _ids[target] = node.Id;
    }

    public void Resort()
    {
        var nodes = new SorterNode[Count];
        for (var i = 0; i < Count; i++) nodes[i] = this[i];
        Array.Sort(nodes, SorterNode.Compare);
        for (var i = 0; i < Count; i++) _ids[i] = nodes[i].Id;
    }

    private int LowerBound(SorterNode node, int lo, int hi)
    {
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (SorterNode.Compare(this[mid], node) < 0) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
