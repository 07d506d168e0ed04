using Akka.Actor;

namespace ClusterKernel.Master;

/// <summary>This node's HTTP API address, set by the host once Kestrel listens (port 0 is known only then); the master
/// singleton reports it in <see cref="Protocol.LeaderInfo"/> so that the other master nodes can redirect to it.</summary>
public sealed class NodeHttpEndpoint : IExtension
{
    private volatile string? _url;
    public string? Url { get => _url; set => _url = value; }

    public static NodeHttpEndpoint Get(ActorSystem system) => system.WithExtension<NodeHttpEndpoint, Provider>();

    public sealed class Provider : ExtensionIdProvider<NodeHttpEndpoint>
    {
        public override NodeHttpEndpoint CreateExtension(ExtendedActorSystem system) => new();
    }
}
