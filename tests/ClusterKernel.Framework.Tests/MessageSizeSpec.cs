using Akka.Serialization;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Framework.Tests;

/// <summary>The largest messages the master sends in bulk stay under Akka's default 128 kB frame (larger ones are dropped).</summary>
public sealed class MessageSizeSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(ProtocolConfig.DefaultConfig(), output: output)
{
    private const int DefaultFrame = 128_000;

    private int Size(object message) => ((SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message)).ToBinary(message).Length;

    [Fact]
    public void A_chunk_of_100_offers_of_a_scale_agent_fits_the_default_frame()
    {
        // The shape of `ck bench` agents, with ids as long as a master at 10,000 agents makes them.
        var offers = Enumerable.Range(0, 100).Select(i =>
            Samples.Offer($"b2b3dfd3f996-O{1_000_000 + i}", "cpus:8;mem:32768;disk:100000;ports:[31000-32000]", "bench-2", $"b2b3dfd3f996-S{9000 + i}-312cb3")
                with { Hostname = $"sim-{9000 + i}" }).ToList();
        var size = Size(new ResourceOffers(offers));
        output.WriteLine($"100 offers: {size} bytes");
        Assert.True(size < DefaultFrame, $"{size} bytes");
    }

    [Fact]
    public void A_batch_of_100_status_updates_fits_the_default_frame()
    {
        var updates = Enumerable.Range(0, 100).Select(i => new StatusUpdate(new FrameworkId("b2b3dfd3f996-0001"), new TaskStatus
        {
            TaskId = new TaskId($"bench7-{i:D6}"), State = TaskState.TASK_RUNNING, AgentId = new AgentId("b2b3dfd3f996-S9000-312cb3"),
            ExecutorId = new ExecutorId($"bench7-{i:D6}"), Uuid = Guid.NewGuid(), Message = "Command exited with status 0",
        })).ToList();
        var size = Size(new StatusUpdates(updates));
        output.WriteLine($"100 updates: {size} bytes");
        Assert.True(size < DefaultFrame, $"{size} bytes");
    }
}
