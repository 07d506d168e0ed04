using Akka.Configuration;

namespace ClusterKernel.Protocol;

/// <summary>Reads a module's embedded reference config (the DefaultConfig() of each module).</summary>
public static class EmbeddedConfig
{
    public static Config Load(Type anchor, string resourceName)
    {
        using var s = anchor.Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"{resourceName} is not embedded in {anchor.Assembly.GetName().Name}");
        using var r = new StreamReader(s);
        return ConfigurationFactory.ParseString(r.ReadToEnd());
    }
}
