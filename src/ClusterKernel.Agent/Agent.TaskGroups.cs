using System.Text;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;

namespace ClusterKernel.Agent;

// Task groups, as Mesos' default executor runs them: each task of the group is its own container (the containerizer decides
// process or Docker), all become RUNNING once every one of them is launched, and they die together: a task that fails or is
// killed, or a KILL of any one of them, kills the rest. When the last one ends the executor has exited: the master is told
// (ExecutorExited), and the framework gets FAILURE with the executor's status.
public sealed partial class Agent
{
    /// <summary>Executor exit status reported in FAILURE: 0 when every task finished, else 1 (Mesos' default executor exits non-zero then).</summary>
    private const int ExecutorFailedStatus = 1;

    private void StartGroupIfLaunched(AgentTask task)
    {
        var group = _tasks.Group(task);
        if (group.Any(t => !t.State.IsTerminal() && !t.Launched)) return; // the others are still starting
        foreach (var t in group.Where(t => t.State is TaskState.TASK_STAGING or TaskState.TASK_STARTING && !t.KillRequested))
            Update(t.Info.TaskId, TaskState.TASK_RUNNING);
    }

    private void KillWithGroup(TaskId id, double? graceSeconds)
    {
        if (_tasks.Find(id) is { Info.Executor: not null } task)
            foreach (var t in _tasks.Group(task)) Kill(t.Info.TaskId, graceSeconds);
        else Kill(id, graceSeconds);
    }

    private void OnGroupTaskEnded(AgentTask task, AgentId agentId)
    {
        var group = _tasks.Group(task);
        if (task.State != TaskState.TASK_FINISHED)
            foreach (var t in group.Where(t => !t.State.IsTerminal() && !t.KillRequested))
            {
                _log.Info("Killing task {0}: task {1} of its group ended {2}", t.Info.TaskId, task.Info.TaskId, task.State);
                Kill(t.Info.TaskId, null);
            }
        if (group.All(t => t.State.IsTerminal()))
        {
            var status = group.All(t => t.State == TaskState.TASK_FINISHED) ? 0 : ExecutorFailedStatus;
            var target = _master.IsNobody() ? _masterProxy : _master;
            target.Tell(new ExecutorExited(task.FrameworkId, agentId, task.Info.Executor!.ExecutorId, status));
        }
    }

    /// <summary>
    /// MESSAGE from a framework to an executor. ClusterKernel runs no custom executors (command tasks and the built-in default
    /// executor do not read messages), so the agent logs it and appends it to <c>executor_messages.log</c> in the sandbox of the
    /// executor's first task, where /files/read shows it.
    /// </summary>
    private void OnFrameworkMessage(FrameworkToExecutorMessage m)
    {
        var task = _tasks.Tasks.FirstOrDefault(t => t.FrameworkId == m.FrameworkId &&
            (t.Info.Executor?.ExecutorId ?? new ExecutorId(t.Info.TaskId.Value)) == m.ExecutorId);
        if (task is null) { _log.Warning("Dropping MESSAGE of framework {0}: no executor {1} on this agent", m.FrameworkId, m.ExecutorId); return; }
        _log.Info("MESSAGE of framework {0} for executor {1}: {2} bytes", m.FrameworkId, m.ExecutorId, m.Data.Length);
        try
        {
            Directory.CreateDirectory(task.Sandbox);
            File.AppendAllText(Path.Combine(task.Sandbox, "executor_messages.log"), Encoding.UTF8.GetString(m.Data) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _log.Warning("Cannot record MESSAGE: {0}", e.Message); }
    }
}
