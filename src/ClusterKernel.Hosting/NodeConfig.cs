using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Persistence.Sql;
using ClusterKernel.Agent;
using ClusterKernel.Master;
using ClusterKernel.Protocol;

namespace ClusterKernel.Hosting;

/// <summary>
/// Builds a node's configuration: options (highest), then hocon/ files for the node's roles and persistence, then each module's
/// embedded reference config (lowest) — the layering akka.net's own modules use.
/// </summary>
public static class NodeConfig
{
    public static Config Build(NodeOptions o)
    {
        var roles = new List<string>();
        if (o.Master) roles.Add("master");
        if (o.Agent) roles.Add("agent");
        var self = $"{o.Host}:{o.Port}";
        var seeds = o.Seeds.Count > 0 ? o.Seeds : (o.Master && o.Port != 0 ? new[] { self } : Array.Empty<string>());
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"akka.remote.dot-netty.tcp.hostname = {Quote(o.Host)}");
        sb.AppendLine($"akka.remote.dot-netty.tcp.port = {o.Port}");
        sb.AppendLine($"akka.cluster.roles = [{string.Join(",", roles.Select(Quote))}]");
        sb.AppendLine($"akka.cluster.seed-nodes = [{string.Join(",", seeds.Select(s => Quote($"akka.tcp://{o.SystemName}@{s}")))}]");
        var agentWork = o.AgentWorkDir ?? Path.Combine(o.DataDir, "agent");
        sb.AppendLine($"clusterkernel.agent.work-dir = {Quote(agentWork)}");
        if (o.AgentResources is not null) sb.AppendLine($"clusterkernel.agent.resources = {Quote(o.AgentResources)}");
        if (o.AgentRevocableResources is not null) sb.AppendLine($"clusterkernel.agent.revocable-resources = {Quote(o.AgentRevocableResources)}");
        if (o.AgentAttributes is not null) sb.AppendLine($"clusterkernel.agent.attributes = {Quote(o.AgentAttributes)}");
        var connection = o.PostgresConnection ?? $"Data Source={Path.Combine(o.DataDir, "registry.db")}";
        sb.AppendLine($"akka.persistence.journal.sql.connection-string = {Quote(connection)}");
        sb.AppendLine($"akka.persistence.snapshot-store.sql.connection-string = {Quote(connection)}");

        var config = ConfigurationFactory.ParseString(sb.ToString());
        if (o.ExtraHocon is not null) config = ConfigurationFactory.ParseString(o.ExtraHocon).WithFallback(config);
        config = config
            .WithFallback(Embedded(o.PostgresConnection is null ? "persistence-sqlite.hocon" : "persistence-postgresql.hocon"))
            .WithFallback(Embedded("master.hocon"))
            .WithFallback(Embedded("agent.hocon"))
            .WithFallback(Embedded("base.hocon"))
            .WithFallback(ProtocolConfig.DefaultConfig())
            .WithFallback(MasterSettings.DefaultConfig())
            .WithFallback(AgentSettings.DefaultConfig())
            .WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(SqlPersistence.DefaultConfiguration);
        return config;
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Config Embedded(string name)
    {
        using var s = typeof(NodeConfig).Assembly.GetManifestResourceStream("hocon/" + name)
            ?? throw new InvalidOperationException($"hocon/{name} is not embedded");
        using var r = new StreamReader(s);
        return ConfigurationFactory.ParseString(r.ReadToEnd());
    }
}
