using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Resources;
using Xunit;
using static ClusterKernel.Agent.Tests.TestSupport;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests.Containerizers;

/// <summary>Persistent volume directories on the agent, and a Docker task writing through its bind mount.</summary>
public sealed class PersistentVolumeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Res Volume(string id, string role = "eng/web") => Res.Of(Resource.OfScalar("disk", 10) with
    {
        Role = role, Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, role) }, Disk = new DiskInfo(id, null, "data"),
    });

    [Fact]
    public void Sync_creates_listed_volumes_and_deletes_unlisted_ones_unless_in_use()
    {
        var work = _dir.Sub("work");
        PersistentVolumes.Sync(work, Volume("v1") + Volume("v2") + Volume("v3"), new HashSet<string>());
        var v1 = PersistentVolumes.PathOf(work, Volume("v1").Single());
        Assert.True(Directory.Exists(v1));
        Assert.EndsWith(Path.Combine("volumes", "roles", "eng%2Fweb", "v1"), v1);
        File.WriteAllText(Path.Combine(v1, "keep"), "x");

        var v2 = Path.GetFullPath(PersistentVolumes.PathOf(work, Volume("v2").Single()));
        var deleted = PersistentVolumes.Sync(work, Volume("v1"), new HashSet<string> { v2 });
        Assert.Equal(new[] { Path.GetFullPath(PersistentVolumes.PathOf(work, Volume("v3").Single())) }, deleted);
        Assert.True(File.Exists(Path.Combine(v1, "keep")));
        Assert.True(Directory.Exists(v2));
    }

    [DockerFact]
    public async Task A_docker_task_writes_through_the_bind_mount_and_cannot_write_a_read_only_one()
    {
        using var docker = new DockerContainerizer();
        var host = _dir.Sub("volume");
        Directory.CreateDirectory(host);
        var launches = new List<ContainerLaunch>();
        async Task<ContainerExit> Run(string command, bool readOnly)
        {
            var id = NewId("c");
            var launch = TestSupport.Launch(id, NewId("agent"), _dir.Sub("sandbox-" + id), command, true, DockerFactAttribute.TestImage, null)
                with { Volumes = new[] { new VolumeMount(host, "data", readOnly) } };
            launches.Add(launch);
            await docker.LaunchAsync(launch, CancellationToken.None).WaitAsync(Seconds(30));
            return await docker.WaitAsync(id, CancellationToken.None).WaitAsync(Seconds(30));
        }
        try
        {
            Assert.Equal(0, (await Run("echo hello > $MESOS_SANDBOX/data/out.txt", readOnly: false)).ExitCode);
            Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(host, "out.txt")));
            Assert.Equal(0, (await Run("grep -q hello $MESOS_SANDBOX/data/out.txt", readOnly: true)).ExitCode);
            Assert.NotEqual(0, (await Run("echo no > $MESOS_SANDBOX/data/other.txt", readOnly: true)).ExitCode);
        }
        finally
        {
            foreach (var l in launches) await docker.CleanupAsync(l.ContainerId, CancellationToken.None);
        }
    }
}
