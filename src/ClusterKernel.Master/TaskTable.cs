using System.Collections;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

/// <summary>
/// A framework's live tasks by id (a dictionary to its users) that also keeps their published <see cref="TaskView"/>s in
/// fixed-size chunks: a task that changes marks only its chunk dirty, and publishing the state rebuilds only dirty chunks and
/// shares the others with the previous snapshot. So /state at 100,000 tasks costs the master's thread a copy of the chunk
/// references (and the dirty chunks), not a walk over every task's entry.
/// </summary>
public sealed class TaskTable : IReadOnlyDictionary<TaskId, TaskEntry>
{
    internal const int ChunkSize = 512;
    private readonly Dictionary<TaskId, TaskEntry> _byId = new();
    /// <summary>Every task in a slot; removal moves the last one into the hole, so slots stay dense.</summary>
    private readonly List<TaskEntry> _slots = new();
    /// <summary>Published (immutable once handed out) views per chunk; null = dirty, rebuilt on the next publish.</summary>
    private readonly List<TaskView[]?> _chunks = new();

    public int Count => _byId.Count;
    public TaskEntry this[TaskId id]
    {
        get => _byId[id];
        set
        {
            if (_byId.TryGetValue(id, out var old))
            {
                if (ReferenceEquals(old, value)) return;
                value.Slot = old.Slot;
                old.Table = null;
                _slots[value.Slot] = value;
            }
            else
            {
                value.Slot = _slots.Count;
                _slots.Add(value);
                if (_chunks.Count * ChunkSize < _slots.Count) _chunks.Add(null);
            }
            value.Table = this;
            _byId[id] = value;
            MarkDirty(value.Slot);
        }
    }

    public void Add(TaskId id, TaskEntry entry)
    {
        if (_byId.ContainsKey(id)) throw new ArgumentException($"Task {id} is already in the table");
        this[id] = entry;
    }

    public bool Remove(TaskId id) => Remove(id, out _);

    public bool Remove(TaskId id, out TaskEntry entry)
    {
        if (!_byId.Remove(id, out entry!)) return false;
        var hole = entry.Slot;
        var last = _slots.Count - 1;
        if (hole != last)
        {
            var moved = _slots[last];
            _slots[hole] = moved;
            moved.Slot = hole;
        }
        _slots.RemoveAt(last);
        MarkDirty(hole);
        MarkDirty(last);
        if ((_chunks.Count - 1) * ChunkSize >= _slots.Count && _chunks.Count > 0) _chunks.RemoveAt(_chunks.Count - 1);
        entry.Table = null;
        entry.Slot = -1;
        return true;
    }

    internal void MarkDirty(int slot)
    {
        var chunk = slot / ChunkSize;
        if (slot >= 0 && chunk < _chunks.Count) _chunks[chunk] = null;
    }

    /// <summary>Appends every task's view to <paramref name="into"/>, rebuilding only the chunks that changed since the last call.</summary>
    internal void Publish(List<TaskView[]> into)
    {
        for (var c = 0; c < _chunks.Count; c++)
        {
            if (_chunks[c] is not { } views)
            {
                var from = c * ChunkSize;
                views = new TaskView[Math.Min(ChunkSize, _slots.Count - from)];
                for (var i = 0; i < views.Length; i++) views[i] = _slots[from + i].CurrentView();
                _chunks[c] = views;
            }
            into.Add(views);
        }
    }

    public bool ContainsKey(TaskId id) => _byId.ContainsKey(id);
    public bool TryGetValue(TaskId id, out TaskEntry value) => _byId.TryGetValue(id, out value!);
    public Dictionary<TaskId, TaskEntry>.KeyCollection Keys => _byId.Keys;
    public Dictionary<TaskId, TaskEntry>.ValueCollection Values => _byId.Values;
    IEnumerable<TaskId> IReadOnlyDictionary<TaskId, TaskEntry>.Keys => _byId.Keys;
    IEnumerable<TaskEntry> IReadOnlyDictionary<TaskId, TaskEntry>.Values => _byId.Values;
    public Dictionary<TaskId, TaskEntry>.Enumerator GetEnumerator() => _byId.GetEnumerator();
    IEnumerator<KeyValuePair<TaskId, TaskEntry>> IEnumerable<KeyValuePair<TaskId, TaskEntry>>.GetEnumerator() => _byId.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => _byId.GetEnumerator();
}
