using Akka.Actor;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

public sealed partial class ProtocolSerializationSpec
{
    /// <summary>Samples of OperatorEventMessages.cs (the pushed operator event stream) and a FrameworkInfo with offer constraints.</summary>
    private static IEnumerable<IClusterMessage> OperatorEventSamples(FrameworkId fid, IActorRef actor)
    {
        var agent = new AgentView(new AgentId("a1"), "h1", Res.Parse("cpus:4;mem:4096"), Res.Parse("cpus:1"), Res.Empty, new Dictionary<string, string> { ["rack"] = "a" }, true, 1700000000);
        var framework = new FrameworkView(fid, "fw", new[] { "*" }, true, true, 60, Res.Parse("cpus:1"), Res.Empty, 1700000000, null);
        var status = new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, AgentId = new AgentId("a1"), Uuid = Guid.NewGuid(), Timestamp = 1700000000.5 };
        var state = new ClusterState("epoch-1", 1700000000, 1700000001, new[] { agent }, new[] { framework },
            new[] { new TaskView(new TaskId("t1"), "web", fid, new AgentId("a1"), TaskState.TASK_RUNNING, Res.Parse("cpus:1"), new[] { status }, null) }, Array.Empty<Offer>())
        {
            Executors = new[] { new ExecutorView(fid, new AgentId("a1"), new ExecutorInfo { ExecutorId = new ExecutorId("e1"), Name = "g", Resources = Res.Parse("cpus:0.1") }, new[] { new TaskId("t1") }) },
            CompletedFrameworks = new[]
            {
                new CompletedFrameworkView(framework with { Id = new FrameworkId("gone"), Active = false, Connected = false, UnregisteredTime = 1700000002 },
                    new[] { new TaskView(new TaskId("g1"), "g1", new FrameworkId("gone"), new AgentId("a1"), TaskState.TASK_KILLED, Res.Parse("cpus:1"), new[] { status with { TaskId = new TaskId("g1"), State = TaskState.TASK_KILLED } }, null) }),
            },
        };
        var maintenance = new MaintenanceView(new[] { "h2" }, new[] { new AgentId("a1") }, Array.Empty<AgentId>(), Array.Empty<AgentId>());
        yield return new SubscribeOperatorEvents(actor);
        yield return new UnsubscribeOperatorEvents(actor);
        yield return new OperatorSubscribed(state, maintenance, actor);
        yield return new OperatorTaskAdded(state.Tasks[0]);
        yield return new OperatorTaskUpdated(fid, status, TaskState.TASK_RUNNING);
        yield return new OperatorAgentAdded(agent, new AgentOperatorState(false, false, false));
        yield return new OperatorAgentUpdated(agent, new AgentOperatorState(true, true, false));
        yield return new OperatorAgentRemoved(new AgentId("a1"));
        yield return new OperatorFrameworkAdded(framework);
        yield return new OperatorFrameworkUpdated(framework);
        yield return new OperatorFrameworkRemoved(framework);
        var constraints = new OfferConstraints(new Dictionary<string, IReadOnlyList<AttributeConstraintGroup>>
        {
            ["*"] = new[]
            {
                new AttributeConstraintGroup(new[]
                {
                    new AttributeConstraint("rack", null, AttributePredicateKind.TextMatches, "a|b"),
                    new AttributeConstraint(null, Pseudoattribute.Hostname, AttributePredicateKind.Exists),
                }),
            },
        });
        yield return new SubscribeFramework(new FrameworkInfo { Name = "constrained", OfferConstraints = constraints }, actor);
    }
}
