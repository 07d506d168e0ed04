using System.Text.RegularExpressions;

namespace ClusterKernel;

/// <summary>
/// Mesos' scheduler.proto OfferConstraints (SUBSCRIBE and UPDATE_FRAMEWORK <c>offer_constraints</c>, Mesos 1.11): per role, the
/// agents the framework wants offers from. A role's groups are OR-ed, the attribute constraints within a group AND-ed; a role
/// without an entry is unconstrained. ClusterKernel keeps them on <see cref="FrameworkInfo.OfferConstraints"/> so they travel
/// and persist with the framework.
/// </summary>
public sealed record OfferConstraints(IReadOnlyDictionary<string, IReadOnlyList<AttributeConstraintGroup>> RoleConstraints)
{
    /// <summary>How long one text_matches may take on one attribute value (a hostile pattern must not stall the allocator).</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    /// <summary>Null when valid for a framework with <paramref name="roles"/>; else why not (as Mesos' validation: only subscribed
    /// roles, at least one group per role, at least one constraint per group, a selector and a predicate each, regexes that compile).</summary>
    public string? Validate(IReadOnlyList<string> roles)
    {
        foreach (var (role, groups) in RoleConstraints)
        {
            var p = $"offer_constraints.role_constraints[{role}]";
            if (!roles.Contains(role)) return $"{p}: the framework is not subscribed to role '{role}'";
            if (groups.Count == 0) return $"{p}: needs at least one group";
            for (var g = 0; g < groups.Count; g++)
            {
                if (groups[g].AttributeConstraints.Count == 0) return $"{p}.groups[{g}]: needs at least one attribute constraint";
                for (var c = 0; c < groups[g].AttributeConstraints.Count; c++)
                    if (groups[g].AttributeConstraints[c].Validate() is { } e) return $"{p}.groups[{g}].attribute_constraints[{c}]: {e}";
            }
        }
        return null;
    }

    /// <summary>Per constrained role, whether an agent (hostname, attributes) may be offered to it. Regexes are compiled here, once.</summary>
    public IReadOnlyDictionary<string, Func<string, IReadOnlyDictionary<string, string>, bool>> Compile() =>
        RoleConstraints.ToDictionary(kv => kv.Key, kv =>
        {
            var groups = kv.Value.Select(g => g.AttributeConstraints.Select(c => c.Compile()).ToArray()).ToArray();
            return (Func<string, IReadOnlyDictionary<string, string>, bool>)((host, attrs) =>
            {
                foreach (var group in groups)
                {
                    var all = true;
                    foreach (var c in group) if (!c(host, attrs)) { all = false; break; }
                    if (all) return true;
                }
                return false;
            });
        });
}

public sealed record AttributeConstraintGroup(IReadOnlyList<AttributeConstraint> AttributeConstraints);

/// <summary>Mesos' AttributeConstraint.Selector.PseudoattributeType. REGION and ZONE come from the agent's fault domain, which
/// ClusterKernel agents do not have: for them the pseudoattribute does not exist.</summary>
public enum Pseudoattribute { Unknown = 0, Hostname = 1, Region = 2, Zone = 3 }

public enum AttributePredicateKind { Exists, NotExists, TextEquals, TextNotEquals, TextMatches, TextNotMatches }

/// <summary>One constraint: a selector (an attribute by name, or a pseudoattribute) and a predicate on it. <see cref="Value"/>
/// is text_equals'/text_not_equals' value or text_matches'/text_not_matches' regex.</summary>
public sealed record AttributeConstraint(string? AttributeName, Pseudoattribute? Pseudoattribute, AttributePredicateKind Predicate, string? Value = null)
{
    public string? Validate()
    {
        if ((AttributeName is null) == (Pseudoattribute is null)) return "selector needs exactly one of attribute_name and pseudoattribute_type";
        if (Pseudoattribute == ClusterKernel.Pseudoattribute.Unknown) return "selector.pseudoattribute_type must not be UNKNOWN";
        if (Predicate is AttributePredicateKind.TextEquals or AttributePredicateKind.TextNotEquals && Value is null) return "predicate needs a value";
        if (Predicate is AttributePredicateKind.TextMatches or AttributePredicateKind.TextNotMatches)
        {
            if (Value is null) return "predicate needs a regex";
            try { _ = new Regex(Value, RegexOptions.CultureInvariant, OfferConstraints.RegexTimeout); }
            catch (ArgumentException e) { return $"invalid regex '{Value}': {e.Message}"; }
        }
        return null;
    }

    /// <summary>The predicate as a function of an agent. A missing attribute: exists false, text_equals and text_matches false,
    /// their negations true. Attribute values are compared as text (ClusterKernel attributes are strings); a regex must match
    /// the whole value (RE2 FullMatch in Mesos).</summary>
    public Func<string, IReadOnlyDictionary<string, string>, bool> Compile()
    {
        var name = AttributeName;
        var pseudo = Pseudoattribute;
        string? Select(string host, IReadOnlyDictionary<string, string> attrs) =>
            name is not null ? attrs.GetValueOrDefault(name) : pseudo == ClusterKernel.Pseudoattribute.Hostname ? host : null;
        var value = Value;
        var regex = Predicate is AttributePredicateKind.TextMatches or AttributePredicateKind.TextNotMatches
            ? new Regex($"^(?:{Value})$", RegexOptions.CultureInvariant, OfferConstraints.RegexTimeout) : null;
        bool Matches(string v)
        {
            try { return regex!.IsMatch(v); }
            catch (RegexMatchTimeoutException) { return false; }
        }
        return Predicate switch
        {
            AttributePredicateKind.Exists => (h, a) => Select(h, a) is not null,
            AttributePredicateKind.NotExists => (h, a) => Select(h, a) is null,
            AttributePredicateKind.TextEquals => (h, a) => Select(h, a) is { } v && v == value,
            AttributePredicateKind.TextNotEquals => (h, a) => Select(h, a) is not { } v || v != value,
            AttributePredicateKind.TextMatches => (h, a) => Select(h, a) is { } v && Matches(v),
            _ => (h, a) => Select(h, a) is not { } v || !Matches(v),
        };
    }
}
