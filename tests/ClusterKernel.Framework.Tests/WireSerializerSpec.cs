using Akka.Actor;
using ClusterKernel.Protocol;
using ClusterKernel.Protocol.Serialization;
using ClusterKernel.Resources;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>
/// The binary wire form of the per-task messages: the system picks it for exactly the bound types, and every field survives.
/// "Survives" is checked against the JSON serializer: the JSON form of the binary round trip equals the JSON form of the
/// original (records compare lists by reference, so the JSON text is the field-by-field comparison).
/// </summary>
public sealed class WireSerializerSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ProtocolConfig.DefaultConfig(), output: output)
{
    private ClusterMessageSerializer JsonSerializer => new((ExtendedActorSystem)Sys);

    [Fact]
    public void The_system_picks_the_wire_serializer_for_every_bound_type_and_json_for_the_rest()
    {
        var random = new Random(1);
        foreach (var type in WireSerializer.Manifests.Keys)
            Assert.IsType<WireSerializer>(Sys.Serialization.FindSerializerFor(Gen.Message(random, type)));
        Assert.IsType<ClusterMessageSerializer>(Sys.Serialization.FindSerializerFor(new OfferRescinded(new OfferId("o1"))));
        Assert.IsType<ClusterMessageSerializer>(Sys.Serialization.FindSerializerFor(new KillTaskOnAgent(new FrameworkId("f"), new TaskId("t"), null)));
        Assert.IsType<ClusterMessageSerializer>(Sys.Serialization.FindSerializerForType(typeof(IClusterMessage)));
        Assert.Equal(WireSerializer.Manifests.Count, WireSerializer.Manifests.Values.Distinct().Count());
    }

    [Fact]
    public void Every_bound_message_with_random_fields_round_trips_like_json()
    {
        var random = new Random(20261203);
        foreach (var type in WireSerializer.Manifests.Keys)
            for (var i = 0; i < 200; i++)
                AssertRoundTrip(Gen.Message(random, type, TestActor));
    }

    [Fact]
    public void A_reregistration_names_the_same_agent_actor_after_the_round_trip()
    {
        var m = (ReregisterAgent)Gen.Message(new Random(7), typeof(ReregisterAgent), TestActor);
        var serializer = Sys.Serialization.FindSerializerFor(m);
        var back = (ReregisterAgent)Sys.Serialization.Deserialize(serializer.ToBinary(m), serializer.Identifier,
            Akka.Serialization.Serialization.ManifestFor(serializer, m));
        Assert.Equal(TestActor, back.Agent);
        Assert.Equal(m.Tasks.Count, back.Tasks.Count);
    }

