using System.Net;
using System.Text;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using ClusterKernel.Resources;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Integration.Tests;

/// <summary>A framework reserves disk, creates a persistent volume, and two process tasks share its data through it.</summary>
[Collection("cluster")]
public sealed class PersistentVolumeTests(ITestOutputHelper output)
{
    private static Res Dyn(string text) => Res.From(Res.Parse(text).Select(r => r with
    {
        Role = "eng", Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, "eng", "ops") },
    }));

    private static TaskInfo Task(string id, AgentId agent, Res resources, string command) => new()
    {
        Name = id, TaskId = new TaskId(id), AgentId = agent, Resources = resources, Command = new CommandInfo { Value = command },
    };

    private static async Task<TaskState> RunToEnd(SchedulerHttpClient fw, TaskId task)
    {
        var state = TaskState.TASK_STAGING;
        while (!state.IsTerminal()) state = (await fw.NextUpdate(task)).State;
        return state;
    }

    [Fact]
    public async Task Data_written_to_a_volume_by_one_task_is_read_by_the_next_and_destroy_removes_it()
    {
        var agentDir = TestCluster.TempDir("agent");
        await using var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var agent = await TestCluster.StartAgent(master, agentDir);
        await TestCluster.AwaitAgents(master, 1);
        await using var fw = await SchedulerHttpClient.Subscribe(master.HttpUrl!,
            new FrameworkInfo { Name = "volumes", Roles = new[] { "eng" }, Principal = "ops" });

        var offer = (await fw.Next<ResourceOffers>()).Offers.First();
        var volume = Res.From(Dyn("disk:64").Select(r => r with { Disk = new DiskInfo("v1", "ops", "data") }));
        var writer = Task("writer", offer.AgentId, Dyn("cpus:0.1;mem:32") + volume, "echo hello > data/out.txt");
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { offer.Id }, new OfferOperation[]
        {
            new ReserveOperation(Dyn("cpus:0.1;mem:32;disk:64"), "reserve-1"),
            new CreateOperation(volume, "create-1"),
            new LaunchOperation(new[] { writer }),
        }, new Filters { RefuseSeconds = 0 })));
        foreach (var id in new[] { "reserve-1", "create-1" })
            Assert.Equal(OperationStates.Finished, (await fw.Next<OperationStatusUpdate>(u => u.Status.OperationId == id)).Status.State);
        Assert.Equal(TaskState.TASK_FINISHED, await RunToEnd(fw, writer.TaskId));

        // The volume comes back to the role once the writer is done; a second task reads what the first wrote.
        var again = (await fw.Next<ResourceOffers>(o => o.Offers.Any(x => x.Resources.Any(r => r.IsPersistentVolume)))).Offers
            .First(x => x.Resources.Any(r => r.IsPersistentVolume));
        Assert.Equal(volume, again.Resources.Where(r => r.IsPersistentVolume));
        var reader = Task("reader", again.AgentId, Dyn("cpus:0.1;mem:32") + volume, "grep -q hello data/out.txt");
        Assert.Equal(202, await fw.Call(new AcceptOffers(fw.FrameworkId, new[] { again.Id }, new OfferOperation[] { new LaunchOperation(new[] { reader }) },
            new Filters { RefuseSeconds = 0 })));
        Assert.Equal(TaskState.TASK_FINISHED, await RunToEnd(fw, reader.TaskId));

        // The operator destroys the volume (no task uses it now): its directory goes, the reserved disk stays reserved.
        var dir = Path.Combine(agentDir, "volumes", "roles", "eng", "v1");
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(dir, "out.txt")));
        using var http = new HttpClient { BaseAddress = new Uri(master.HttpUrl!) };
        var body = $$$"""{"type":"DESTROY_VOLUMES","destroy_volumes":{"agent_id":{"value":"{{{again.AgentId.Value}}}"},"volumes":{{{SchedulerJson.WriteResources(volume).ToJsonString()}}}}}""";
        using var response = await http.PostAsync("/api/v1", new StringContent(body, Encoding.UTF8, "application/json"));
        output.WriteLine($"DESTROY_VOLUMES: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await TestCluster.AwaitTrue(() => System.Threading.Tasks.Task.FromResult(!Directory.Exists(dir)), "the volume directory to be deleted");
    }
}
