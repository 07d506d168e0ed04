using ClusterKernel.Allocation.State;

namespace ClusterKernel.Allocation;

// Allocation candidates: agents that got resources back since the last cycle. A full cycle visits every agent and so clears them.
public sealed partial class HierarchicalAllocator : IIncrementalAllocator
{
    private readonly HashSet<AgentState> _recovered = new();
    private AgentState[] _recoveredOrder = Array.Empty<AgentState>();

    public int RecoveredAgents => _recovered.Count;

    public IReadOnlyList<OfferGrant> AllocateRecovered(DateTimeOffset now)
    {
        var grants = new List<OfferGrant>();
        var n = _recovered.Count;
        if (n == 0) return grants;
        if (_recoveredOrder.Length < n) _recoveredOrder = new AgentState[Math.Max(n, _recoveredOrder.Length * 2)];
        _recovered.CopyTo(_recoveredOrder);
        _recovered.Clear();
        // Shuffled as in a full cycle, so no agent is always first among the candidates.
        for (var i = n - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (_recoveredOrder[i], _recoveredOrder[j]) = (_recoveredOrder[j], _recoveredOrder[i]);
        }
        if (_anyQuota)
        {
            ComputeHeadroom();
            for (var i = 0; i < n && _unmetRoles != 0; i++) Visit(_recoveredOrder[i], now, stage1: true, grants);
        }
        for (var i = 0; i < n; i++) Visit(_recoveredOrder[i], now, stage1: false, grants);
        Array.Clear(_recoveredOrder, 0, n);
        return grants;
    }
}
