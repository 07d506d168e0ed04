using System.Diagnostics;
using Akka.Actor;
using Akka.Serialization;
using BenchmarkDotNet.Attributes;
using ClusterKernel.Protocol;
using ClusterKernel.Protocol.Serialization;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Benchmarks;

/// <summary>
/// Serialize + deserialize of the two largest per-task messages of `ck bench` (a RunTasks of 80 tasks, a StatusUpdates of 80),
/// JSON (<see cref="ClusterMessageSerializer"/>) vs the binary wire form (<see cref="WireSerializer"/>). `wire` runs a quick
/// Stopwatch + CPU-time loop; the BenchmarkDotNet class gives allocations too.
/// </summary>
[MemoryDiagnoser]
public class WireBenchmarks
{
    private static readonly ActorSystem System = ActorSystem.Create("wire-bench", ProtocolConfig.DefaultConfig());
    public static readonly SerializerWithStringManifest Json = new ClusterMessageSerializer((ExtendedActorSystem)System);
    public static readonly SerializerWithStringManifest Wire = new WireSerializer((ExtendedActorSystem)System);

    /// <summary>What the master sends an agent after one bench ACCEPT (ids shaped as at 10,000 agents).</summary>
    public static readonly RunTasks RunTasks = new(new FrameworkId("b2b3dfd3f996-0001"),
        new FrameworkInfo { Name = "bench-3", Id = new FrameworkId("b2b3dfd3f996-0001"), Roles = new[] { "bench-2" }, FailoverTimeout = 3600 },
        Enumerable.Range(0, 80).Select(i => new TaskInfo
        {
            TaskId = new TaskId($"bench3-{i:D6}"), Name = $"bench3-{i:D6}", AgentId = new AgentId("b2b3dfd3f996-S9000-312cb3"),
            Resources = Res.Parse("cpus:0.1;mem:32"), Command = new CommandInfo { Value = "sleep 3600", Shell = true },
        }).ToList());

    /// <summary>The STARTING updates an agent sends for that RunTasks.</summary>
    public static readonly StatusUpdates StatusUpdates = new(Enumerable.Range(0, 80).Select(i => new StatusUpdate(new FrameworkId("b2b3dfd3f996-0001"), new TaskStatus
    {
        TaskId = new TaskId($"bench3-{i:D6}"), State = TaskState.TASK_STARTING, AgentId = new AgentId("b2b3dfd3f996-S9000-312cb3"),
        ExecutorId = new ExecutorId($"bench3-{i:D6}"), Uuid = Guid.NewGuid(), Source = StatusSource.SOURCE_AGENT, Timestamp = 1764790000.123,
    })).ToList());

    private static object RoundTrip(SerializerWithStringManifest s, object m) => s.FromBinary(s.ToBinary(m), s.Manifest(m));

    [Benchmark] public object RunTasksJson() => RoundTrip(Json, RunTasks);
    [Benchmark] public object RunTasksWire() => RoundTrip(Wire, RunTasks);
    [Benchmark] public object StatusUpdatesJson() => RoundTrip(Json, StatusUpdates);
    [Benchmark] public object StatusUpdatesWire() => RoundTrip(Wire, StatusUpdates);

    public static void RunQuick()
    {
        Console.WriteLine($"{"message",-22} {"format",-6} {"bytes",8} {"µs wall",10} {"µs CPU",10}  (serialize + deserialize, mean of the best of 5 rounds)");
        foreach (var (name, m) in new (string, object)[] { ("RunTasks (80 tasks)", RunTasks), ("StatusUpdates (80)", StatusUpdates) })
        foreach (var (fmt, s) in new[] { ("json", Json), ("wire", Wire) })
        {
            var bytes = s.ToBinary(m).Length;
            for (var i = 0; i < 200; i++) RoundTrip(s, m); // warm up (tiered JIT)
            double bestWall = double.MaxValue, bestCpu = double.MaxValue;
            const int n = 500;
            for (var round = 0; round < 5; round++)
            {
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < n; i++) RoundTrip(s, m);
                sw.Stop();
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / n;
                bestWall = Math.Min(bestWall, sw.Elapsed.TotalMicroseconds / n);
                bestCpu = Math.Min(bestCpu, cpu);
            }
            Console.WriteLine($"{name,-22} {fmt,-6} {bytes,8} {bestWall,10:F1} {bestCpu,10:F1}");
        }
        System.Terminate().Wait();
    }
}
