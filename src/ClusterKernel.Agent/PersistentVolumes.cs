using ClusterKernel.Resources;

namespace ClusterKernel.Agent;

/// <summary>A persistent volume as a task sees it: the host directory and where it appears in the sandbox.</summary>
public sealed record VolumeMount(string HostPath, string ContainerPath, bool ReadOnly);

/// <summary>
/// Persistent volumes on disk: each lives in <c>WORK_DIR/volumes/roles/&lt;role&gt;/&lt;persistence id&gt;</c> (role escaped, so
/// "eng/web" is one directory), outside any sandbox, so its data outlives the tasks that use it. The master's
/// <c>CheckpointResourcesOnAgent</c> lists the volumes that exist; the agent creates theirs and deletes the ones no longer listed.
/// </summary>
public static class PersistentVolumes
{
    public static string RolesRoot(string workDir) => Path.Combine(workDir, "volumes", "roles");

    public static string PathOf(string workDir, Resource volume) =>
        Path.Combine(RolesRoot(workDir), Uri.EscapeDataString(volume.Role), volume.Disk!.PersistenceId!);

    /// <summary>Creates the directories of the listed volumes and deletes the others, except those <paramref name="inUse"/> (host paths).
    /// Returns the paths deleted.</summary>
    public static IReadOnlyList<string> Sync(string workDir, Resources.Resources checkpointed, ISet<string> inUse)
    {
        var wanted = checkpointed.Where(r => r.IsPersistentVolume).Select(v => Path.GetFullPath(PathOf(workDir, v))).ToHashSet();
        foreach (var path in wanted) Directory.CreateDirectory(path);
        var deleted = new List<string>();
        var root = RolesRoot(workDir);
        if (!Directory.Exists(root)) return deleted;
        foreach (var roleDir in Directory.GetDirectories(root))
        foreach (var dir in Directory.GetDirectories(roleDir).Select(Path.GetFullPath))
        {
            if (wanted.Contains(dir) || inUse.Contains(dir)) continue;
            Directory.Delete(dir, recursive: true);
            deleted.Add(dir);
        }
        return deleted;
    }

    /// <summary>The volumes a task uses, with their host directories (created if missing).</summary>
    public static IReadOnlyList<VolumeMount> MountsFor(string workDir, TaskInfo task) =>
        task.Resources.Where(r => r.IsPersistentVolume && r.Disk!.ContainerPath is not null).Select(v =>
        {
            var host = Path.GetFullPath(PathOf(workDir, v));
            Directory.CreateDirectory(host);
            return new VolumeMount(host, v.Disk!.ContainerPath!, v.Disk.Mode == "RO");
        }).ToList();

    /// <summary>Process tasks see a volume through a symlink at its container_path in the sandbox (read-only is not enforced).</summary>
    public static void Link(string sandbox, IEnumerable<VolumeMount> mounts)
    {
        foreach (var m in mounts)
        {
            var link = Path.Combine(sandbox, m.ContainerPath);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            if (!Path.Exists(link)) File.CreateSymbolicLink(link, m.HostPath);
        }
    }
}
