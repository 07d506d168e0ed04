using Akka.Actor;

namespace ClusterKernel.Master;

/// <summary>A registry change that could not be written: the registry's database does not answer.</summary>
public sealed class RegistryUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Whether this node's master last failed on its registry (a journal write or recovery failed) and has not recovered since.
/// While the master is down for that reason, callers whose asks time out can be told the registry is the cause, not the master.
/// Per ActorSystem (an extension), since ClusterNode restarts ActorSystems in one process.
/// </summary>
public sealed class RegistryHealth : IExtension
{
    private volatile string? _unavailable;

    /// <summary>Null while the registry works; else a one-line reason, e.g. "the registry (PostgreSQL) is unavailable: …".</summary>
    public string? Unavailable => _unavailable;

    public void Failed(string reason) => _unavailable = reason;
    public void Recovered() => _unavailable = null;

    public static RegistryHealth Get(ActorSystem system) => system.WithExtension<RegistryHealth, RegistryHealthProvider>();

    /// <summary>"PostgreSQL" or "SQLite", from the SQL journal's provider name; the plugin id otherwise.</summary>
    public static string Describe(ActorSystem system, string journalPluginId)
    {
        var provider = system.Settings.Config.GetString(journalPluginId + ".provider-name", "");
        return provider.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase) ? "PostgreSQL"
            : provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase) ? "SQLite"
            : string.IsNullOrEmpty(provider) ? journalPluginId : provider;
    }
}

public sealed class RegistryHealthProvider : ExtensionIdProvider<RegistryHealth>
{
    public override RegistryHealth CreateExtension(ExtendedActorSystem system) => new();
}
