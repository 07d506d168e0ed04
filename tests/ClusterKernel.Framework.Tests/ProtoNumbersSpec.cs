using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Api.Protobuf;
using ClusterKernel.Protocol;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Xunit;

namespace ClusterKernel.Framework.Tests;

/// <summary>
/// Pins the protobuf names and numbers that were once written from memory to Mesos' own protos: operator Event
/// (apache/mesos include/mesos/v1/master/master.proto — Mesos up to 1.11 has no AGENT_UPDATED) and offer constraints
/// (include/mesos/v1/scheduler/scheduler.proto, Mesos 1.11), as checked against the 1.11-based copy in m3scluster/clusterd.
/// A renumbering here breaks every protobuf client, so each number is spelled out.
/// </summary>
public sealed class ProtoNumbersSpec
{
    private static IReadOnlyDictionary<int, string> Fields(MessageDescriptor m) => m.Fields.InFieldNumberOrder().ToDictionary(f => f.FieldNumber, f => f.Name);
    private static IReadOnlyDictionary<int, string> Values(EnumDescriptor e) => e.Values.ToDictionary(v => v.Number, v => v.Name);

    [Fact]
    public void Operator_event_types_and_fields_are_mesos_and_have_no_agent_updated()
    {
        var ev = Mesos.V1.Master.Event.Descriptor;
        Assert.Equal(new Dictionary<int, string>
        {
            [0] = "UNKNOWN", [1] = "SUBSCRIBED", [2] = "TASK_ADDED", [3] = "TASK_UPDATED", [4] = "AGENT_ADDED", [5] = "AGENT_REMOVED",
            [6] = "FRAMEWORK_ADDED", [7] = "FRAMEWORK_UPDATED", [8] = "FRAMEWORK_REMOVED", [9] = "HEARTBEAT",
        }, Values(ev.EnumTypes.Single(e => e.Name == "Type")));
        Assert.Equal(new Dictionary<int, string>
        {
            [1] = "type", [2] = "subscribed", [3] = "task_added", [4] = "task_updated", [5] = "agent_added", [6] = "agent_removed",
            [7] = "framework_added", [8] = "framework_updated", [9] = "framework_removed",
        }, Fields(ev));
        Assert.Equal(new Dictionary<int, string> { [1] = "framework_id", [2] = "status", [3] = "state" },
            Fields(Mesos.V1.Master.Event.Types.TaskUpdated.Descriptor));
        Assert.Equal(new Dictionary<int, string> { [1] = "agent" }, Fields(Mesos.V1.Master.Event.Types.AgentAdded.Descriptor));
        Assert.Equal(new Dictionary<int, string> { [1] = "agent_id" }, Fields(Mesos.V1.Master.Event.Types.AgentRemoved.Descriptor));
        // Mesos >= 1.9 agent fields carried in AGENT_ADDED.
        var agent = Fields(Mesos.V1.Master.Response.Types.GetAgents.Types.Agent.Descriptor);
        Assert.Equal("deactivated", agent[12]);
        Assert.Equal("drain_info", agent[13]);
        Assert.Equal("estimated_drain_start_time", agent[14]);
    }

