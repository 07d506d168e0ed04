using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

// Hooks for the operator event stream, and the published views of single entries. The hooks are null while nobody
// subscribes, so the scheduling path pays one null check per task change.
public sealed partial class MasterState
{
    /// <summary>Called after a task is added (launched or reported by an agent).</summary>
    public Action<TaskEntry>? TaskAdded { get; set; }

    /// <summary>Called after a status changed a task's state (repeated updates with the same state do not call it).</summary>
    public Action<TaskEntry>? TaskStateChanged { get; set; }

    public static TaskView ViewOf(TaskEntry t) => t.View ??= new TaskView(t.Info.TaskId, t.Info.Name, t.FrameworkId,
        t.AgentId, t.State, t.Info.Resources, t.Statuses(), t.Info.Container?.DockerImage);

    public static FrameworkView ViewOf(FrameworkEntry f) => new(f.Id, f.Info.Name, f.Info.Roles, f.Connected, f.Connected,
        f.Info.FailoverTimeout, f.Used, f.Offered, f.RegisteredTime, f.UnregisteredTime);

    /// <param name="available">Whether the operator lets the agent take offers (as in <see cref="Snapshot"/>).</param>
    public static AgentView ViewOf(AgentEntry a, bool available) => new(a.Id, a.Info.Hostname, a.Info.Resources, a.Used, a.Offered,
        a.Info.Attributes, a.Connected && available, a.RegisteredTime);
}
