namespace ClusterKernel.Allocation.State;

/// <summary>One framework role's compiled offer constraints, with each agent's answer remembered (an agent's hostname and
/// attributes do not change while it is registered), so a regex runs once per agent, not once per cycle.</summary>
internal sealed class AgentConstraint(Func<string, IReadOnlyDictionary<string, string>, bool> accepts)
{
    private readonly Dictionary<AgentState, bool> _results = new(ReferenceEqualityComparer.Instance);

    public bool Accepts(AgentState agent)
    {
        if (!_results.TryGetValue(agent, out var ok)) _results[agent] = ok = accepts(agent.Hostname, agent.Attributes);
        return ok;
    }

    public void Forget(AgentState agent) => _results.Remove(agent);
}