    [Fact]
    public void Offer_constraint_messages_have_mesos_numbers()
    {
        var call = Mesos.V1.Scheduler.Call.Types.Subscribe.Descriptor;
        Assert.Equal(new Dictionary<int, string> { [1] = "framework_info", [2] = "suppressed_roles", [3] = "offer_constraints" }, Fields(call));
        Assert.Equal(new Dictionary<int, string> { [1] = "framework_info", [2] = "suppressed_roles", [3] = "offer_constraints" },
            Fields(Mesos.V1.Scheduler.Call.Types.UpdateFramework.Descriptor));
        Assert.Equal(new Dictionary<int, string> { [1] = "role_constraints" }, Fields(Mesos.V1.Scheduler.OfferConstraints.Descriptor));
        Assert.Equal(new Dictionary<int, string> { [1] = "groups" }, Fields(Mesos.V1.Scheduler.OfferConstraints.Types.RoleConstraints.Descriptor));
        Assert.Equal(new Dictionary<int, string> { [1] = "attribute_constraints" },
            Fields(Mesos.V1.Scheduler.OfferConstraints.Types.RoleConstraints.Types.Group.Descriptor));
        Assert.Equal(new Dictionary<int, string> { [1] = "selector", [2] = "predicate" }, Fields(Mesos.V1.Scheduler.AttributeConstraint.Descriptor));
        var selector = Mesos.V1.Scheduler.AttributeConstraint.Types.Selector.Descriptor;
        Assert.Equal(new Dictionary<int, string> { [1] = "pseudoattribute_type", [2] = "attribute_name" }, Fields(selector));
        Assert.Equal(new Dictionary<int, string> { [0] = "UNKNOWN", [1] = "HOSTNAME", [2] = "REGION", [3] = "ZONE" }, Values(selector.EnumTypes.Single()));
        var predicate = Mesos.V1.Scheduler.AttributeConstraint.Types.Predicate.Descriptor;
        Assert.Equal(new Dictionary<int, string>
        {
            [1] = "exists", [2] = "not_exists", [3] = "text_equals", [4] = "text_not_equals", [5] = "text_matches", [6] = "text_not_matches",
        }, Fields(predicate));
        Assert.Equal("value", Fields(Mesos.V1.Scheduler.AttributeConstraint.Types.Predicate.Types.TextEquals.Descriptor)[1]);
        Assert.Equal("regex", Fields(Mesos.V1.Scheduler.AttributeConstraint.Types.Predicate.Types.TextNotMatches.Descriptor)[1]);
    }

    [Fact]
    public void Subscribe_with_offer_constraints_has_the_wire_bytes_mesos_would_write()
    {
        // Call{type=SUBSCRIBE(1); subscribe{framework_info{user,name}; offer_constraints{role_constraints{"r": groups[{
        //   attribute_constraints[{selector{attribute_name:"rack"}, predicate{text_equals{value:"a"}}}]}]}}}}
        var json = """
            {"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"},
             "offer_constraints":{"role_constraints":{"r":{"groups":[{"attribute_constraints":[
               {"selector":{"attribute_name":"rack"},"predicate":{"text_equals":{"value":"a"}}}]}]}}}}}
            """;
        var bytes = ProtobufBridge.Encode(ProtobufBridge.Scheduler.Call, json);
        var expected =
            "1001" +                 // type (2) = SUBSCRIBE
            "1a24" +                 // subscribe (3), 36 bytes
            "0a06" + "0a0175" + "12016e" + //   framework_info (1): user (1) "u", name (2) "n"
            "1a1a" +                 //   offer_constraints (3)
            "0a18" + "0a0172" +      //     role_constraints (1) map entry: key (1) "r"
            "1213" + "0a11" +        //       value (2) RoleConstraints: groups (1)
            "0a0f" +                 //         Group: attribute_constraints (1)
            "0a06" + "12047261636b" + //          selector (1): attribute_name (2) "rack"
            "1205" + "1a03" + "0a0161"; //        predicate (2): text_equals (3): value (1) "a"
        Assert.Equal(expected, Convert.ToHexString(bytes).ToLowerInvariant());
        var back = JsonNode.Parse(ProtobufBridge.Decode(ProtobufBridge.Scheduler.Call, bytes))!;
        Assert.Equal("a", (string?)back["subscribe"]!["offer_constraints"]!["role_constraints"]!["r"]!["groups"]![0]!["attribute_constraints"]![0]!["predicate"]!["text_equals"]!["value"]);
    }

    [Fact]
    public void A_changed_agent_is_written_as_agent_added()
    {
        var agent = new AgentView(new AgentId("a1"), "h1", ClusterKernel.Resources.Resources.Parse("cpus:1"),
            ClusterKernel.Resources.Resources.Empty, ClusterKernel.Resources.Resources.Empty, new Dictionary<string, string>(), true, 1.0);
        var json = OperatorEvents.Of(new OperatorAgentUpdated(agent, new AgentOperatorState(true, false, false)));
        Assert.Equal("AGENT_ADDED", (string?)json["type"]);
        Assert.True((bool)json["agent_added"]!["agent"]!["deactivated"]!);
        Assert.False((bool)json["agent_added"]!["agent"]!["active"]!);
        // And it encodes: the protobuf bridge knows every event the stream writes.
        var bytes = ProtobufBridge.Encode(ProtobufBridge.Operator.Event, json.ToJsonString());
        Assert.Equal(Mesos.V1.Master.Event.Types.Type.AgentAdded, Mesos.V1.Master.Event.Parser.ParseFrom(bytes).Type);
    }
}
