using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

public sealed class MesosStateJsonSpec
{
    internal static ClusterState SampleState()
    {
        var fid = new FrameworkId("fw-1");
        var agent = new AgentId("agent-1");
        var running = new TaskStatus { TaskId = new TaskId("t1"), State = TaskState.TASK_RUNNING, Timestamp = 1700000010, Message = "started" };
        return new ClusterState("epoch-1", 1700000000, 1700000100,
            new[]
            {
                new AgentView(agent, "node1", Res.Parse("cpus:4;mem:4096;disk:1000;ports:[31000-32000];cpus(ads):2"), Res.Parse("cpus:1;mem:256"),
                    Res.Parse("cpus:1"), new Dictionary<string, string> { ["rack"] = "r1", ["tier"] = "2" }, true, 1700000001),
                new AgentView(new AgentId("agent-2"), "node2", Res.Parse("cpus:2;mem:1024"), Res.Empty, Res.Empty, new Dictionary<string, string>(), false, 1700000002),
            },
            new[] { new FrameworkView(fid, "ck-command", new[] { "*" }, true, true, 604800, Res.Parse("cpus:1;mem:256"), Res.Parse("cpus:1"), 1700000003, null) },
            new[]
            {
                new TaskView(new TaskId("t1"), "web", fid, agent, TaskState.TASK_RUNNING, Res.Parse("cpus:1;mem:256"), new[] { running }, "alpine:3"),
                new TaskView(new TaskId("t0"), "old", fid, agent, TaskState.TASK_FINISHED, Res.Parse("cpus:1;mem:256"), Array.Empty<TaskStatus>(), null),
            },
            new[] { Samples.Offer("o1", "cpus:1") with { FrameworkId = fid } })
        {
            Executors = new[]
            {
                new ExecutorView(fid, agent, new ExecutorInfo { ExecutorId = new ExecutorId("ex-1"), Name = "group", Resources = Res.Parse("cpus:0.1;mem:32") }, new[] { new TaskId("t1") }),
            },
        };
    }

    [Fact]
    public void Cluster_state_maps_onto_mesos_state_field_names()
    {
        var json = MesosStateJson.Map(SampleState(), "master@127.0.0.1:5050");

        Assert.Equal("epoch-1", (string?)json["id"]);
        Assert.Equal("master@127.0.0.1:5050", (string?)json["leader"]);
        Assert.Equal(1700000000.0, (double?)json["start_time"]);
        Assert.Equal(1, (int?)json["activated_slaves"]);

        var slave = json["slaves"]![0]!;
        Assert.Equal("agent-1", (string?)slave["id"]);
        Assert.Equal("node1", (string?)slave["hostname"]);
        Assert.Equal(6.0, (double?)slave["resources"]!["cpus"]);
        Assert.Equal(4096.0, (double?)slave["resources"]!["mem"]);
        Assert.Equal(0.0, (double?)slave["resources"]!["gpus"]);
        Assert.Equal("[31000-32000]", (string?)slave["resources"]!["ports"]);
        Assert.Equal(1.0, (double?)slave["used_resources"]!["cpus"]);
        Assert.Equal(4.0, (double?)slave["unreserved_resources"]!["cpus"]);
        Assert.Equal(2.0, (double?)slave["reserved_resources"]!["ads"]!["cpus"]);
        Assert.Equal("ads", (string?)slave["reserved_resources_full"]!["ads"]![0]!["reservations"]![0]!["role"]);
        Assert.Equal("r1", (string?)slave["attributes"]!["rack"]);
        Assert.Equal(2.0, (double?)slave["attributes"]!["tier"]);
        Assert.True((bool?)slave["active"]);

        var framework = json["frameworks"]![0]!;
        Assert.Equal("fw-1", (string?)framework["id"]);
        Assert.Equal("ck-command", (string?)framework["name"]);
        Assert.Equal("*", (string?)framework["roles"]![0]);
        Assert.Equal(604800.0, (double?)framework["failover_timeout"]);
        Assert.Equal("o1", (string?)framework["offers"]![0]!["id"]);
        var executor = Assert.Single(framework["executors"]!.AsArray())!;
        Assert.Equal(("ex-1", "group", "fw-1", "agent-1", "DEFAULT"), ((string?)executor["executor_id"], (string?)executor["name"],
            (string?)executor["framework_id"], (string?)executor["slave_id"], (string?)executor["type"]));
        Assert.Equal(32.0, (double?)executor["resources"]!["mem"]);

        var task = Assert.Single(framework["tasks"]!.AsArray())!;
        Assert.Equal("t1", (string?)task["id"]);
        Assert.Equal("fw-1", (string?)task["framework_id"]);
        Assert.Equal("agent-1", (string?)task["slave_id"]);
        Assert.Equal("TASK_RUNNING", (string?)task["state"]);
        Assert.Equal(256.0, (double?)task["resources"]!["mem"]);
        Assert.Equal("TASK_RUNNING", (string?)task["statuses"]![0]!["state"]);
        Assert.Equal("started", (string?)task["statuses"]![0]!["message"]);
        Assert.Equal("alpine:3", (string?)task["container"]!["docker"]!["image"]);
        Assert.Equal("t0", (string?)Assert.Single(framework["completed_tasks"]!.AsArray())!["id"]);

        Assert.Equal(8.0, (double?)json["total_resources"]!["cpus"]);
        Assert.Equal(1.0, (double?)json["used_resources"]!["cpus"]);
        Assert.Equal(1.0, (double?)json["offered_resources"]!["cpus"]);
    }

    [Fact]
    public void Empty_resources_still_carry_the_four_standard_scalars()
    {
        var o = MesosStateJson.ResourcesJson(Res.Empty);
        Assert.Equal(new[] { "cpus", "mem", "disk", "gpus" }, o.Select(p => p.Key));
    }
}
