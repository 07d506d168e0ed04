using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>LAUNCH_GROUP, UPDATE_FRAMEWORK, MESSAGE, ACCEPT/DECLINE_INVERSE_OFFERS and the INVERSE_OFFERS, MESSAGE, FAILURE events in v1 JSON.</summary>
public sealed class SchedulerJsonExtensionsSpec
{
    private static readonly FrameworkId Fw = new("fw-1");

    private static SchedulerCall RoundTrip(SchedulerCall call)
    {
        var json = SchedulerJson.WriteCall(call).ToJsonString();
        var parsed = SchedulerJson.ParseCall(json);
        Assert.Equal(json, SchedulerJson.WriteCall(parsed).ToJsonString());
        return parsed;
    }

    private static object RoundTripEvent(object ev)
    {
        var json = SchedulerJson.WriteEvent(ev)!.ToJsonString();
        var parsed = SchedulerJson.ParseEvent(JsonNode.Parse(json));
        Assert.Equal(json, SchedulerJson.WriteEvent(parsed)!.ToJsonString());
        return parsed;
    }

    [Fact]
    public void The_new_calls_round_trip()
    {
        var executor = new ExecutorInfo { ExecutorId = new ExecutorId("e1"), Resources = Res.Parse("cpus:0.1;mem:32"), Name = "group" };
        var task = new TaskInfo { Name = "a", TaskId = new TaskId("a"), AgentId = new AgentId("s1"), Resources = Res.Parse("cpus:1"), Command = new CommandInfo { Value = "true" } };
        var accept = (AcceptOffers)RoundTrip(new SchedulerCall("ACCEPT", Fw, new AcceptOffers(Fw, new[] { new OfferId("o1") },
            new OfferOperation[] { new LaunchGroupOperation(executor, new[] { task, task with { TaskId = new TaskId("b") } }) }, null))).Body!;
        var group = Assert.IsType<LaunchGroupOperation>(Assert.Single(accept.Operations));
        Assert.Equal((executor.ExecutorId, "DEFAULT", 2), (group.Executor.ExecutorId, group.Executor.Type, group.Tasks.Count));

        var info = new FrameworkInfo { Name = "n", Id = Fw, Roles = new[] { "a", "b" }, Capabilities = new[] { FrameworkCapabilities.MultiRole }, FailoverTimeout = 7 };
        var update = (UpdateFramework)RoundTrip(new SchedulerCall("UPDATE_FRAMEWORK", Fw, new UpdateFramework(Fw, info, new[] { "b" }))).Body!;
        Assert.Equal((7.0, "b"), (update.Info.FailoverTimeout, update.SuppressedRoles!.Single()));

        var message = (FrameworkToExecutorMessage)RoundTrip(new SchedulerCall("MESSAGE", Fw,
            new FrameworkToExecutorMessage(Fw, new AgentId("s1"), new ExecutorId("e1"), Encoding.UTF8.GetBytes("hi")))).Body!;
        Assert.Equal("hi", Encoding.UTF8.GetString(message.Data));

        var acceptInverse = (RespondInverseOffers)RoundTrip(new SchedulerCall("ACCEPT_INVERSE_OFFERS", Fw, new RespondInverseOffers(Fw, new[] { new OfferId("i1") }, true, null))).Body!;
        Assert.True(acceptInverse.Accept);
        var decline = (RespondInverseOffers)RoundTrip(new SchedulerCall("DECLINE_INVERSE_OFFERS", Fw, new RespondInverseOffers(Fw, new[] { new OfferId("i1") }, false, new Filters { RefuseSeconds = 9 }))).Body!;
        Assert.False(decline.Accept);
    }

    [Fact]
    public void UPDATE_FRAMEWORK_for_another_framework_id_is_refused()
    {
        var e = Assert.Throws<SchedulerJsonException>(() => SchedulerJson.ParseCall(
            """{"type":"UPDATE_FRAMEWORK","framework_id":{"value":"a"},"update_framework":{"framework_info":{"name":"n","id":{"value":"b"}}}}"""));
        Assert.Contains("differs from", e.Message);
    }

    [Fact]
    public void The_new_events_round_trip()
    {
        var inverse = (InverseOffers)RoundTripEvent(new InverseOffers(new[] { new InverseOffer(new OfferId("i1"), Fw, new AgentId("s1"), "host1", 1_700_000_000, 3600) }));
        Assert.Equal(("host1", 3600.0), (inverse.Offers[0].Hostname, inverse.Offers[0].DurationSeconds!.Value));
        var failure = (FrameworkFailure)RoundTripEvent(new FrameworkFailure(new AgentId("s1"), new ExecutorId("e1"), 1));
        Assert.Equal(1, failure.Status);
        Assert.Null(((FrameworkFailure)RoundTripEvent(new FrameworkFailure(new AgentId("s1"), null, null))).ExecutorId);
        var message = (ExecutorToFrameworkMessage)RoundTripEvent(new ExecutorToFrameworkMessage(Fw, new AgentId("s1"), new ExecutorId("e1"), new byte[] { 1, 2 }));
        Assert.Equal(new byte[] { 1, 2 }, message.Data);
        Assert.Equal(new OfferId("i1"), ((InverseOfferRescinded)RoundTripEvent(new InverseOfferRescinded(new OfferId("i1")))).InverseOfferId);
    }
}
