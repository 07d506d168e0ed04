using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework;

/// <summary>
/// Carves scalar resources (cpus, mem, disk) for one task out of what remains of an offer, so several tasks can share
/// one offer. Resources reserved for the offer's role (or an ancestor) are used before unreserved ones, so
/// reservations are not left idle while shared resources are taken.
/// </summary>
public static class OfferFit
{
    public static Res? TryTake(Res remaining, string allocationRole, IReadOnlyDictionary<string, double> wanted)
    {
        var taken = new List<Resource>();
        foreach (var (name, amount) in wanted)
        {
            var need = Resource.Round(amount);
            if (need <= 0) continue;
            var candidates = remaining
                .Where(r => r.Name == name && r.Type == ClusterKernel.Resources.ValueType.Scalar && !r.Revocable && !r.IsPersistentVolume)
                .Where(r => !r.IsReserved || Roles.IsSelfOrAncestor(r.Role, allocationRole))
                .OrderBy(r => r.IsReserved ? 0 : 1);
            foreach (var r in candidates)
            {
                if (need <= 1e-9) break;
                var take = Math.Min(r.Scalar, need);
                taken.Add(r with { Scalar = Resource.Round(take) }); // keeps a dynamic reservation's stack, so the launch matches it
                need = Resource.Round(need - take);
            }
            if (need > 1e-9) return null;
        }
        return Res.From(taken);
    }

    /// <summary>The scalars a command asks for; disk only when positive, as Mesos leaves unset resources out.</summary>
    public static IReadOnlyDictionary<string, double> Wanted(CommandRequest request)
    {
        var d = new Dictionary<string, double> { ["cpus"] = request.Cpus, ["mem"] = request.MemMb };
        if (request.DiskMb > 0) d["disk"] = request.DiskMb;
        return d;
    }
}
