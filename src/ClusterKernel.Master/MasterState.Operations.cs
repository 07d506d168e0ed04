using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master;

// RESERVE, UNRESERVE, CREATE and DESTROY against offered resources (ACCEPT) or an agent's free resources (operator calls).
public sealed partial class MasterState
{
    /// <summary>Validates one operation of an ACCEPT against what is left of the offers and applies it to <paramref name="pool"/>
    /// and to the agent's total. Returns the error (nothing changed) or null.</summary>
    private static string? ApplyOperation(FrameworkEntry framework, AgentEntry agent, OfferOperation op, ref ResourceBag pool, List<ResourceConversion> conversions)
    {
        var info = framework.Info;
        var (error, conversion) = Validate(op, agent, info.Principal, info.Roles, info.Has(FrameworkCapabilities.ReservationRefinement));
        if (error is not null) return error;
        if (conversion!.ApplyTo(pool) is not { } converted)
            return $"{OperationType(op)} uses resources ({conversion.Consumed}) that the offers do not have left ({pool})";
        pool = converted;
        agent.Info = agent.Info with { Resources = conversion.ApplyTo(agent.Info.Resources) ?? agent.Info.Resources };
        conversions.Add(conversion);
        return null;
    }

    /// <summary>An operator's operation on an agent (no framework: any role, any principal). Error or the conversion.</summary>
    public (string? Error, ResourceConversion? Conversion) ValidateOperatorOperation(AgentId agentId, OfferOperation op) =>
        Agents.TryGetValue(agentId, out var agent)
            ? Validate(op, agent, principal: null, frameworkRoles: null, refinementAllowed: true)
            : ($"Agent {agentId} is not registered", null);

    private static (string? Error, ResourceConversion? Conversion) Validate(OfferOperation op, AgentEntry agent, string? principal,
        IReadOnlyCollection<string>? frameworkRoles, bool refinementAllowed)
    {
        switch (op)
        {
            case ReserveOperation r:
                return ResourceOperations.ValidateReserve(r.Resources, principal, frameworkRoles, refinementAllowed) is { } e1
                    ? (e1, null) : (null, ResourceOperations.Reserve(r.Resources));
            case UnreserveOperation u:
                return ResourceOperations.ValidateUnreserve(u.Resources) is { } e2 ? (e2, null) : (null, ResourceOperations.Unreserve(u.Resources));
            case CreateOperation c:
                return ResourceOperations.ValidateCreate(c.Volumes, agent.Info.Resources, principal) is { } e3
                    ? (e3, null) : (null, ResourceOperations.Create(c.Volumes));
            case DestroyOperation d:
                if (ResourceOperations.ValidateDestroy(d.Volumes) is { } e4) return (e4, null);
                return (null, ResourceOperations.Destroy(d.Volumes));
            default:
                return ($"Operation {op.GetType().Name} is not supported here", null);
        }
    }

    /// <summary>Persistent volumes that a live task on the agent uses (DESTROY must leave those alone).</summary>
    public ISet<string> VolumesInUse(AgentId agent) =>
        TasksOnAgent(agent).Where(t => !t.State.IsTerminal())
            .SelectMany(t => t.Info.Resources.Where(r => r.IsPersistentVolume).Select(r => r.Disk!.PersistenceId!)).ToHashSet();

    public static string OperationType(OfferOperation op) => op switch
    {
        LaunchOperation => "LAUNCH",
        ReserveOperation => "RESERVE",
        UnreserveOperation => "UNRESERVE",
        CreateOperation => "CREATE",
        DestroyOperation => "DESTROY",
        _ => op.GetType().Name,
    };

    public static string? OperationId(OfferOperation op) => op switch
    {
        ReserveOperation r => r.Id,
        UnreserveOperation u => u.Id,
        CreateOperation c => c.Id,
        DestroyOperation d => d.Id,
        _ => null,
    };
}
