using Akka.Actor;
using Akka.Serialization;
using ClusterKernel.Protocol;
using ClusterKernel.Protocol.Serialization;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>Every IClusterMessage goes through the system's own serialization and comes back the same.</summary>
public sealed partial class ProtocolSerializationSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ProtocolConfig.DefaultConfig(), output: output)
{
    private static readonly TaskInfo Task = new()
    {
        Name = "web", TaskId = new TaskId("t1"), AgentId = new AgentId("a1"),
        Resources = Res.Parse("cpus:0.5;mem:64;cpus(ads):1;ports:[31000-31005,31010-31010];zones:{a,b}"),
        Command = new CommandInfo { Value = "echo", Arguments = new[] { "hi" }, Environment = new Dictionary<string, string> { ["K"] = "V" } },
        Container = new ContainerInfo { DockerImage = "alpine:3" }, KillGracePeriodSeconds = 3,
        Labels = new Dictionary<string, string> { ["l"] = "v" },
    };

    private static readonly TaskStatus Status = new()
    {
        TaskId = new TaskId("t1"), State = TaskState.TASK_FAILED, AgentId = new AgentId("a1"), ExecutorId = new ExecutorId("e1"),
        Message = "exit 3", Reason = Reasons.CommandExecutorFailed, Uuid = Guid.NewGuid(), Timestamp = 1700000000.123456, Healthy = false, ExitCode = 3,
    };

    private static readonly FrameworkInfo Framework = new()
    {
        Name = "fw", Id = new FrameworkId("f1"), FailoverTimeout = 60, Checkpoint = true, Roles = new[] { "eng/web" },
        Capabilities = new[] { FrameworkCapabilities.MultiRole }, Hostname = "h", Principal = "p", Labels = new Dictionary<string, string> { ["a"] = "b" },
        TaskShapes = new[] { new TaskShape(Res.Parse("cpus:0.5;mem:64;ports:[1-2]"), 3) },
    };

    private static readonly Offer Offer = Samples.Offer("o1", "cpus:2;mem:1024;ports:[31000-32000]", "eng/web") with { Attributes = new Dictionary<string, string> { ["rack"] = "r1" } };

    private static readonly AgentInfo AgentInfo = new() { Hostname = "h1", Port = 5051, Id = new AgentId("a1"), Resources = Res.Parse("cpus:4;mem:4096"), Attributes = new Dictionary<string, string> { ["rack"] = "r1" } };

