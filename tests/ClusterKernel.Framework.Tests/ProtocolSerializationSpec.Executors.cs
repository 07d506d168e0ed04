using Akka.Actor;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

public sealed partial class ProtocolSerializationSpec
{
    /// <summary>Samples of ExecutorMessages.cs (task groups, UPDATE_FRAMEWORK, MESSAGE, FAILURE, inverse offers).</summary>
    private static IEnumerable<IClusterMessage> ExecutorSamples(FrameworkId fid, IActorRef actor)
    {
        var executor = new ExecutorInfo { ExecutorId = new ExecutorId("e1"), Resources = Res.Parse("cpus:0.1;mem:32"), FrameworkId = fid };
        yield return new AcceptOffers(fid, new[] { new OfferId("o1") }, new OfferOperation[] { new LaunchGroupOperation(executor, new[] { Task }) }, null);
        yield return new RunTasks(fid, Framework, new[] { Task with { Executor = executor } });
        yield return new UpdateFramework(fid, Framework, new[] { "*" }, actor);
        yield return new FrameworkUpdateResult(false, "no");
        yield return new FrameworkToExecutorMessage(fid, new AgentId("a1"), new ExecutorId("e1"), new byte[] { 1, 2, 3 });
        yield return new ExecutorToFrameworkMessage(fid, new AgentId("a1"), new ExecutorId("e1"), new byte[] { 4 });
        yield return new RespondInverseOffers(fid, new[] { new OfferId("i1") }, true, new Filters { RefuseSeconds = 3 });
        yield return new FrameworkFailure(new AgentId("a1"), new ExecutorId("e1"), 1);
        yield return new FrameworkFailure(new AgentId("a1"), null, null);
        yield return new InverseOffers(new[] { new InverseOffer(new OfferId("i1"), fid, new AgentId("a1"), "h1", 1700000000, null) });
        yield return new InverseOfferRescinded(new OfferId("i1"));
        yield return new ExecutorExited(fid, new AgentId("a1"), new ExecutorId("e1"), 0);
        var windows = new[] { new MaintenanceWindow(new[] { "h1" }, 1700000000, 3600) };
        yield return new UpdateMaintenanceSchedule(windows);
        yield return new MaintenanceView(new[] { "h1" }, Array.Empty<AgentId>(), Array.Empty<AgentId>(), Array.Empty<AgentId>())
        {
            Schedule = windows, InverseOfferStatuses = new[] { new InverseOfferStatus("h1", new AgentId("a1"), fid, "ACCEPT", 1700000000) },
        };
    }
}
