using System.Text.Json.Nodes;

namespace ClusterKernel.Api;

// Mesos' OfferConstraints (scheduler.proto, 1.11) in SUBSCRIBE and UPDATE_FRAMEWORK:
// "offer_constraints": {"role_constraints": {"ROLE": {"groups": [{"attribute_constraints": [
//     {"selector": {"attribute_name": "rack"} | {"pseudoattribute_type": "HOSTNAME"},
//      "predicate": {"exists": {}} | {"not_exists": {}} | {"text_equals": {"value": "a"}} | {"text_not_equals": {"value": "a"}}
//                 | {"text_matches": {"regex": "a.*"}} | {"text_not_matches": {"regex": "a.*"}}}]}]}}}
public static partial class SchedulerJson
{
    private static readonly (string Field, AttributePredicateKind Kind, string? ValueField)[] Predicates =
    {
        ("exists", AttributePredicateKind.Exists, null),
        ("not_exists", AttributePredicateKind.NotExists, null),
        ("text_equals", AttributePredicateKind.TextEquals, "value"),
        ("text_not_equals", AttributePredicateKind.TextNotEquals, "value"),
        ("text_matches", AttributePredicateKind.TextMatches, "regex"),
        ("text_not_matches", AttributePredicateKind.TextNotMatches, "regex"),
    };

    /// <summary>The call's "offer_constraints", or null when absent (no constraints).</summary>
    private static OfferConstraints? ParseOfferConstraints(JsonObject call, string path)
    {
        if (call["offer_constraints"] is null) return null;
        path += ".offer_constraints";
        var o = Obj(call["offer_constraints"], path);
        var roles = new Dictionary<string, IReadOnlyList<AttributeConstraintGroup>>();
        if (o["role_constraints"] is { } rc)
            foreach (var (role, value) in Obj(rc, path + ".role_constraints"))
            {
                var rp = $"{path}.role_constraints[{role}]";
                var groups = OptArr(Obj(value, rp), "groups", rp) ?? new JsonArray();
                roles[role] = groups.Select((g, gi) =>
                {
                    var gp = $"{rp}.groups[{gi}]";
                    var cs = OptArr(Obj(g, gp), "attribute_constraints", gp) ?? new JsonArray();
                    return new AttributeConstraintGroup(cs.Select((c, ci) => ParseAttributeConstraint(Obj(c, $"{gp}.attribute_constraints[{ci}]"), $"{gp}.attribute_constraints[{ci}]")).ToList());
                }).ToList();
            }
        return new OfferConstraints(roles);
    }

    private static AttributeConstraint ParseAttributeConstraint(JsonObject c, string path)
    {
        var selector = ReqObj(c, "selector", path);
        string? name = selector["attribute_name"] is { } n ? Str(n, path + ".selector.attribute_name") : null;
        Pseudoattribute? pseudo = selector["pseudoattribute_type"] is { } t
            ? Enum.TryParse<Pseudoattribute>(Str(t, path + ".selector.pseudoattribute_type").Replace("_", ""), ignoreCase: true, out var p) && Enum.IsDefined(p) ? p
                : throw new SchedulerJsonException($"'{path}.selector.pseudoattribute_type' must be HOSTNAME, REGION or ZONE")
            : null;
        if ((name is null) == (pseudo is null)) throw new SchedulerJsonException($"'{path}.selector' needs exactly one of attribute_name and pseudoattribute_type");
        var predicate = ReqObj(c, "predicate", path);
        var found = Predicates.Where(x => predicate[x.Field] is not null).ToList();
        if (found.Count != 1) throw new SchedulerJsonException($"'{path}.predicate' needs exactly one of {string.Join(", ", Predicates.Select(x => x.Field))}");
        var (field, kind, valueField) = found[0];
        var body = Obj(predicate[field], $"{path}.predicate.{field}");
        var value = valueField is null ? null : ReqStr(body, valueField, $"{path}.predicate.{field}");
        return new AttributeConstraint(name, pseudo, kind, value);
    }

    private static void WriteOfferConstraints(JsonObject o, OfferConstraints? constraints)
    {
        if (constraints is null) return;
        var roles = new JsonObject();
        foreach (var (role, groups) in constraints.RoleConstraints)
            roles[role] = new JsonObject
            {
                ["groups"] = new JsonArray(groups.Select(g => (JsonNode)new JsonObject
                {
                    ["attribute_constraints"] = new JsonArray(g.AttributeConstraints.Select(c => (JsonNode)WriteAttributeConstraint(c)).ToArray()),
                }).ToArray()),
            };
        o["offer_constraints"] = new JsonObject { ["role_constraints"] = roles };
    }

    private static JsonObject WriteAttributeConstraint(AttributeConstraint c)
    {
        var (field, _, valueField) = Predicates.Single(x => x.Kind == c.Predicate);
        var body = new JsonObject();
        if (valueField is not null) body[valueField] = c.Value;
        var selector = c.AttributeName is { } name ? new JsonObject { ["attribute_name"] = name }
            : new JsonObject { ["pseudoattribute_type"] = c.Pseudoattribute!.Value.ToString().ToUpperInvariant() };
        return new JsonObject { ["selector"] = selector, ["predicate"] = new JsonObject { [field] = body } };
    }
}
