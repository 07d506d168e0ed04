using Akka.Actor;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

public sealed partial class Master
{
    /// <summary>Answered by whichever node hosts the singleton: that is the leader (see Api LeaderRedirect).</summary>
    private void OnGetLeaderInfo() =>
        Sender.Tell(new LeaderInfo(Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString(), NodeHttpEndpoint.Get(Context.System).Url));
}
