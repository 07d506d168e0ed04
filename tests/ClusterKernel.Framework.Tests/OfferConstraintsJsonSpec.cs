using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Api.Protobuf;
using ClusterKernel.Protocol;
using ClusterKernel.Protocol.Serialization;
using Xunit;

namespace ClusterKernel.Framework.Tests;

/// <summary>Mesos' offer_constraints in SUBSCRIBE and UPDATE_FRAMEWORK: JSON and protobuf round trips, malformed ones refused.</summary>
public sealed class OfferConstraintsJsonSpec
{
    private const string Constraints = """
        {"role_constraints":{"web":{"groups":[
          {"attribute_constraints":[
            {"selector":{"attribute_name":"rack"},"predicate":{"text_equals":{"value":"a"}}},
            {"selector":{"attribute_name":"gpu"},"predicate":{"not_exists":{}}}]},
          {"attribute_constraints":[
            {"selector":{"pseudoattribute_type":"HOSTNAME"},"predicate":{"text_matches":{"regex":"node-[0-9]+"}}}]}]}}}
        """;

    private static string Subscribe(string constraints) =>
        """{"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n","roles":["web"]},"offer_constraints":""" + constraints + "}}";

    [Fact]
    public void Subscribe_and_update_framework_carry_offer_constraints_through_JSON_and_protobuf()
    {
        var call = SchedulerJson.ParseCall(Subscribe(Constraints));
        var c = ((SubscribeCall)call.Body!).Info.OfferConstraints!;
        var groups = c.RoleConstraints["web"];
        Assert.Equal(2, groups.Count);
        Assert.Equal(new AttributeConstraint("rack", null, AttributePredicateKind.TextEquals, "a"), groups[0].AttributeConstraints[0]);
        Assert.Equal(new AttributeConstraint("gpu", null, AttributePredicateKind.NotExists), groups[0].AttributeConstraints[1]);
        Assert.Equal(new AttributeConstraint(null, Pseudoattribute.Hostname, AttributePredicateKind.TextMatches, "node-[0-9]+"), groups[1].AttributeConstraints[0]);
        Assert.Null(c.Validate(new[] { "web" }));

        // JSON: written beside framework_info (not inside it), and the same after a round trip.
        var json = SchedulerJson.WriteCall(call).ToJsonString();
        Assert.Null(JsonNode.Parse(json)!["subscribe"]!["framework_info"]!["offer_constraints"]);
        Assert.Equal(JsonNode.Parse(Constraints)!.ToJsonString(), JsonNode.Parse(json)!["subscribe"]!["offer_constraints"]!.ToJsonString());
        Assert.Equal(json, SchedulerJson.WriteCall(SchedulerJson.ParseCall(json)).ToJsonString());

        // Protobuf: Call.Subscribe.offer_constraints survives encoding and decoding.
        var bytes = ProtobufBridge.Encode(ProtobufBridge.Scheduler.Call, json);
        var decoded = SchedulerJson.ParseCall(ProtobufBridge.Decode(ProtobufBridge.Scheduler.Call, bytes));
        Assert.Equal(json, SchedulerJson.WriteCall(decoded).ToJsonString());

        // UPDATE_FRAMEWORK: the same, and without offer_constraints none are left.
        var id = new FrameworkId("f");
        var info = ((SubscribeCall)call.Body!).Info with { Id = id };
        var update = SchedulerJson.WriteCall(new SchedulerCall("UPDATE_FRAMEWORK", id, new UpdateFramework(id, info))).ToJsonString();
        var back = (UpdateFramework)SchedulerJson.ParseCall(ProtobufBridge.Decode(ProtobufBridge.Scheduler.Call, ProtobufBridge.Encode(ProtobufBridge.Scheduler.Call, update))).Body!;
        Assert.Equal(2, back.Info.OfferConstraints!.RoleConstraints["web"].Count);
        var cleared = (UpdateFramework)SchedulerJson.ParseCall(SchedulerJson.WriteCall(new SchedulerCall("UPDATE_FRAMEWORK", id, new UpdateFramework(id, info with { OfferConstraints = null }))).ToJsonString()).Body!;
        Assert.Null(cleared.Info.OfferConstraints);
    }

    [Fact]
    public void A_FrameworkInfo_with_constraints_survives_the_cluster_serializer()
    {
        var info = ((SubscribeCall)SchedulerJson.ParseCall(Subscribe(Constraints)).Body!).Info;
        using var system = Akka.Actor.ActorSystem.Create("serializer");
        var serializer = new ClusterMessageSerializer((Akka.Actor.ExtendedActorSystem)system);
        var message = new UpdateFramework(new FrameworkId("f"), info with { Id = new FrameworkId("f") });
        var back = (UpdateFramework)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
        Assert.Equal(info.OfferConstraints!.RoleConstraints["web"][1].AttributeConstraints[0], back.Info.OfferConstraints!.RoleConstraints["web"][1].AttributeConstraints[0]);
    }

    [Theory]
    [InlineData("""{"role_constraints":{"web":{"groups":[{"attribute_constraints":[{"predicate":{"exists":{}}}]}]}}}""", "selector")]
    [InlineData("""{"role_constraints":{"web":{"groups":[{"attribute_constraints":[{"selector":{"attribute_name":"a","pseudoattribute_type":"HOSTNAME"},"predicate":{"exists":{}}}]}]}}}""", "exactly one of attribute_name")]
    [InlineData("""{"role_constraints":{"web":{"groups":[{"attribute_constraints":[{"selector":{"attribute_name":"a"},"predicate":{}}]}]}}}""", "exactly one of exists")]
    [InlineData("""{"role_constraints":{"web":{"groups":[{"attribute_constraints":[{"selector":{"attribute_name":"a"},"predicate":{"text_equals":{}}}]}]}}}""", "text_equals.value")]
    [InlineData("""{"role_constraints":{"web":{"groups":[{"attribute_constraints":[{"selector":{"pseudoattribute_type":"RACK"},"predicate":{"exists":{}}}]}]}}}""", "pseudoattribute_type")]
    [InlineData("""{"role_constraints":[]}""", "role_constraints")]
    public void Malformed_offer_constraints_are_refused_with_the_path(string constraints, string expected)
    {
        var e = Assert.Throws<SchedulerJsonException>(() => SchedulerJson.ParseCall(Subscribe(constraints)));
        Assert.Contains(expected, e.Message);
    }
}