    [Fact]
    public void A_simulated_agents_reregistration_with_ten_tasks_is_smaller_in_wire_form_than_json()
    {
        var agent = new AgentId("3f2a9c1e07b4-S1234-a1b2c3");
        var fw = new FrameworkId("3f2a9c1e07b4-0001");
        var tasks = Enumerable.Range(0, 10).Select(i => new TaskReport(fw, new TaskInfo
        {
            Name = $"bench-{i}", TaskId = new TaskId($"bench-task-{i:D6}"), AgentId = agent, Resources = Res.Parse("cpus:0.1;mem:32"),
            Command = new CommandInfo { Value = "sleep 86400" },
        }, TaskState.TASK_RUNNING, Array.Empty<TaskStatus>())).ToList();
        var m = new ReregisterAgent(new AgentInfo
        {
            Hostname = "127.0.0.1", Port = 0, Id = agent, Resources = Res.Parse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]"),
        }, tasks, TestActor);
        var wire = Sys.Serialization.FindSerializerFor(m).ToBinary(m).Length;
        var json = JsonSerializer.ToBinary(m).Length;
        output.WriteLine($"ReregisterAgent with 10 tasks: wire {wire} B, JSON {json} B");
        Assert.True(wire < json);
    }

    [Fact]
    public void Every_offer_operation_type_has_a_wire_form()
    {
        var all = typeof(OfferOperation).Assembly.GetTypes().Where(t => typeof(OfferOperation).IsAssignableFrom(t) && !t.IsAbstract);
        Assert.Equal(all.OrderBy(t => t.Name), WireSerializer.OperationTypes.OrderBy(t => t.Name));
    }

    [Fact]
    public void Repeated_strings_are_written_once_and_read_back_as_one_instance()
    {
        var fid = new FrameworkId("framework-with-a-long-id-0001");
        var updates = new StatusUpdates(Enumerable.Range(0, 50).Select(i => new StatusUpdate(fid, new TaskStatus
        {
            TaskId = new TaskId($"t{i}"), State = TaskState.TASK_RUNNING, AgentId = new AgentId("agent-with-a-long-id-S1"), Uuid = Guid.NewGuid(),
        })).ToList());
        var serializer = (WireSerializer)Sys.Serialization.FindSerializerFor(updates);
        var bytes = serializer.ToBinary(updates);
        Assert.Equal(2, System.Text.Encoding.UTF8.GetString(bytes).Split(fid.Value).Length); // written once
        var back = (StatusUpdates)serializer.FromBinary(bytes, serializer.Manifest(updates));
        Assert.Same(back.Updates[0].FrameworkId.Value, back.Updates[49].FrameworkId.Value);
        Assert.Same(back.Updates[0].Status.AgentId!.Value.Value, back.Updates[49].Status.AgentId!.Value.Value);
    }

    [Fact]
    public void Corrupt_or_unknown_input_is_refused_with_a_serialization_exception()
    {
        var serializer = (WireSerializer)Sys.Serialization.FindSerializerFor(new AgentHeartbeatAck("e"));
        var bytes = serializer.ToBinary(new RunTasks(new FrameworkId("f"), new FrameworkInfo { Name = "fw" }, Array.Empty<TaskInfo>()));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^1], "RT"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes.Append((byte)0).ToArray(), "RT"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, "nope"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(new byte[] { 99 }, "AHA"));
    }

    private void AssertRoundTrip(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
        Assert.IsType(message.GetType(), back);
        var json = JsonSerializer;
        Assert.Equal(System.Text.Encoding.UTF8.GetString(json.ToBinary(message)), System.Text.Encoding.UTF8.GetString(json.ToBinary(back)));
    }

    /// <summary>Random messages with every optional field sometimes set and sometimes not; strings sometimes repeat.</summary>
    internal static class Gen
    {
        /// <param name="actor">The agent actor a <see cref="ReregisterAgent"/> names (a reference of the test's system).</param>
        public static object Message(Random r, Type type, IActorRef? actor = null)
        {
            if (type == typeof(RunTasks)) return new RunTasks(Fid(r), Framework(r), List(r, 5, Task));
            if (type == typeof(StatusUpdate)) return new StatusUpdate(Fid(r), Status(r));
            if (type == typeof(StatusUpdates)) return new StatusUpdates(List(r, 6, r => new StatusUpdate(Fid(r), Status(r))));
            if (type == typeof(TaskStatusUpdate)) return new TaskStatusUpdate(Status(r));
            if (type == typeof(TaskStatusUpdates)) return new TaskStatusUpdates(List(r, 6, Status));
            if (type == typeof(AcknowledgeStatus)) return new AcknowledgeStatus(Fid(r), Aid(r), new TaskId(Str(r)), Guid.NewGuid());
            if (type == typeof(AcknowledgeStatuses)) return new AcknowledgeStatuses(Fid(r), List(r, 6, r => new StatusAck(Aid(r), new TaskId(Str(r)), Guid.NewGuid())));
            if (type == typeof(StatusUpdateAcknowledgement)) return new StatusUpdateAcknowledgement(Fid(r), new TaskId(Str(r)), Guid.NewGuid());
            if (type == typeof(StatusUpdateAcknowledgements)) return new StatusUpdateAcknowledgements(List(r, 6, r => new StatusUpdateAcknowledgement(Fid(r), new TaskId(Str(r)), Guid.NewGuid())));
            if (type == typeof(ResourceOffers)) return new ResourceOffers(List(r, 5, Offer));
            if (type == typeof(AcceptOffers)) return new AcceptOffers(Fid(r), List(r, 3, r => new OfferId(Str(r))), List(r, 4, Operation), Maybe(r, Filters));
            if (type == typeof(DeclineOffers)) return new DeclineOffers(Fid(r), List(r, 3, r => new OfferId(Str(r))), Maybe(r, Filters));
            if (type == typeof(AgentHeartbeat)) return new AgentHeartbeat(Aid(r), Str(r));
            if (type == typeof(AgentHeartbeatAck)) return new AgentHeartbeatAck(Str(r));
            if (type == typeof(ReregisterAgent)) return new ReregisterAgent(Agent(r), List(r, 6, Report), actor ?? ActorRefs.Nobody);
            if (type == typeof(AgentRegistered)) return new AgentRegistered(Aid(r), Str(r), Num(r));
            if (type == typeof(ReregistrationRequired)) return new ReregistrationRequired(Str(r));
            throw new ArgumentException($"no generator for {type}");
        }

        private static readonly string[] Pool = { "a", "cpus", "mem", "ports", "eng", "eng/web", "*", "héllo wörld ☃", "", "x-0001", "🙂" };

        /// <summary>From a small pool (so the string table gets references) or fresh, up to a few hundred characters.</summary>
        private static string Str(Random r) => r.Next(3) == 0
            ? Pool[r.Next(Pool.Length)]
            : new string(Enumerable.Range(0, r.Next(0, r.Next(2) == 0 ? 12 : 300)).Select(_ => (char)r.Next(32, 0x2FF)).ToArray());

        private static string? OptStr(Random r) => r.Next(3) == 0 ? null : Str(r);
        private static T? Maybe<T>(Random r, Func<Random, T> f) where T : class => r.Next(3) == 0 ? null : f(r);
        private static T? MaybeValue<T>(Random r, Func<Random, T> f) where T : struct => r.Next(3) == 0 ? null : f(r);
        private static T[] List<T>(Random r, int max, Func<Random, T> f) => Enumerable.Range(0, r.Next(max + 1)).Select(_ => f(r)).ToArray();
        private static FrameworkId Fid(Random r) => new(Str(r));
        private static AgentId Aid(Random r) => new(Str(r));
        private static double Num(Random r) => r.Next(4) switch { 0 => 0, 1 => r.Next(1000), 2 => Math.Round(r.NextDouble() * 1e4, 3), _ => r.NextDouble() * 1e12 - 5e11 };

        private static IReadOnlyDictionary<string, string> Map(Random r) =>
            Enumerable.Range(0, r.Next(4)).Select(_ => Str(r)).Distinct().ToDictionary(k => k, _ => Str(r));

        public static Res Resources(Random r) => Res.From(List(r, 5, Resource));

        private static Resource Resource(Random r)
        {
            var type = (ClusterKernel.Resources.ValueType)r.Next(3);
            var reservations = r.Next(3) == 0
                ? List(r, 3, r => new ReservationInfo(r.Next(2) == 0 ? ReservationInfo.Dynamic : ReservationInfo.StaticType, Str(r), OptStr(r), r.Next(2) == 0 ? null : Map(r)))
                : Array.Empty<ReservationInfo>();
            return new Resource
            {
                Name = Str(r), Type = type, Role = r.Next(2) == 0 ? Roles.Any : Str(r), Revocable = r.Next(2) == 0,
                Scalar = type == ClusterKernel.Resources.ValueType.Scalar ? Math.Round(r.NextDouble() * 1e5, 3) + 0.001 : r.Next(4) == 0 ? 1.5 : 0,
                Ranges = type == ClusterKernel.Resources.ValueType.Ranges || r.Next(4) == 0
                    ? List(r, 3, r => { var b = r.NextInt64(-10, long.MaxValue / 2); return new ValueRange(b, b + r.Next(100_000)); }).Append(new ValueRange(1, 2)).ToArray()
                    : Array.Empty<ValueRange>(),
                Set = type == ClusterKernel.Resources.ValueType.Set || r.Next(4) == 0 ? List(r, 4, Str).Append("s").ToArray() : Array.Empty<string>(),
                Reservations = reservations,
                Disk = r.Next(3) == 0 ? new DiskInfo(OptStr(r), OptStr(r), OptStr(r), Str(r)) : null,
            };
        }

        private static FrameworkInfo Framework(Random r) => new()
        {
            User = Str(r), Name = Str(r), Id = MaybeValue(r, Fid), FailoverTimeout = Num(r), Checkpoint = r.Next(2) == 0,
            Roles = List(r, 3, Str), Capabilities = List(r, 3, Str), Hostname = OptStr(r), Principal = OptStr(r), Labels = Map(r),
            TaskShapes = List(r, 3, r => new TaskShape(Resources(r), r.Next(-5, 2000))),
        };

        private static ExecutorInfo Executor(Random r) => new()
        {
            ExecutorId = new ExecutorId(Str(r)), Type = Str(r), Resources = Resources(r), Name = OptStr(r), FrameworkId = MaybeValue(r, Fid),
        };

        private static TaskInfo Task(Random r) => new()
        {
            Name = Str(r), TaskId = new TaskId(Str(r)), AgentId = Aid(r), Resources = Resources(r),
            Command = Maybe(r, r => new CommandInfo { Value = OptStr(r), Arguments = List(r, 3, Str), Shell = r.Next(2) == 0, Environment = Map(r), User = OptStr(r) }),
            Container = Maybe(r, r => new ContainerInfo { Type = Str(r), DockerImage = OptStr(r), Network = Str(r) }),
            KillGracePeriodSeconds = MaybeValue(r, Num), Labels = Map(r), Executor = Maybe(r, Executor),
            HealthCheck = Maybe(r, r => new HealthCheck
            {
                Type = (HealthCheckType)r.Next(4), DelaySeconds = Num(r), IntervalSeconds = Num(r), TimeoutSeconds = Num(r),
                GracePeriodSeconds = Num(r), ConsecutiveFailures = r.Next(10),
                Command = Maybe(r, r => new CommandInfo { Value = OptStr(r), Arguments = List(r, 3, Str), Shell = r.Next(2) == 0, Environment = Map(r), User = OptStr(r) }),
                Http = Maybe(r, r => new HttpCheckInfo { Port = r.Next(65536), Scheme = OptStr(r), Path = OptStr(r), Statuses = List(r, 3, r => r.Next(600)) }),
                Tcp = Maybe(r, r => new TcpCheckInfo { Port = r.Next(65536) }),
            }),
        };

        private static TaskStatus Status(Random r) => new()
        {
            TaskId = new TaskId(Str(r)), State = (TaskState)r.Next(14), AgentId = MaybeValue(r, Aid), ExecutorId = MaybeValue(r, r => new ExecutorId(Str(r))),
            Message = OptStr(r), Source = (StatusSource)r.Next(3), Reason = OptStr(r), Uuid = MaybeValue(r, _ => Guid.NewGuid()),
            Timestamp = r.Next(5) == 0 ? 0 : 1.7e9 + r.NextDouble() * 1e8, Healthy = MaybeValue(r, r => r.Next(2) == 0),
            ExitCode = MaybeValue(r, r => r.Next(int.MinValue, int.MaxValue)),
        };

        private static Offer Offer(Random r) => new()
        {
            Id = new OfferId(Str(r)), FrameworkId = Fid(r), AgentId = Aid(r), Hostname = Str(r), Resources = Resources(r),
            AllocationRole = r.Next(2) == 0 ? Roles.Any : Str(r), Attributes = Map(r),
        };

        private static Filters Filters(Random r) => new() { RefuseSeconds = Num(r) };

        private static AgentInfo Agent(Random r) => new()
        {
            Hostname = Str(r), Port = r.Next(65536), Id = MaybeValue(r, Aid), Resources = Resources(r), Attributes = Map(r),
        };

        private static TaskReport Report(Random r) =>
            new(Fid(r), Task(r), (TaskState)r.Next(Enum.GetValues<TaskState>().Length), List(r, 3, Status));

        private static OfferOperation Operation(Random r) => r.Next(6) switch
        {
            0 => new LaunchOperation(List(r, 3, Task)),
            1 => new ReserveOperation(Resources(r), OptStr(r)),
            2 => new UnreserveOperation(Resources(r), OptStr(r)),
            3 => new CreateOperation(Resources(r), OptStr(r)),
            4 => new DestroyOperation(Resources(r), OptStr(r)),
            _ => new LaunchGroupOperation(Executor(r), List(r, 3, Task)),
        };
    }
}
