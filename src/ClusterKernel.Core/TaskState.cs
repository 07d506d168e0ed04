namespace ClusterKernel;

/// <summary>Mesos' task states with Mesos' numbers (mesos.proto TaskState), so v1 protobuf and JSON match.</summary>
public enum TaskState
{
    TASK_STARTING = 0,
    TASK_RUNNING = 1,
    TASK_FINISHED = 2,
    TASK_FAILED = 3,
    TASK_KILLED = 4,
    TASK_LOST = 5,
    TASK_STAGING = 6,
    TASK_ERROR = 7,
    TASK_KILLING = 8,
    TASK_DROPPED = 9,
    TASK_UNREACHABLE = 10,
    TASK_GONE = 11,
    TASK_GONE_BY_OPERATOR = 12,
    TASK_UNKNOWN = 13,
}

public static class TaskStates
{
    /// <summary>States after which a task never runs again (TASK_LOST counts: Mesos treats it as terminal for non-partition-aware frameworks).</summary>
    public static bool IsTerminal(this TaskState s) => s is TaskState.TASK_FINISHED or TaskState.TASK_FAILED or TaskState.TASK_KILLED
        or TaskState.TASK_ERROR or TaskState.TASK_LOST or TaskState.TASK_DROPPED or TaskState.TASK_GONE or TaskState.TASK_GONE_BY_OPERATOR;

    /// <summary>Whether an agent-side task may move from <paramref name="from"/> to <paramref name="to"/>. Terminal states are final;
    /// UNREACHABLE (master-side) may return to RUNNING when the agent comes back.</summary>
    public static bool CanTransition(TaskState from, TaskState to)
    {
        if (from == to) return from is TaskState.TASK_RUNNING; // repeated RUNNING (e.g. health) is allowed
        if (from.IsTerminal()) return false;
        return from switch
        {
            TaskState.TASK_STAGING => true,
            TaskState.TASK_STARTING => to != TaskState.TASK_STAGING,
            TaskState.TASK_RUNNING => to is not (TaskState.TASK_STAGING or TaskState.TASK_STARTING),
            TaskState.TASK_KILLING => to.IsTerminal(),
            TaskState.TASK_UNREACHABLE => to is TaskState.TASK_RUNNING || to.IsTerminal(),
            _ => true,
        };
    }
}

/// <summary>Where a status update comes from (TaskStatus.Source).</summary>
public enum StatusSource { SOURCE_MASTER = 0, SOURCE_AGENT = 1, SOURCE_EXECUTOR = 2 }

/// <summary>The TaskStatus.Reason values ClusterKernel sends, named as in mesos.proto.</summary>
public static class Reasons
{
    public const string CommandExecutorFailed = "REASON_COMMAND_EXECUTOR_FAILED";
    public const string ContainerLaunchFailed = "REASON_CONTAINER_LAUNCH_FAILED";
    public const string ContainerLimitation = "REASON_CONTAINER_LIMITATION_MEMORY";
    public const string TaskInvalid = "REASON_TASK_INVALID";
    public const string InvalidOffers = "REASON_INVALID_OFFERS";
    public const string AgentRemoved = "REASON_AGENT_REMOVED";
    public const string AgentRemovedByOperator = "REASON_AGENT_REMOVED_BY_OPERATOR";
    public const string AgentUnknown = "REASON_AGENT_UNKNOWN";
    public const string AgentDisconnected = "REASON_AGENT_DISCONNECTED";
    public const string AgentReregistered = "REASON_AGENT_REREGISTERED";
    public const string TaskUnknown = "REASON_TASK_UNKNOWN";
    public const string Reconciliation = "REASON_RECONCILIATION";
    public const string TaskKilledDuringLaunch = "REASON_TASK_KILLED_DURING_LAUNCH";
    public const string FrameworkRemoved = "REASON_FRAMEWORK_REMOVED";
    public const string ExecutorTerminated = "REASON_EXECUTOR_TERMINATED";
    public const string AgentRestarted = "REASON_AGENT_RESTARTED";
    // Mesos v1 TaskStatus.Reason 17: the task was killed to free resources for a higher-priority role.
    public const string Preempted = "REASON_CONTAINER_PREEMPTED";
    public const string TaskGroupInvalid = "REASON_TASK_GROUP_INVALID";
    public const string TaskHealthCheckStatusUpdated = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED";
}
