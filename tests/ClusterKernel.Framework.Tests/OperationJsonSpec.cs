using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.TestKit;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Microsoft.AspNetCore.Builder;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>RESERVE/UNRESERVE/CREATE/DESTROY and operation feedback in Mesos' v1 JSON, and the operator's reservation calls over HTTP.</summary>
public sealed class OperationJsonSpec : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private const string Accept = """
        {"type":"ACCEPT","framework_id":{"value":"fw-1"},"accept":{"offer_ids":[{"value":"o-1"}],"operations":[
          {"type":"RESERVE","id":{"value":"r1"},"reserve":{"resources":[
            {"name":"cpus","type":"SCALAR","scalar":{"value":2},
             "reservations":[{"type":"STATIC","role":"eng"},{"type":"DYNAMIC","role":"eng/web","principal":"ops","labels":{"labels":[{"key":"team","value":"web"}]}}]}]}},
          {"type":"CREATE","create":{"volumes":[
            {"name":"disk","type":"SCALAR","scalar":{"value":64},"reservations":[{"type":"DYNAMIC","role":"eng","principal":"ops"}],
             "disk":{"persistence":{"id":"v1","principal":"ops"},"volume":{"container_path":"data","mode":"RW"}}}]}},
          {"type":"DESTROY","destroy":{"volumes":[]}},
          {"type":"UNRESERVE","unreserve":{"resources":[]}}]}}
        """;

    [Fact]
    public void Accept_with_reserve_and_create_parses_the_refined_stack_and_the_volume_and_round_trips()
    {
        var call = SchedulerJson.ParseCall(Accept);
        var ops = ((AcceptOffers)call.Body!).Operations;
        var reserve = Assert.IsType<ReserveOperation>(ops[0]);
        Assert.Equal("r1", reserve.Id);
        var cpus = reserve.Resources.Single();
        Assert.Equal("eng/web", cpus.Role);
        Assert.Equal(new[] { ReservationInfo.StaticType, ReservationInfo.Dynamic }, cpus.Reservations.Select(r => r.Type));
        Assert.Equal("web", cpus.Reservations[^1].Labels!["team"]);
        var volume = Assert.IsType<CreateOperation>(ops[1]).Volumes.Single();
        Assert.Equal(new DiskInfo("v1", "ops", "data", "RW"), volume.Disk);
        Assert.IsType<DestroyOperation>(ops[2]);
        Assert.IsType<UnreserveOperation>(ops[3]);

        var again = (AcceptOffers)SchedulerJson.ParseCall(SchedulerJson.WriteCall(call)).Body!;
        Assert.Equal(reserve.Resources, Assert.IsType<ReserveOperation>(again.Operations[0]).Resources);
        Assert.Equal(volume, Assert.IsType<CreateOperation>(again.Operations[1]).Volumes.Single());
        Assert.Equal("r1", ((ReserveOperation)again.Operations[0]).Id);
    }

    [Theory]
    [InlineData("""{"type":"GROW_VOLUME","grow_volume":{}}""", "not supported")]
    [InlineData("""{"type":"RESERVE","reserve":{"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"reservations":[{"type":"ODD","role":"eng"}]}]}}""", "STATIC or DYNAMIC")]
    [InlineData("""{"type":"CREATE","create":{"volumes":[{"name":"disk","type":"SCALAR","scalar":{"value":1},"disk":{"volume":{"container_path":"d","mode":"RWX"}}}]}}""", "RW or RO")]
    public void Malformed_operations_are_refused_with_a_message(string op, string hint)
    {
        var json = $$$"""{"type":"ACCEPT","framework_id":{"value":"f"},"accept":{"offer_ids":[{"value":"o"}],"operations":[{{{op}}}]}}""";
        Assert.Contains(hint, Assert.Throws<SchedulerJsonException>(() => SchedulerJson.ParseCall(json)).Message);
    }

    [Fact]
    public void Operation_feedback_calls_and_events_round_trip()
    {
        var uuid = Guid.NewGuid();
        var ack = SchedulerJson.ParseCall($$$"""{"type":"ACKNOWLEDGE_OPERATION_STATUS","framework_id":{"value":"f"},"acknowledge_operation_status":{"agent_id":{"value":"a"},"operation_id":{"value":"r1"},"uuid":"{{{SchedulerJson.WriteUuid(uuid)}}}"}}""");
        Assert.Equal(new AcknowledgeOperationStatus(new FrameworkId("f"), new AgentId("a"), "r1", uuid), ack.Body);
        var rec = (ReconcileOperations)SchedulerJson.ParseCall("""{"type":"RECONCILE_OPERATIONS","framework_id":{"value":"f"},"reconcile_operations":{"operations":[{"operation_id":{"value":"r1"}}]}}""").Body!;
        Assert.Equal(new[] { "r1" }, rec.OperationIds);
        Assert.Equal(rec.OperationIds, ((ReconcileOperations)SchedulerJson.ParseCall(SchedulerJson.WriteCall(new SchedulerCall("RECONCILE_OPERATIONS", rec.FrameworkId, rec))).Body!).OperationIds);

        var status = new OperationStatus("r1", OperationStates.Error, "no", new AgentId("a"), uuid, 0);
        var ev = SchedulerJson.WriteEvent(new OperationStatusUpdate(status))!;
        Assert.Equal("UPDATE_OPERATION_STATUS", (string?)ev["type"]);
        Assert.Equal(status, ((OperationStatusUpdate)SchedulerJson.ParseEvent(ev)).Status);
    }

    // ---- operator calls over HTTP, with a probe answering for the master ----

    private readonly TestProbe _master;
    private readonly WebApplication _app;
    private HttpClient _http = null!;
    private object? _lastReceived;

    public OperationJsonSpec(ITestOutputHelper output) : base(output: output)
    {
        _master = CreateTestProbe();
        _master.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            _lastReceived = message;
            switch (message)
            {
                case ReserveResources r when r.Resources.Scalar("cpus") > 4: sender.Tell(new OperatorConflict("not that much free")); break;
                case ReserveResources or UnreserveResources or CreateVolumes or DestroyVolumes: sender.Tell(OperatorResult.Success); break;
                case GetOperations:
                    sender.Tell(new OperationsView(new[] { new OperationView(new FrameworkId("fw-1"), new AgentId("a1"), "RESERVE",
                        new OperationStatus("r1", OperationStates.Finished, null, new AgentId("a1"), Guid.NewGuid(), 0)) }));
                    break;
            }
            return AutoPilot.KeepRunning;
        }));
        _app = HttpApi.Build(new HttpApiOptions { Url = "http://127.0.0.1:0", AskTimeout = TimeSpan.FromSeconds(3) }, Sys, _master.Ref, CreateTestProbe().Ref);
    }

    public async Task InitializeAsync()
    {
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
    }

    private const string Cpus = """[{"name":"cpus","type":"SCALAR","scalar":{"value":CPUS},"reservations":[{"type":"DYNAMIC","role":"eng","principal":"ops"}]}]""";

    private async Task<(HttpStatusCode, string)> V1(string body)
    {
        using var r = await _http.PostAsync("/api/v1", new StringContent(body, Encoding.UTF8, "application/json"));
        return (r.StatusCode, await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Reserve_resources_answers_202_409_when_not_free_and_400_when_malformed()
    {
        var ok = await V1($$$"""{"type":"RESERVE_RESOURCES","reserve_resources":{"agent_id":{"value":"a1"},"resources":{{{Cpus.Replace("CPUS", "1")}}}}}""");
        Assert.Equal(HttpStatusCode.Accepted, ok.Item1);
        var sent = Assert.IsType<ReserveResources>(_lastReceived);
        Assert.Equal(("a1", "eng"), (sent.AgentId.Value, sent.Resources.Single().Role));

        var conflict = await V1($$$"""{"type":"RESERVE_RESOURCES","reserve_resources":{"agent_id":{"value":"a1"},"resources":{{{Cpus.Replace("CPUS", "8")}}}}}""");
        Assert.Equal(HttpStatusCode.Conflict, conflict.Item1);
        Assert.Contains("not that much free", conflict.Item2);

        var bad = await V1("""{"type":"UNRESERVE_RESOURCES","unreserve_resources":{"agent_id":{"value":"a1"},"resources":[{"name":"cpus"}]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.Item1);
        Assert.Contains("\"message\"", bad.Item2);

        var ops = JsonNode.Parse((await V1("""{"type":"GET_OPERATIONS"}""")).Item2)!;
        Assert.Equal("OPERATION_FINISHED", (string?)ops["get_operations"]!["operations"]![0]!["latest_status"]!["state"]);
    }

    [Fact]
    public async Task Classic_reserve_and_unreserve_take_a_form_with_slaveId_and_resources()
    {
        var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["slaveId"] = "a1", ["resources"] = Cpus.Replace("CPUS", "1") });
        using (var r = await _http.PostAsync("/reserve", form)) Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        Assert.IsType<ReserveResources>(_lastReceived);
        form = new FormUrlEncodedContent(new Dictionary<string, string> { ["slaveId"] = "a1", ["resources"] = Cpus.Replace("CPUS", "1") });
        using (var r = await _http.PostAsync("/unreserve", form)) Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        Assert.IsType<UnreserveResources>(_lastReceived);
        using (var r = await _http.PostAsync("/reserve", new FormUrlEncodedContent(new Dictionary<string, string> { ["resources"] = "[]" })))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await _http.PostAsync("/unreserve", new FormUrlEncodedContent(new Dictionary<string, string> { ["slaveId"] = "a1", ["resources"] = "{not json" })))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }
}