    private IEnumerable<IClusterMessage> Samples_()
    {
        var actor = TestActor;
        var fid = new FrameworkId("f1");
        yield return new SubscribeFramework(Framework, actor, new[] { "eng/web" });
        yield return new SubscribeFramework(Framework with { Id = null }, actor);
        yield return new TeardownFramework(fid);
        yield return new AcceptOffers(fid, new[] { new OfferId("o1") }, new OfferOperation[] { new LaunchOperation(new[] { Task }) }, new Filters { RefuseSeconds = 1 });
        yield return new DeclineOffers(fid, new[] { new OfferId("o1") }, null);
        yield return new ReviveOffers(fid, new[] { "*" });
        yield return new SuppressOffers(fid, null);
        yield return new KillTask(fid, new TaskId("t1"), new AgentId("a1"), 5);
        yield return new AcknowledgeStatus(fid, new AgentId("a1"), new TaskId("t1"), Guid.NewGuid());
        yield return new ReconcileTasks(fid, new[] { new ReconcileTask(new TaskId("t1"), null), new ReconcileTask(new TaskId("t2"), new AgentId("a1")) });
        yield return new FrameworkSubscribed(fid, actor, 15, true);
        yield return new ResourceOffers(new[] { Offer });
        yield return new OfferRescinded(new OfferId("o1"));
        yield return new TaskStatusUpdate(Status);
        yield return new FrameworkError("bad");
        yield return new ResubscribeRequired("failover");
        yield return new RegisterAgent(AgentInfo with { Id = null }, actor);
        yield return new ReregisterAgent(AgentInfo, new[] { new TaskReport(fid, Task, TaskState.TASK_RUNNING, new[] { Status }) }, actor);
        yield return new AgentRegistered(new AgentId("a1"), "epoch-1", 5);
        yield return new AgentRegistrationRefused("gone");
        yield return new AgentHeartbeat(new AgentId("a1"), "epoch-1");
        yield return new AgentHeartbeatAck("epoch-1");
        yield return new ReregistrationRequired("epoch-2");
        yield return new RunTasks(fid, Framework, new[] { Task });
        yield return new KillTaskOnAgent(fid, new TaskId("t1"), null);
        yield return new ShutdownFrameworkOnAgent(fid);
        yield return new StatusUpdate(fid, Status);
        yield return new StatusUpdateAcknowledgement(fid, new TaskId("t1"), Guid.NewGuid());
        yield return new StatusUpdates(new[] { new StatusUpdate(fid, Status), new StatusUpdate(fid, Status with { TaskId = new TaskId("t2") }) });
        yield return new TaskStatusUpdates(new[] { Status, Status with { State = TaskState.TASK_RUNNING } });
        yield return new AcknowledgeStatuses(fid, new[] { new StatusAck(new AgentId("a1"), new TaskId("t1"), Guid.NewGuid()), new StatusAck(new AgentId("a2"), new TaskId("t2"), Guid.NewGuid()) });
        yield return new StatusUpdateAcknowledgements(new[] { new StatusUpdateAcknowledgement(fid, new TaskId("t1"), Guid.NewGuid()), new StatusUpdateAcknowledgement(fid, new TaskId("t2"), Guid.NewGuid()) });
        yield return new ReadSandboxFile(fid, new TaskId("t1"), "stdout", 0, -1);
        yield return new SandboxFileData("stdout", 0, "héllo\n", 7, null);
        yield return new SandboxFileData("stdout", 0, "", 0, "no such file");
        yield return new BrowseSandbox(fid, new TaskId("t1"), "out");
        yield return new SandboxListing("out", new[] { new SandboxEntry("out/f.txt", 1, 5, 1700000000.5, 0x81A4, "root", "root") }, null);
        yield return new DownloadSandboxFile(fid, new TaskId("t1"), "out/f.txt", 49152);
        yield return new SandboxFileChunk("out/f.txt", 0, new byte[] { 0, 1, 255 }, 3, null);
        yield return GetLeaderInfo.Instance;
        yield return new LeaderInfo("akka.tcp://clusterkernel@127.0.0.1:4000", "http://127.0.0.1:5050");
        yield return GetClusterState.Instance;
        yield return GetMetrics.Instance;
        var weights = new Dictionary<string, double> { ["eng"] = 2 };
        yield return new UpdateWeights(weights);
        yield return GetWeights.Instance;
        yield return new WeightsView(weights);
        yield return new UpdateQuota("eng", weights, new Dictionary<string, double> { ["cpus"] = 4 });
        yield return GetQuota.Instance;
        yield return new QuotaView(new[] { new RoleQuota("eng", weights, weights) });
        yield return new DeactivateAgent(new AgentId("a1"));
        yield return new ReactivateAgent(new AgentId("a1"));
        yield return new DrainAgent(new AgentId("a1"), 5, false);
        yield return new MarkAgentGone(new AgentId("a1"));
        yield return new UpdateMaintenance(new[] { "h1" }, true);
        yield return GetMaintenance.Instance;
        yield return new MaintenanceView(new[] { "h1" }, new[] { new AgentId("a1") }, Array.Empty<AgentId>(), Array.Empty<AgentId>());
        yield return OperatorResult.Refused("no");
        var reserved = Res.From(Res.Parse("cpus:1;disk:10").Select(r => r with
        {
            Role = "eng", Reservations = new[] { new ClusterKernel.Resources.ReservationInfo("DYNAMIC", "eng", "ops", new Dictionary<string, string> { ["k"] = "v" }) },
        }));
        var volume = Res.From(reserved.Where(r => r.Name == "disk").Select(r => r with { Disk = new ClusterKernel.Resources.DiskInfo("v1", "ops", "data") }));
        var opStatus = new OperationStatus("r1", OperationStates.Finished, null, new AgentId("a1"), Guid.NewGuid(), 1700000000);
        yield return new OperationStatusUpdate(opStatus);
        yield return new AcknowledgeOperationStatus(fid, new AgentId("a1"), "r1", Guid.NewGuid());
        yield return new ReconcileOperations(fid, new[] { "r1" });
        yield return GetOperations.Instance;
        yield return new OperationsView(new[] { new OperationView(fid, new AgentId("a1"), "RESERVE", opStatus) });
        yield return new ReserveResources(new AgentId("a1"), reserved);
        yield return new UnreserveResources(new AgentId("a1"), reserved);
        yield return new CreateVolumes(new AgentId("a1"), volume);
        yield return new DestroyVolumes(new AgentId("a1"), volume);
        yield return new OperatorConflict("busy");
        yield return new CheckpointResourcesOnAgent(volume);
        yield return new AcceptOffers(fid, new[] { new OfferId("o1") }, new OfferOperation[]
        {
            new ReserveOperation(reserved, "r1"), new CreateOperation(volume), new DestroyOperation(volume), new UnreserveOperation(reserved),
        }, null);
        yield return new MetricsSnapshot(new Dictionary<string, double> { ["allocator/mesos/allocation_run_ms"] = 1.5, ["master/elected"] = 1 });
        yield return new ClusterState("epoch-1", 1700000000, 1700000001.5,
            new[] { new AgentView(new AgentId("a1"), "h1", Res.Parse("cpus:4;mem:4096"), Res.Parse("cpus:1"), Res.Empty, new Dictionary<string, string>(), true, 1700000000) },
            new[] { new FrameworkView(fid, "fw", new[] { "*" }, true, false, 60, Res.Parse("cpus:1"), Res.Empty, 1700000000, 1700000002) },
            new[] { new TaskView(new TaskId("t1"), "web", fid, new AgentId("a1"), TaskState.TASK_RUNNING, Res.Parse("cpus:1"), new[] { Status }, "alpine:3") },
            new[] { Offer });
        foreach (var m in ExecutorSamples(fid, actor)) yield return m;
        foreach (var m in OperatorEventSamples(fid, actor)) yield return m;
    }

