using ClusterKernel.Protocol;
using Xunit;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests;

/// <summary>The task checkpoint on disk (meta/tasks) and the table's change tracking that drives it.</summary>
public sealed class AgentCheckpointTests : IDisposable
{
    private readonly TempDir _work = new();
    private static readonly AgentId Agent = new("agent-1");

    private static AgentTask NewTask(string id) => new()
    {
        FrameworkId = new FrameworkId("fw-1"),
        Info = new TaskInfo
        {
            Name = id, TaskId = new TaskId(id), AgentId = Agent, Resources = ResourceBag.Parse("cpus:0.5;mem:64;ports:[31000-31001]"),
            Command = new CommandInfo { Value = "sleep 300" },
        },
        ContainerId = "c-" + Guid.NewGuid().ToString("N"), Sandbox = "/tmp/sandbox/" + id, Containerizer = "process",
    };

    [Fact]
    public void A_task_round_trips_with_its_state_and_unacknowledged_updates()
    {
        var table = new AgentTaskTable(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        var task = NewTask("t1");
        table.Add(task);
        table.Update(task.Info.TaskId, TaskState.TASK_STARTING, Agent, DateTimeOffset.UtcNow);
        table.Update(task.Info.TaskId, TaskState.TASK_RUNNING, Agent, DateTimeOffset.UtcNow, "up");
        task.Launched = true;
        task.KillRequested = true;
        task.KillGrace = TimeSpan.FromSeconds(2.5);

        AgentCheckpoint.WriteTask(_work.Path, TaskCheckpoint.Of(task));
        var read = Assert.Single(AgentCheckpoint.ReadTasks(_work.Path)).ToTask();

        Assert.Equal(task.FrameworkId, read.FrameworkId);
        Assert.Equal(task.Info.TaskId, read.Info.TaskId);
        Assert.Equal(task.Info.Resources.ToString(), read.Info.Resources.ToString());
        Assert.Equal("sleep 300", read.Info.Command!.Value);
        Assert.Equal(task.ContainerId, read.ContainerId);
        Assert.Equal(task.Sandbox, read.Sandbox);
        Assert.Equal("process", read.Containerizer);
        Assert.Equal(TaskState.TASK_RUNNING, read.State);
        Assert.True(read.Launched);
        Assert.True(read.KillRequested);
        Assert.Equal(TimeSpan.FromSeconds(2.5), read.KillGrace);
        Assert.Equal(task.Unacknowledged.Select(u => (u.State, u.Uuid, u.Message)), read.Unacknowledged.Select(u => (u.State, u.Uuid, u.Message)));
        Assert.Empty(Directory.GetFiles(AgentCheckpoint.TasksDir(_work.Path), "*.tmp"));
    }

    [Fact]
    public void A_corrupt_or_truncated_file_is_reported_renamed_and_skipped()
    {
        var good = NewTask("good");
        AgentCheckpoint.WriteTask(_work.Path, TaskCheckpoint.Of(good));
        var dir = AgentCheckpoint.TasksDir(_work.Path);
        File.WriteAllText(Path.Combine(dir, "bad.json"), "{\"framework_id\": {\"val");
        File.WriteAllText(Path.Combine(dir, "empty.json"), "");
        File.WriteAllText(Path.Combine(dir, "incomplete.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "half.json.tmp"), "{");
        var reported = new List<string>();

        var tasks = AgentCheckpoint.ReadTasks(_work.Path, (file, _) => reported.Add(Path.GetFileName(file)));

        Assert.Equal(new TaskId("good"), Assert.Single(tasks).Info.TaskId);
        Assert.Equal(new[] { "bad.json", "empty.json", "incomplete.json" }, reported.Order());
        Assert.True(File.Exists(Path.Combine(dir, "bad.json.corrupt")));
        Assert.False(File.Exists(Path.Combine(dir, "half.json.tmp")));
        // Read again: the corrupt files are not reported twice.
        reported.Clear();
        Assert.Single(AgentCheckpoint.ReadTasks(_work.Path, (file, _) => reported.Add(file)));
        Assert.Empty(reported);
    }

    [Fact]
    public void No_checkpoint_directory_means_no_tasks()
    {
        Assert.Empty(AgentCheckpoint.ReadTasks(Path.Combine(_work.Path, "nowhere")));
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("spaces and ümlauts")]
    public void Any_task_id_becomes_one_file_inside_the_tasks_directory(string id)
    {
        var file = AgentCheckpoint.TaskFile(_work.Path, new TaskId(id));
        Assert.Equal(AgentCheckpoint.TasksDir(_work.Path), Path.GetDirectoryName(file));
        Assert.False(Path.GetFileName(file).StartsWith('.'));
        AgentCheckpoint.WriteTask(_work.Path, TaskCheckpoint.Of(NewTask(id)));
        Assert.Equal(new TaskId(id), Assert.Single(AgentCheckpoint.ReadTasks(_work.Path)).Info.TaskId);
        AgentCheckpoint.RemoveTask(_work.Path, new TaskId(id));
        Assert.Empty(AgentCheckpoint.ReadTasks(_work.Path));
    }

    [Fact]
    public void A_very_long_task_id_is_hashed_into_a_file_name()
    {
        var id = new string('x', 1000);
        Assert.True(Path.GetFileName(AgentCheckpoint.TaskFile(_work.Path, new TaskId(id))).Length < 255);
        AgentCheckpoint.WriteTask(_work.Path, TaskCheckpoint.Of(NewTask(id)));
        Assert.Equal(id, Assert.Single(AgentCheckpoint.ReadTasks(_work.Path)).Info.TaskId.Value);
    }

    [Fact]
    public void The_table_reports_changed_tasks_and_those_that_left_it()
    {
        var table = new AgentTaskTable(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4));
        var task = NewTask("t1");
        table.Add(task);
        Assert.Equal(new TaskId("t1"), Assert.Single(table.TakeChanged()).Task!.Info.TaskId);
        Assert.Empty(table.TakeChanged());

        var finished = table.Update(task.Info.TaskId, TaskState.TASK_FINISHED, Agent, DateTimeOffset.UtcNow)!;
        Assert.Single(table.TakeChanged());
        table.DueForRetry(DateTimeOffset.UtcNow.AddMinutes(1)); // retry bookkeeping is not checkpointed
        Assert.Empty(table.TakeChanged());

        table.Acknowledge(task.Info.TaskId, finished.Uuid!.Value, DateTimeOffset.UtcNow);
        var (id, left) = Assert.Single(table.TakeChanged());
        Assert.Equal(new TaskId("t1"), id);
        Assert.Null(left); // terminal and acknowledged: the file is to be removed
    }

    public void Dispose() => _work.Dispose();
}
