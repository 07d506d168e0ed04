using ClusterKernel.Allocation.Dense;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation;

// Offer operations that change resources in place (RESERVE, UNRESERVE, CREATE/DESTROY volume), as Mesos' updateAllocation.
public sealed partial class HierarchicalAllocator
{
    /// <summary>
    /// Part of what <paramref name="framework"/> holds on <paramref name="agentId"/> under <paramref name="role"/> changes form:
    /// <paramref name="consumed"/> becomes <paramref name="converted"/> (RESERVE: <c>cpus:2</c> → <c>cpus(ads):2</c>; UNRESERVE the
    /// reverse). The agent's total changes the same way and the framework keeps holding the converted resources (it goes on
    /// to launch on them or declines them), so shares and quota consumption follow: a reservation counts for its role.
    /// The caller validates the operation (Mesos' rules); here <paramref name="consumed"/> must be held and have the same
    /// scalar amounts as <paramref name="converted"/>.
    /// </summary>
    public void UpdateAllocation(FrameworkId framework, AgentId agentId, string role, Res consumed, Res converted, DateTimeOffset now)
    {
        var fw = Framework(framework);
        var agent = Agent(agentId);
        var fr = fw.Role(role) ?? throw new ArgumentException($"framework {framework} is not subscribed to role '{role}'");
        var total = ToResources(agent, agent.Pools.Select(p => (Bundle?)p.Total).ToArray(), new List<ClusterKernel.Resources.Resource>());
        if (!total.Contains(consumed)) throw new ArgumentException($"agent {agentId} does not have {consumed}");
        RecoverResources(framework, agentId, role, consumed, null, now);
        UpdateAgentTotal(agentId, total - consumed + converted);
        Track(fw, fr, agent, ToPools(agent, converted), fromFree: true, owned: true);
    }
}