    [Fact]
    public void Every_protocol_message_type_has_a_round_trip_sample()
    {
        var covered = Samples_().Select(m => m.GetType()).ToHashSet();
        var all = typeof(IClusterMessage).Assembly.GetTypes()
            .Where(t => typeof(IClusterMessage).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface);
        Assert.Empty(all.Where(t => !covered.Contains(t)).Select(t => t.Name));
    }

    [Fact]
    public void Every_protocol_message_survives_the_cluster_serializer()
    {
        foreach (var message in Samples_())
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            // The per-task messages have the binary wire form (WireSerializerSpec), every other one JSON.
            Assert.IsType(WireSerializer.Manifests.ContainsKey(message.GetType()) ? typeof(WireSerializer) : typeof(ClusterMessageSerializer), serializer);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
            var bytes = serializer.ToBinary(message);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);

            Assert.IsType(message.GetType(), back);
            // Records compare lists by reference, so compare the JSON form of the copy with the original's.
            var json = new ClusterMessageSerializer((ExtendedActorSystem)Sys);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(json.ToBinary(message)), System.Text.Encoding.UTF8.GetString(json.ToBinary(back)));
        }
    }

    [Fact]
    public void Round_trip_keeps_actor_refs_resources_and_operations_usable()
    {
        var original = new AcceptOffers(new FrameworkId("f1"), new[] { new OfferId("o1") }, new OfferOperation[] { new LaunchOperation(new[] { Task }) }, null);
        var back = (AcceptOffers)RoundTrip(original);
        var task = Assert.Single(Assert.IsType<LaunchOperation>(Assert.Single(back.Operations)).TaskInfos);
        Assert.Equal(Task.Resources, task.Resources);
        Assert.Equal(Task.Command!.Environment, task.Command!.Environment);

        var subscribe = (SubscribeFramework)RoundTrip(new SubscribeFramework(Framework, TestActor));
        Assert.Equal(TestActor, subscribe.Framework);
        Assert.Equal(Framework.Id, subscribe.Info.Id);

        var update = (TaskStatusUpdate)RoundTrip(new TaskStatusUpdate(Status));
        Assert.Equal(Status, update.Status);
    }

    private object RoundTrip(object message)
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        return Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, serializer.Manifest(message));
    }
}
