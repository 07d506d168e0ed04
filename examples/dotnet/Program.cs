// A framework written as an actor on ClusterKernel's SDK. It joins a running cluster (`ck up`, cluster port 5051) as a node
// with neither the master nor the agent role, launches one task group (two shell commands that start and die together
// under one DEFAULT executor), renames itself with UPDATE_FRAMEWORK, reconciles, accepts any inverse offer, and tears down.
//
//   dotnet run --project src/ClusterKernel.Cli -- up                       # terminal 1
//   dotnet run --project examples/dotnet -- 127.0.0.1:5051                  # terminal 2
using Akka.Actor;
using ClusterKernel;
using ClusterKernel.Framework;
using ClusterKernel.Hosting;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;
using TaskStatus = ClusterKernel.TaskStatus;

var seed = args.Length > 0 ? args[0] : "127.0.0.1:5051";
await using var node = await ClusterNode.StartAsync(new NodeOptions
{
    Seeds = new[] { seed }, HttpUrl = null, DataDir = Path.Combine(Path.GetTempPath(), "ck-group-framework"),
});
var done = new TaskCompletionSource<int>();
node.System.ActorOf(Props.Create(() => new GroupFramework(node.MasterProxy, done)), "group-framework");
var exit = await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
Console.WriteLine(exit == 0 ? "done" : "failed");
return exit;

/// <summary>Launches one task group of two tasks and reports what happens to them.</summary>
internal sealed class GroupFramework : FrameworkActor
{
    private static readonly ExecutorInfo Executor = new() { ExecutorId = new ExecutorId("example-group"), Resources = Res.Parse("cpus:0.1;mem:32") };
    private readonly TaskCompletionSource<int> _done;
    private readonly Dictionary<TaskId, TaskState> _tasks = new();
    private bool _launched;

    public GroupFramework(IActorRef master, TaskCompletionSource<int> done)
        : base(new FrameworkInfo { Name = "dotnet-group-example", FailoverTimeout = 60, Capabilities = new[] { FrameworkCapabilities.MultiRole } }, master)
    {
        _done = done;
    }

    protected override void OnRegistered(FrameworkId id) => Console.WriteLine($"subscribed as {id}");

    protected override void OnResourceOffers(IReadOnlyList<Offer> offers)
    {
        var need = Executor.Resources + Res.Parse("cpus:0.2;mem:64");
        var offer = offers.FirstOrDefault(o => !_launched && o.Resources.Contains(need));
        if (offer is not null)
        {
            _launched = true;
            var tasks = new[] { "one", "two" }.Select(n => new TaskInfo
            {
                Name = n, TaskId = new TaskId($"group-{n}-{Guid.NewGuid():N}"[..20]), AgentId = offer.AgentId,
                Resources = Res.Parse("cpus:0.1;mem:32"), Command = new CommandInfo { Value = $"echo {n}; sleep 2" },
            }).ToList();
            foreach (var t in tasks) _tasks[t.TaskId] = TaskState.TASK_STAGING;
            Console.WriteLine($"launching group {Executor.ExecutorId} on {offer.Hostname}: {string.Join(", ", tasks.Select(t => t.TaskId))}");
            LaunchGroup(offer, Executor, tasks);
        }
        Decline(offers.Where(o => o != offer).Select(o => o.Id).ToList());
    }

    protected override void OnStatusUpdate(TaskStatus status)
    {
        Console.WriteLine($"{status.TaskId}: {status.State}{(status.Message is { } m ? " (" + m + ")" : "")}");
        _tasks[status.TaskId] = status.State;
        if (_tasks.Count > 0 && _tasks.Values.All(s => s.IsTerminal()) && status.Reason != Reasons.Reconciliation)
        {
            // Both ended: rename the framework (UPDATE_FRAMEWORK), then ask the master what it knows (RECONCILE).
            UpdateFramework(Info with { Name = "dotnet-group-example (done)" });
            Reconcile(Array.Empty<ReconcileTask>());
        }
    }

    protected override void OnExecutorLost(ExecutorId executorId, AgentId agentId, int status) =>
        Console.WriteLine($"executor {executorId} on {agentId} exited with status {status}");

    protected override void OnFrameworkUpdated(bool ok, string? error)
    {
        Console.WriteLine(ok ? $"renamed to '{Info.Name}'" : $"UPDATE_FRAMEWORK refused: {error}");
        Teardown();
        _done.TrySetResult(_tasks.Values.All(s => s == TaskState.TASK_FINISHED) ? 0 : 1);
    }

    protected override void OnInverseOffers(IReadOnlyList<InverseOffer> offers)
    {
        Console.WriteLine($"maintenance scheduled on {string.Join(", ", offers.Select(o => o.Hostname))}: accepting");
        AcceptInverseOffers(offers.Select(o => o.Id).ToList());
    }

    protected override void OnError(string message)
    {
        Console.WriteLine($"error: {message}");
        _done.TrySetResult(1);
    }
}
