using Akka.Configuration;

namespace ClusterKernel.Protocol;

public static class ProtocolConfig
{
    /// <summary>The embedded serialization config every ClusterKernel node needs.</summary>
    public static Config DefaultConfig()
    {
        using var s = typeof(ProtocolConfig).Assembly.GetManifestResourceStream("ClusterKernel.Protocol.reference.conf")!;
        using var r = new StreamReader(s);
        return ConfigurationFactory.ParseString(r.ReadToEnd());
    }
}
