using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Allocation.Tests;

/// <summary>Mesos' offer constraints: per framework role, only agents that satisfy one of its groups are offered.</summary>
public sealed class OfferConstraintsTests
{
    private static readonly IReadOnlyDictionary<AgentId, Res> NoUse = new Dictionary<AgentId, Res>();
    private static readonly IReadOnlyDictionary<FrameworkId, Res> NoFwUse = new Dictionary<FrameworkId, Res>();

    private static OfferConstraints Rack(string role, string rack) => new(new Dictionary<string, IReadOnlyList<AttributeConstraintGroup>>
    {
        [role] = new[] { new AttributeConstraintGroup(new[] { new AttributeConstraint("rack", null, AttributePredicateKind.TextEquals, rack) }) },
    });

    private static void AgentOnRack(Cluster c, string name, string? rack)
    {
        var attrs = rack is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["rack"] = rack };
        var total = Cluster.R("cpus:4;mem:1024");
        c.Allocator.AddAgent(new AgentId(name), new AgentInfo { Hostname = name, Resources = total, Attributes = attrs }, total, NoFwUse);
    }

    [Fact]
    public void An_agent_on_rack_a_is_offered_one_on_rack_b_or_without_the_attribute_is_not()
    {
        var c = new Cluster();
        var fw = new FrameworkId("f");
        c.Allocator.AddFramework(fw, new FrameworkInfo { Name = "f", Roles = new[] { "web" }, OfferConstraints = Rack("web", "a") }, NoUse, active: true);
        AgentOnRack(c, "s-a", "a");
        AgentOnRack(c, "s-b", "b");
        AgentOnRack(c, "s-none", null);

        var grant = Assert.Single(c.Allocate());
        Assert.Equal(new AgentId("s-a"), grant.Agent);
        Assert.Empty(c.Allocate());

        // Another framework without constraints gets the agents this one may not have.
        var other = c.Framework("other", "web");
        Assert.Equal(new[] { "s-b", "s-none" }, c.Allocate().Where(g => g.Framework == other).Select(g => g.Agent.Value).Order());

        // UPDATE_FRAMEWORK without constraints lifts them: what it returns and later agents are offered to it again.
        c.Allocator.UpdateFramework(fw, new FrameworkInfo { Name = "f", Roles = new[] { "web" } });
        AgentOnRack(c, "s-c", "c");
        Assert.Contains(c.Allocate(), g => g.Framework == fw && g.Agent.Value == "s-c");
    }

    [Fact]
    public void Groups_are_ORed_constraints_in_a_group_ANDed_and_other_roles_are_unconstrained()
    {
        var constraints = new OfferConstraints(new Dictionary<string, IReadOnlyList<AttributeConstraintGroup>>
        {
            ["web"] = new[]
            {
                new AttributeConstraintGroup(new[]
                {
                    new AttributeConstraint("rack", null, AttributePredicateKind.TextMatches, "a|b"),
                    new AttributeConstraint("gpu", null, AttributePredicateKind.NotExists),
                }),
                new AttributeConstraintGroup(new[] { new AttributeConstraint(null, Pseudoattribute.Hostname, AttributePredicateKind.TextEquals, "special") }),
            },
        });
        Assert.Null(constraints.Validate(new[] { "web", "batch" }));
        var accepts = constraints.Compile()["web"];
        Assert.True(accepts("h", new Dictionary<string, string> { ["rack"] = "a" }));
        Assert.False(accepts("h", new Dictionary<string, string> { ["rack"] = "ab" })); // the regex matches the whole value
        Assert.False(accepts("h", new Dictionary<string, string> { ["rack"] = "b", ["gpu"] = "1" }));
        Assert.True(accepts("special", new Dictionary<string, string>()));
        Assert.False(constraints.Compile().ContainsKey("batch"));

        Assert.Contains("not subscribed", constraints.Validate(new[] { "batch" }));
        var bad = new OfferConstraints(new Dictionary<string, IReadOnlyList<AttributeConstraintGroup>>
        {
            ["web"] = new[] { new AttributeConstraintGroup(new[] { new AttributeConstraint("rack", null, AttributePredicateKind.TextMatches, "(") }) },
        });
        Assert.Contains("invalid regex", bad.Validate(new[] { "web" }));
    }

    [Fact]
    public void Missing_attributes_fail_the_positive_predicates_and_pass_the_negative_ones()
    {
        var none = new Dictionary<string, string>();
        bool Eval(AttributePredicateKind k, string? v = null) => new AttributeConstraint("rack", null, k, v).Compile()("h", none);
        Assert.False(Eval(AttributePredicateKind.Exists));
        Assert.True(Eval(AttributePredicateKind.NotExists));
        Assert.False(Eval(AttributePredicateKind.TextEquals, "a"));
        Assert.True(Eval(AttributePredicateKind.TextNotEquals, "a"));
        Assert.False(Eval(AttributePredicateKind.TextMatches, ".*"));
        Assert.True(Eval(AttributePredicateKind.TextNotMatches, ".*"));
        // REGION/ZONE: ClusterKernel agents have no fault domain.
        Assert.False(new AttributeConstraint(null, Pseudoattribute.Zone, AttributePredicateKind.Exists).Compile()("h", none));
    }
}
