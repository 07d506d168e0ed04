using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>The operator API over HTTP against a real master and agent.</summary>
[Collection("cluster")]
public sealed class OperatorApiTests
{
    private static async Task<(HttpStatusCode status, JsonNode? body)> Call(HttpClient http, string json)
    {
        using var r = await http.PostAsync("/api/v1", new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task Weights_agent_deactivation_state_and_prometheus_metrics_over_http()
    {
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await TestCluster.AwaitAgents(master, 1);
        using var http = new HttpClient { BaseAddress = new Uri(master.HttpUrl!), Timeout = TimeSpan.FromSeconds(15) };

        // UPDATE_WEIGHTS, then GET_WEIGHTS shows it (persisted and applied by the master).
        var (status, _) = await Call(http, """{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"ops","weight":2.5}]}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var (_, weights) = await Call(http, """{"type":"GET_WEIGHTS"}""");
        Assert.Contains(weights!["get_weights"]!["weight_infos"]!.AsArray(), w => (string?)w!["role"] == "ops" && (double?)w["weight"] == 2.5);
        // A refused change is a 400 with the master's reason.
        var (refused, error) = await Call(http, """{"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"ops","weight":-1}]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, refused);
        Assert.Contains("positive", (string?)error!["message"]);

        // GET_STATE lists the agent, active.
        var (_, state) = await Call(http, """{"type":"GET_STATE"}""");
        var agentJson = Assert.Single(state!["get_state"]!["get_agents"]!["agents"]!.AsArray())!;
        Assert.True((bool?)agentJson["active"]);
        var agentId = (string)agentJson["agent_info"]!["id"]!["value"]!;

        // DEACTIVATE_AGENT: GET_AGENTS shows it deactivated, GET_MAINTENANCE_STATUS lists it.
        (status, _) = await Call(http, $"{{\"type\":\"DEACTIVATE_AGENT\",\"deactivate_agent\":{{\"agent_id\":{{\"value\":\"{agentId}\"}}}}}}");
        Assert.Equal(HttpStatusCode.OK, status);
        var (_, agents) = await Call(http, """{"type":"GET_AGENTS"}""");
        var deactivated = Assert.Single(agents!["get_agents"]!["agents"]!.AsArray())!;
        Assert.True((bool?)deactivated["deactivated"]);
        Assert.False((bool?)deactivated["active"]);
        var (_, maintenance) = await Call(http, """{"type":"GET_MAINTENANCE_STATUS"}""");
        Assert.Contains(maintenance!["get_maintenance_status"]!["status"]!["deactivated_agents"]!.AsArray(), a => (string?)a!["value"] == agentId);
        var (unknown, _) = await Call(http, """{"type":"DEACTIVATE_AGENT","deactivate_agent":{"agent_id":{"value":"no-such-agent"}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, unknown);

        // Prometheus text carries the allocator's counters under Mesos' names with '/' as '_'.
        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("allocator_mesos_allocation_runs ", StringComparison.Ordinal));
        await agent.DisposeAsync();
    }
}
