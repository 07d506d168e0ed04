using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>Small builders shared by the tests.</summary>
internal static class Samples
{
    public static readonly FrameworkId FrameworkId = new("fw-1");
    public static readonly AgentId AgentId = new("agent-1");

    public static Offer Offer(string id, string resources, string role = Roles.Any, string agent = "agent-1") => new()
    {
        Id = new OfferId(id),
        FrameworkId = FrameworkId,
        AgentId = new AgentId(agent),
        Hostname = agent + ".local",
        Resources = Res.Parse(resources),
        AllocationRole = role,
    };

    public static CommandRequest Command(string command = "echo hi", double cpus = 0.5, double mem = 64, double disk = 0, string? image = null) =>
        new(null, image, command, Array.Empty<string>(), true, cpus, mem, disk, null);
}
