using System.Net.Http.Headers;
using System.Text;
using ClusterKernel.Api;
using Google.Protobuf;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

// Inside the namespace, so that Mesos' TaskInfo, TaskState, ... win over ClusterKernel's (the enclosing namespace).
using Mesos.V1;
using Mesos.V1.Scheduler;
using MasterCall = Mesos.V1.Master.Call;
using MasterEvent = Mesos.V1.Master.Event;
using MasterResponse = Mesos.V1.Master.Response;
using Task = System.Threading.Tasks.Task;

/// <summary>Clients that speak only application/x-protobuf (Mesos' v1 messages) to a real master and agent.</summary>
[Collection("cluster")]
public sealed class ProtobufApiTests(ITestOutputHelper output)
{
    private const string Protobuf = "application/x-protobuf";

    private static ByteArrayContent Body(IMessage message)
    {
        var content = new ByteArrayContent(message.ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(Protobuf);
        return content;
    }

    private static Resource Scalar(string name, double value) =>
        new() { Name = name, Type = Value.Types.Type.Scalar, Scalar = new Value.Types.Scalar { Value = value } };

    [Fact]
    public async Task A_protobuf_scheduler_runs_a_task_and_protobuf_operator_calls_answer()
    {
        var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var _m = master;
        var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await using var _a = agent;
        await TestCluster.AwaitAgents(master, 1);
        using var http = new HttpClient { BaseAddress = new Uri(master.HttpUrl!), Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        // SUBSCRIBE in protobuf (no Accept: the answer takes the request's encoding, as in Mesos).
        var subscribe = new Call
        {
            Type = Call.Types.Type.Subscribe,
            Subscribe = new Call.Types.Subscribe { FrameworkInfo = new FrameworkInfo { User = "root", Name = "protobuf-fw" } },
        };
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, SchedulerApi.Path) { Content = Body(subscribe) },
            HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(Protobuf, response.Content.Headers.ContentType?.MediaType);
        var streamId = response.Headers.GetValues(SchedulerApi.StreamIdHeader).Single();
        var events = new RecordIo(await response.Content.ReadAsStreamAsync(cts.Token));
        async Task<Event> Next(Event.Types.Type type, Func<Event, bool>? match = null)
        {
            while (true)
            {
                var e = Event.Parser.ParseFrom(await events.Next(cts.Token));
                output.WriteLine("event " + e.Type);
                if (e.Type == type && (match is null || match(e))) return e;
            }
        }
        async Task<int> Post(Call call)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, SchedulerApi.Path) { Content = Body(call) };
            request.Headers.Add(SchedulerApi.StreamIdHeader, streamId);
            using var r = await http.SendAsync(request, cts.Token);
            return (int)r.StatusCode;
        }

        var frameworkId = (await Next(Event.Types.Type.Subscribed)).Subscribed.FrameworkId;
        Assert.False(string.IsNullOrEmpty(frameworkId.Value));
        var offer = (await Next(Event.Types.Type.Offers)).Offers.Offers_.First();
        Assert.Contains(offer.Resources, r => r.Name == "cpus" && r.Scalar.Value > 0);

        // ACCEPT a LAUNCH; UPDATEs come as protobuf and are acknowledged with their uuid bytes.
        var task = new TaskInfo
        {
            Name = "pb-echo", TaskId = new TaskID { Value = "pb-echo" }, AgentId = offer.AgentId,
            Resources = { Scalar("cpus", 0.1), Scalar("mem", 32) },
            Command = new CommandInfo { Value = "echo protobuf" },
        };
        Assert.Equal(202, await Post(new Call
        {
            FrameworkId = frameworkId, Type = Call.Types.Type.Accept,
            Accept = new Call.Types.Accept
            {
                OfferIds = { offer.Id },
                Operations = { new Offer.Types.Operation { Type = Offer.Types.Operation.Types.Type.Launch, Launch = new Offer.Types.Operation.Types.Launch { TaskInfos = { task } } } },
                Filters = new Filters { RefuseSeconds = 0 },
            },
        }));
        var states = new List<TaskState>();
        while (states.Count == 0 || states[^1] is not (TaskState.TaskFinished or TaskState.TaskFailed or TaskState.TaskError or TaskState.TaskLost))
        {
            var status = (await Next(Event.Types.Type.Update, e => e.Update.Status.TaskId.Value == "pb-echo")).Update.Status;
            states.Add(status.State);
            if (status.HasUuid)
                Assert.Equal(202, await Post(new Call
                {
                    FrameworkId = frameworkId, Type = Call.Types.Type.Acknowledge,
                    Acknowledge = new Call.Types.Acknowledge { AgentId = status.AgentId, TaskId = status.TaskId, Uuid = status.Uuid },
                }));
        }
        output.WriteLine("pb-echo: " + string.Join(",", states));
        Assert.Contains(TaskState.TaskRunning, states);
        Assert.Equal(TaskState.TaskFinished, states[^1]);

