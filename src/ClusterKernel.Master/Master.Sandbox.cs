using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

public sealed partial class Master
{
    /// <summary>/files/browse and /files/download: the task's agent answers the asker directly.</summary>
    private void OnSandboxRequest(ISandboxRequest m)
    {
        if (_state.FindTask(m.FrameworkId, m.TaskId) is { } t && _agentRefs.TryGetValue(t.AgentId, out var agent)) agent.Forward(m);
        else Sender.Tell(m.Unavailable($"Task {m.TaskId} of framework {m.FrameworkId} is not on a connected agent"));
    }
}
