using Akka.Configuration;

namespace ClusterKernel.Protocol;

public static class ProtocolConfig
{
    /// <summary>The embedded serialization config every ClusterKernel node needs.</summary>
    public static Config DefaultConfig() => EmbeddedConfig.Load(typeof(ProtocolConfig), "ClusterKernel.Protocol.reference.conf");
}
