namespace ClusterKernel.Allocation.Sorting;

/// <summary>
/// Fair-sharing policy, as Mesos' Sorter: clients (roles or frameworks) with allocations, sorted best-first.
/// Amounts are dense scalar vectors indexed by the allocator's resource schema (<see cref="SorterContext"/>).
/// Inactive clients keep counting for their ancestors' shares but are never returned by <see cref="Sort"/>.
/// </summary>
public interface ISorter
{
    /// <summary>Adds a client (inactive) and returns its handle; adding an existing name returns the same handle.</summary>
    int Add(string name);
    void Remove(int client);
    void Activate(int client);
    void Deactivate(int client);
    void UpdateWeight(string name, double weight);
    void Allocated(int client, ReadOnlySpan<double> amounts);
    void Unallocated(int client, ReadOnlySpan<double> amounts);
    /// <summary>Active clients, the one to serve first at index 0. Valid until the sorter is next changed.</summary>
    ReadOnlySpan<int> Sort();
    /// <summary>Weighted dominant share of a client (for tests and metrics).</summary>
    double Share(int client);
    string Name(int client);
}