        // Operator calls in protobuf.
        async Task<MasterResponse> Operator(MasterCall call)
        {
            using var r = await http.PostAsync(OperatorApi.Path, Body(call), cts.Token);
            Assert.Equal(200, (int)r.StatusCode);
            Assert.Equal(Protobuf, r.Content.Headers.ContentType?.MediaType);
            return MasterResponse.Parser.ParseFrom(await r.Content.ReadAsByteArrayAsync(cts.Token));
        }
        var state = await Operator(new MasterCall { Type = MasterCall.Types.Type.GetState });
        Assert.Equal(MasterResponse.Types.Type.GetState, state.Type);
        Assert.Single(state.GetState.GetAgents.Agents);
        Assert.Contains(state.GetState.GetFrameworks.Frameworks, f => f.FrameworkInfo.Id.Value == frameworkId.Value);
        await TestCluster.AwaitTrue(async () =>
        {
            var s = await Operator(new MasterCall { Type = MasterCall.Types.Type.GetState });
            return s.GetState.GetTasks.CompletedTasks.Concat(s.GetState.GetTasks.Tasks).Any(t => t.TaskId.Value == "pb-echo" && t.State == TaskState.TaskFinished);
        }, "pb-echo finished in GET_STATE");
        var agents = await Operator(new MasterCall { Type = MasterCall.Types.Type.GetAgents });
        var a = Assert.Single(agents.GetAgents.Agents);
        Assert.Equal(offer.AgentId.Value, a.AgentInfo.Id.Value);
        Assert.Contains(a.TotalResources, r => r.Name == "cpus" && r.Scalar.Value == 2);

        // JSON call, protobuf answer (Accept).
        var health = new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = new StringContent("""{"type":"GET_HEALTH"}""", Encoding.UTF8, "application/json") };
        health.Headers.Accept.ParseAdd(Protobuf);
        using (var r = await http.SendAsync(health, cts.Token))
            Assert.True(MasterResponse.Parser.ParseFrom(await r.Content.ReadAsByteArrayAsync(cts.Token)).GetHealth.Healthy);

        // Bad protobuf: 400 with a JSON message, on both APIs.
        foreach (var path in new[] { OperatorApi.Path, SchedulerApi.Path })
        {
            var bad = new ByteArrayContent(new byte[] { 0xff, 0xff, 0xff });
            bad.Headers.ContentType = new MediaTypeHeaderValue(Protobuf);
            using var r = await http.PostAsync(path, bad, cts.Token);
            Assert.Equal(400, (int)r.StatusCode);
            Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
            Assert.Contains("\"message\"", await r.Content.ReadAsStringAsync(cts.Token));
        }

        // The operator's event stream in protobuf: SUBSCRIBED carries the state.
        using (var sub = await http.SendAsync(new HttpRequestMessage(HttpMethod.Post, OperatorApi.Path) { Content = Body(new MasterCall { Type = MasterCall.Types.Type.Subscribe }) },
                   HttpCompletionOption.ResponseHeadersRead, cts.Token))
        {
            Assert.Equal(Protobuf, sub.Content.Headers.ContentType?.MediaType);
            var first = MasterEvent.Parser.ParseFrom(await new RecordIo(await sub.Content.ReadAsStreamAsync(cts.Token)).Next(cts.Token));
            Assert.Equal(MasterEvent.Types.Type.Subscribed, first.Type);
            Assert.Single(first.Subscribed.GetState.GetAgents.Agents);
        }

        Assert.Equal(202, await Post(new Call { FrameworkId = frameworkId, Type = Call.Types.Type.Teardown }));
        await Next(Event.Types.Type.Error);
    }
}
