namespace ClusterKernel.Resources;

/// <summary>
/// What an offer operation does to an agent's resources (Mesos' ResourceConversion): <see cref="Consumed"/> leaves the agent's
/// total and <see cref="Converted"/> takes its place — the same quantities, reserved, unreserved, or made a volume.
/// </summary>
public sealed record ResourceConversion(Resources Consumed, Resources Converted)
{
    /// <summary>The bag with the conversion applied, or null when it does not hold <see cref="Consumed"/>.</summary>
    public Resources? ApplyTo(Resources bag) => bag.Contains(Consumed) ? bag - Consumed + Converted : null;
}

/// <summary>
/// RESERVE, UNRESERVE, CREATE and DESTROY as pure rules (Mesos' validation::operation and Resources::apply): each Validate
/// returns an error message or null, each conversion says what becomes what. Dynamic reservations push a DYNAMIC level on
/// the reservation stack (refinement: each level's role a descendant of the one below); unreserve pops the top level.
/// </summary>
public static class ResourceOperations
{
    /// <summary>RESERVE: every resource's top reservation is DYNAMIC, for a valid role other than "*", refining the one below;
    /// for a framework, that role is one of <paramref name="frameworkRoles"/> (or below one) and refinement needs RESERVATION_REFINEMENT.</summary>
    public static string? ValidateReserve(Resources resources, string? principal, IReadOnlyCollection<string>? frameworkRoles, bool refinementAllowed)
    {
        if (resources.IsEmpty) return "RESERVE names no resources";
        foreach (var r in resources)
        {
            if (r.Reservations.Count == 0 || r.Reservations[^1].Type != ReservationInfo.Dynamic)
                return $"Resource {r} is not dynamically reserved: its last reservation must be of type DYNAMIC";
            if (r.IsPersistentVolume) return $"Resource {r} is a persistent volume and cannot be reserved";
            if (r.Revocable) return $"Resource {r} is revocable and cannot be reserved";
            var top = r.Reservations[^1];
            if (top.Role == Roles.Any || !Roles.IsValid(top.Role)) return $"Invalid reservation role '{top.Role}': '*' cannot be reserved";
            for (var i = 1; i < r.Reservations.Count; i++)
            {
                var below = r.Reservations[i - 1].Role;
                var role = r.Reservations[i].Role;
                if (role == below || !Roles.IsSelfOrAncestor(below, role))
                    return $"Reservation of {r} to role '{role}' does not refine '{below}' (it must be a descendant of it)";
            }
            if (r.Reservations.Count > 1 && !refinementAllowed)
                return $"Resource {r} refines a reservation, which needs the RESERVATION_REFINEMENT capability";
            if (principal is not null && top.Principal is { } p && p != principal)
                return $"Reservation principal '{p}' does not match the framework's principal '{principal}'";
            if (frameworkRoles is not null && !frameworkRoles.Any(fr => Roles.IsSelfOrAncestor(fr, top.Role)))
                return $"Reservation role '{top.Role}' is not one of the framework's roles ({string.Join(", ", frameworkRoles)})";
        }
        return null;
    }

    public static ResourceConversion Reserve(Resources resources) => new(Resources.From(resources.Select(PopReservation)), resources);

    /// <summary>UNRESERVE: dynamically reserved resources that are not persistent volumes (destroy those first).</summary>
    public static string? ValidateUnreserve(Resources resources)
    {
        if (resources.IsEmpty) return "UNRESERVE names no resources";
        foreach (var r in resources)
        {
            if (!r.IsDynamicallyReserved) return $"Resource {r} is not dynamically reserved";
            if (r.IsPersistentVolume) return $"Resource {r} is a persistent volume: DESTROY it before unreserving";
        }
        return null;
    }

    public static ResourceConversion Unreserve(Resources resources) => new(resources, Resources.From(resources.Select(PopReservation)));

