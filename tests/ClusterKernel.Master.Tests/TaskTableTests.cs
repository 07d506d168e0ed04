using ClusterKernel.Protocol;
using Xunit;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master.Tests;

/// <summary>The snapshot's task list, built from <see cref="TaskTable"/> chunks, must equal a fresh walk of every task after any
/// mix of launches, status changes, completions and removals (chunks shared between snapshots must never go stale).</summary>
public sealed class TaskTableTests
{
    private static readonly FrameworkId Fw = new("fw-1");
    private static readonly AgentId Agent = new("agent-1");

    private static MasterState NewState()
    {
        var s = new MasterState(maxCompletedPerFramework: 50);
        s.Frameworks[Fw] = new FrameworkEntry { Id = Fw, Info = new FrameworkInfo { Name = "f" } };
        return s;
    }

    private static TaskInfo Task(int i) => new()
    {
        Name = "t", TaskId = new TaskId($"t{i}"), AgentId = Agent, Resources = ResourceBag.Parse("cpus:0.1;mem:32"),
        Command = new CommandInfo { Value = "sleep 1" },
    };

    private static IEnumerable<(string, TaskState, int)> Expected(MasterState s) =>
        s.Frameworks.Values.SelectMany(f => f.Tasks.Values.Concat(f.Completed))
            .Select(t => (t.Info.TaskId.Value, t.State, t.Statuses().Count)).OrderBy(x => x.Item1);

    private static IEnumerable<(string, TaskState, int)> Published(MasterState s) =>
        s.Snapshot("e", 0, 0, (_, _) => true).Tasks.Select(v => (v.Id.Value, v.State, v.Statuses.Count)).OrderBy(x => x.Item1);

    [Fact]
    public void Published_tasks_follow_every_change()
    {
        var s = NewState();
        var rng = new Random(7);
        var next = 0;
        for (var round = 0; round < 40; round++)
        {
            for (var i = rng.Next(0, 300); i > 0; i--) s.AddTask(Fw, Task(next++), TaskState.TASK_STAGING, round);
            var live = s.Frameworks[Fw].Tasks.Values.ToList();
            foreach (var t in live.Where(_ => rng.Next(4) == 0))
            {
                var state = rng.Next(3) == 0 ? TaskState.TASK_FINISHED : TaskState.TASK_RUNNING;
                s.ApplyStatus(Fw, new TaskStatus { TaskId = t.Info.TaskId, AgentId = Agent, State = state, Timestamp = round });
                if (state == TaskState.TASK_FINISHED && rng.Next(2) == 0) s.CompleteTask(Fw, t.Info.TaskId);
            }
            // Removal without completion (an agent that will re-register reports them again).
            foreach (var t in live.Where(_ => rng.Next(20) == 0)) s.Frameworks[Fw].Tasks.Remove(t.Info.TaskId);
            if (round % 3 == 0) Assert.Equal(Expected(s), Published(s));
        }
        Assert.Equal(Expected(s), Published(s));
        Assert.True(s.Frameworks[Fw].Tasks.Count > 512, "the test should cover more than one chunk");
    }

    [Fact]
    public void Unchanged_tasks_keep_their_published_view()
    {
        var s = NewState();
        for (var i = 0; i < 1200; i++) s.AddTask(Fw, Task(i), TaskState.TASK_STAGING, 0);
        var before = s.Snapshot("e", 0, 0, (_, _) => true).Tasks.ToDictionary(v => v.Id);
        s.ApplyStatus(Fw, new TaskStatus { TaskId = new TaskId("t5"), AgentId = Agent, State = TaskState.TASK_RUNNING, Timestamp = 1 });
        var after = s.Snapshot("e", 0, 0, (_, _) => true).Tasks.ToDictionary(v => v.Id);
        Assert.Equal(TaskState.TASK_RUNNING, after[new TaskId("t5")].State);
        Assert.Equal(TaskState.TASK_STAGING, before[new TaskId("t5")].State);
        Assert.Same(before[new TaskId("t6")], after[new TaskId("t6")]);
    }
}