    /// <summary>CREATE: reserved disk with a persistence id and a relative container path, ids not already in use on the agent.</summary>
    public static string? ValidateCreate(Resources volumes, Resources agentTotal, string? principal)
    {
        if (volumes.IsEmpty) return "CREATE names no volumes";
        var ids = new HashSet<string>();
        var existing = agentTotal.Where(r => r.IsPersistentVolume).Select(r => r.Disk!.PersistenceId!).ToHashSet();
        foreach (var v in volumes)
        {
            if (v.Name != "disk" || v.Type != ValueType.Scalar) return $"Resource {v} is not disk: only disk can hold a persistent volume";
            if (v.Disk?.PersistenceId is not { Length: > 0 } id) return $"Resource {v} has no disk.persistence.id";
            if (!IsValidId(id)) return $"Persistence id '{id}' may only hold letters, digits, '-', '_' and '.'";
            if (!v.IsReserved) return $"Persistent volume {id} is not reserved: volumes need reserved disk";
            if (v.Revocable) return $"Persistent volume {id} is revocable";
            if (v.Disk.ContainerPath is not { Length: > 0 } path) return $"Persistent volume {id} has no disk.volume.container_path";
            if (path.StartsWith('/') || path.Split('/').Contains("..")) return $"Persistent volume {id}: container_path '{path}' must be relative, inside the sandbox";
            if (v.Disk.Mode is not ("RW" or "RO")) return $"Persistent volume {id}: mode must be RW or RO";
            if (principal is not null && v.Disk.Principal is { } p && p != principal)
                return $"Persistent volume {id}: principal '{p}' does not match the framework's principal '{principal}'";
            if (!ids.Add(id) || existing.Contains(id)) return $"Persistence id '{id}' is already in use on this agent";
        }
        return null;
    }

    public static ResourceConversion Create(Resources volumes) => new(Resources.From(volumes.Select(v => v with { Disk = null })), volumes);

    /// <summary>DESTROY: persistent volumes; the caller checks that no running task uses them.</summary>
    public static string? ValidateDestroy(Resources volumes)
    {
        if (volumes.IsEmpty) return "DESTROY names no volumes";
        foreach (var v in volumes) if (!v.IsPersistentVolume) return $"Resource {v} is not a persistent volume";
        return null;
    }

    public static ResourceConversion Destroy(Resources volumes) => new(volumes, Resources.From(volumes.Select(v => v with { Disk = null })));

    /// <summary>The resource with its top reservation level removed: refined to the parent level, or unreserved.</summary>
    public static Resource PopReservation(Resource r)
    {
        var stack = r.Stack;
        if (stack.Count <= 1) return r with { Role = Resource.Unreserved, Reservations = Array.Empty<ReservationInfo>() };
        var rest = stack.Take(stack.Count - 1).ToArray();
        // A lone static level is written the short way ("cpus(ads)"), as the agent declares it.
        return rest.Length == 1 && rest[0].Type == ReservationInfo.StaticType
            ? r with { Role = rest[0].Role, Reservations = Array.Empty<ReservationInfo>() }
            : r with { Role = rest[^1].Role, Reservations = rest };
    }

    /// <summary>What the registry keeps per agent: dynamically reserved resources and persistent volumes.</summary>
    public static Resources Checkpointed(Resources total) =>
        total.Where(r => r.IsPersistentVolume || r.Reservations.Any(x => x.Type == ReservationInfo.Dynamic));

    /// <summary>An agent's total as the master sees it: what the agent declares, with the checkpointed reservations and volumes
    /// carved out of it (each takes the place of its statically reserved or unreserved base). Ones that no longer fit are skipped.</summary>
    public static Resources ApplyCheckpointed(Resources declared, Resources checkpointed)
    {
        var total = declared;
        foreach (var r in checkpointed)
        {
            var basis = r with { Disk = null, Reservations = Array.Empty<ReservationInfo>(), Role = StaticBase(r) };
            if (total.Contains(Resources.Of(basis))) total = total - Resources.Of(basis) + Resources.Of(r);
        }
        return total;
    }

    private static string StaticBase(Resource r)
    {
        var statics = r.Stack.TakeWhile(x => x.Type == ReservationInfo.StaticType).ToList();
        return statics.Count == 0 ? Resource.Unreserved : statics[^1].Role;
    }

    private static bool IsValidId(string id) => id.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.') && id is not ("." or "..");
}
