using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace ClusterKernel.Agent.Containerizers;

/// <summary>
/// Runs a task as a plain child process of the agent (Mesos' POSIX launcher, without isolators).
/// <list type="bullet">
/// <item>The process runs in the sandbox, in its own session and process group (via <c>setsid</c>), so a kill reaches
/// everything it forked (<c>sh -c 'sleep 100'</c> included) and the group is swept when the leader exits.</item>
/// <item>stdout/stderr: the process itself appends to <c>stdout</c>/<c>stderr</c> in the sandbox (<c>exec &gt;&gt;stdout
/// 2&gt;&gt;stderr</c> before the command), so nothing has to be copied and the files are complete when it exits.</item>
/// <item>Limits: NONE are enforced (no cgroups here). Cpus and MemoryMb are only recorded in the metadata file.</item>
/// <item>Recovery: a <c>pid</c> file in the sandbox names the process; a metadata file per container in
/// <see cref="RuntimeDirectory"/> records who it belongs to (and the process start time, so a reused pid is not
/// mistaken for the task). The process we track is a small <c>sh</c> wrapper (with setsid) that runs the command as its
/// child and writes its exit status to <see cref="ExitStatusFile"/>: after an agent restart (no longer our child) that file
/// gives the real exit code; only if the wrapper itself was killed is it unknown (<see cref="ContainerExit.ExitCode"/> null).</item>
/// </list>
/// </summary>
public sealed partial class ProcessContainerizer : IContainerizer, IDisposable
{
    private static readonly string[] SetsidCandidates = ["/usr/bin/setsid", "/bin/setsid"];
    private static readonly TimeSpan RecoveredPollInterval = TimeSpan.FromMilliseconds(200);
    private const string RedirectPrefix = "exec </dev/null >>stdout 2>>stderr";
    /// <summary>In the sandbox: the command's exit status, written by the launch wrapper when the command ends.</summary>
    public const string ExitStatusFile = ".exit_status";

    private readonly ConcurrentDictionary<string, Entry> _containers = new();
    private readonly CancellationTokenSource _disposed = new();

    /// <param name="runtimeDirectory">Where per-container metadata lives (e.g. <c>&lt;work_dir&gt;/meta/process</c>); must survive agent restarts.</param>
    public ProcessContainerizer(string runtimeDirectory)
    {
        RuntimeDirectory = Path.GetFullPath(runtimeDirectory);
        Directory.CreateDirectory(RuntimeDirectory);
    }

    public string Name => "process";
    public string RuntimeDirectory { get; }

    public bool Supports(ContainerLaunch launch) => launch.Image is null;

    public Task<ContainerStarted> LaunchAsync(ContainerLaunch launch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ContainerIds.Validate(launch.ContainerId);
        if (!Supports(launch)) throw new ContainerLaunchException($"The process containerizer cannot run image '{launch.Image}'.");
        ct.ThrowIfCancellationRequested();
        if (_containers.ContainsKey(launch.ContainerId))
            throw new ContainerLaunchException($"Container '{launch.ContainerId}' is already known to the process containerizer.");

        var sandbox = Path.GetFullPath(launch.SandboxDirectory);
        try { Directory.CreateDirectory(sandbox); }
        catch (Exception e) { throw new ContainerLaunchException($"Cannot create sandbox '{sandbox}': {e.Message}", e); }

        var setsid = SetsidCandidates.FirstOrDefault(File.Exists);
        var psi = new ProcessStartInfo
        {
            FileName = setsid ?? "/bin/sh",
            WorkingDirectory = sandbox,
            UseShellExecute = false,
        };
        if (setsid is not null) psi.ArgumentList.Add("/bin/sh");
        psi.ArgumentList.Add("-c");
        if (setsid is not null)
        {
            // The tracked pid is a wrapper shell that runs the command as its child and records its exit status in the sandbox,
            // so that an agent restarted meanwhile (no longer the parent) still learns it. Kills reach the whole group; the
            // wrapper only waits on TERM/INT (a caught signal is reset to the default in the child, so the command handles it as
            // usual and keeps its grace period) and then exits with the command's status: 128+n if a signal ended it.
            psi.ArgumentList.Add(RedirectPrefix + "; trap : TERM INT; " + (launch.Shell ? "/bin/sh -c \"$1\"" : "\"$@\"")
                + "; ck_status=$?; echo \"$ck_status\" >" + ExitStatusFile + "; exit \"$ck_status\"");
            psi.ArgumentList.Add("sh"); // $0
            psi.ArgumentList.Add(launch.Command);
            if (!launch.Shell) foreach (var a in launch.Arguments) psi.ArgumentList.Add(a);
        }
        else if (launch.Shell)
        {
            psi.ArgumentList.Add(RedirectPrefix + "\n" + launch.Command);
        }
        else
        {
            psi.ArgumentList.Add(RedirectPrefix + "; exec \"$@\"");
            psi.ArgumentList.Add("sh"); // $0
            psi.ArgumentList.Add(launch.Command);
            foreach (var a in launch.Arguments) psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in launch.Environment) psi.Environment[k] = v;
        psi.Environment["MESOS_SANDBOX"] = sandbox;
        if (!psi.Environment.TryGetValue("PATH", out var path) || string.IsNullOrEmpty(path))
            psi.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ContainerLaunchException($"Starting the process for container '{launch.ContainerId}' returned nothing.");
        }
        catch (ContainerLaunchException) { throw; }
        catch (Exception e) { throw new ContainerLaunchException($"Cannot start process for container '{launch.ContainerId}': {e.Message}", e); }

        var startedAt = DateTimeOffset.UtcNow;
        var pid = process.Id;
        var meta = new Metadata(launch.ContainerId, launch.AgentId, launch.FrameworkId, launch.TaskId, launch.ExecutorId,
            sandbox, pid, Posix.StartTime(pid), setsid is not null, launch.Cpus, launch.MemoryMb, startedAt);
        var entry = new Entry(meta, process);
        _containers[launch.ContainerId] = entry;
        entry.Completion = WatchChildAsync(entry, process);
        try
        {
            File.WriteAllText(Path.Combine(sandbox, "pid"), pid + "\n");
            WriteMetadata(meta);
        }
        catch (Exception e)
        {
            // Without its records the task could not be recovered: do not leave it running untracked.
            KillGroup(entry, Posix.SIGKILL);
            _containers.TryRemove(launch.ContainerId, out _);
            throw new ContainerLaunchException($"Cannot record pid of container '{launch.ContainerId}': {e.Message}", e);
        }
        return Task.FromResult(new ContainerStarted(launch.ContainerId, pid, startedAt));
    }

    public Task<ContainerExit> WaitAsync(string containerId, CancellationToken ct)
    {
        var entry = Find(containerId) ?? throw new InvalidOperationException($"Unknown process container '{containerId}'.");
        return entry.Completion.WaitAsync(ct);
    }

    public async Task KillAsync(string containerId, TimeSpan gracePeriod, CancellationToken ct)
    {
        var entry = Find(containerId);
        if (entry is null) return; // never known or already cleaned up: nothing to kill
        entry.KillRequested = true;
        if (!entry.Completion.IsCompleted)
        {
            KillGroup(entry, Posix.SIGTERM);
            if (gracePeriod > TimeSpan.Zero)
                await Task.WhenAny(entry.Completion, Task.Delay(gracePeriod, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        KillGroup(entry, Posix.SIGKILL); // also sweeps children the leader left behind
        await entry.Completion.WaitAsync(ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<RecoveredContainer>> RecoverAsync(string agentId, CancellationToken ct)
    {
        var result = new List<RecoveredContainer>();
        foreach (var file in Directory.EnumerateFiles(RuntimeDirectory, "*.json"))
        {
            ct.ThrowIfCancellationRequested();
            Metadata? meta;
            try { meta = JsonSerializer.Deserialize<Metadata>(File.ReadAllText(file)); }
            catch (Exception) { continue; } // half-written or foreign file: not ours to judge
            if (meta is null || meta.AgentId != agentId) continue;
            var pid = ReadPidFile(meta.Sandbox);
            if (pid is null || pid != meta.Pid || !Posix.IsAlive(pid.Value, meta.StartTime)) continue;

            if (!_containers.ContainsKey(meta.ContainerId))
            {
                var entry = new Entry(meta, null);
                entry.Completion = WatchRecoveredAsync(entry);
                _containers.TryAdd(meta.ContainerId, entry);
            }
            result.Add(new RecoveredContainer(meta.ContainerId, meta.FrameworkId, meta.TaskId, meta.ExecutorId, null));
        }
        return Task.FromResult<IReadOnlyList<RecoveredContainer>>(result);
    }

    /// <summary>Forgets an exited container, sweeps its process group and deletes its metadata. A container that is
    /// still running is left alone (kill it first).</summary>
    public Task CleanupAsync(string containerId, CancellationToken ct)
    {
        if (_containers.TryGetValue(containerId, out var entry))
        {
            if (!entry.Completion.IsCompleted) return Task.CompletedTask;
            KillGroup(entry, Posix.SIGKILL);
            _containers.TryRemove(containerId, out _);
            entry.Process?.Dispose();
        }
        File.Delete(MetadataPath(containerId));
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        foreach (var e in _containers.Values) e.Process?.Dispose();
        _disposed.Dispose();
    }

    private Entry? Find(string containerId) => _containers.TryGetValue(containerId, out var e) ? e : null;

    private static async Task<ContainerExit> WatchChildAsync(Entry entry, Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        var code = process.ExitCode;
        KillGroup(entry, Posix.SIGKILL); // Mesos semantics: the container ends with its leader
        var id = entry.Meta.ContainerId;
        if (entry.KillRequested)
            return new ContainerExit(id, code, false, true, $"Process was killed by request (exit status {code})");
        var message = code > 128 && code < 160
            ? $"Process terminated by signal {code - 128} (exit status {code})"
            : $"Process exited with status {code}";
        return new ContainerExit(id, code, false, false, message);
    }

    private async Task<ContainerExit> WatchRecoveredAsync(Entry entry)
    {
        // Not our child: no exit status and no notification, so poll /proc.
        using var timer = new PeriodicTimer(RecoveredPollInterval);
        while (Posix.IsAlive(entry.Meta.Pid, entry.Meta.StartTime))
        {
            try { await timer.WaitForNextTickAsync(_disposed.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
        KillGroup(entry, Posix.SIGKILL);
        var id = entry.Meta.ContainerId;
        // The wrapper wrote the status before exiting; none if the wrapper itself was killed (or launched without setsid).
        var code = ReadExitStatus(entry.Meta.Sandbox);
        if (entry.KillRequested)
            return new ContainerExit(id, code, false, true, "Recovered process was killed by request");
        if (code is not { } c)
            return new ContainerExit(id, null, false, false, "Recovered process exited; its exit status is unknown after an agent restart");
        return new ContainerExit(id, c, false, false, c > 128 && c < 160
            ? $"Process terminated by signal {c - 128} (exit status {c})"
            : $"Process exited with status {c}");
    }

    private static void KillGroup(Entry entry, int signal)
    {
        var pid = entry.Meta.Pid;
        try
        {
            if (entry.Meta.OwnProcessGroup) Posix.Kill(-pid, signal);
            else if (!entry.Completion.IsCompleted && Posix.IsAlive(pid, entry.Meta.StartTime)) Posix.Kill(pid, signal);
        }
        catch (InvalidOperationException) { /* e.g. EPERM: nothing more we can do here */ }
    }

    private static int? ReadExitStatus(string sandbox)
    {
        try { return int.TryParse(File.ReadAllText(Path.Combine(sandbox, ExitStatusFile)).Trim(), out var code) ? code : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static int? ReadPidFile(string sandbox)
    {
        try { return int.TryParse(File.ReadAllText(Path.Combine(sandbox, "pid")).Trim(), out var pid) ? pid : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private string MetadataPath(string containerId)
    {
        ContainerIds.Validate(containerId);
        return Path.Combine(RuntimeDirectory, containerId + ".json");
    }

    private void WriteMetadata(Metadata meta)
    {
        var path = MetadataPath(meta.ContainerId);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(meta));
        File.Move(tmp, path, overwrite: true);
    }

    internal sealed record Metadata(
        string ContainerId, string AgentId, string FrameworkId, string TaskId, string ExecutorId,
        string Sandbox, int Pid, long? StartTime, bool OwnProcessGroup, double Cpus, double MemoryMb, DateTimeOffset StartedAt);

    private sealed class Entry(Metadata meta, Process? process)
    {
        public Metadata Meta { get; } = meta;
        public Process? Process { get; } = process;
        public Task<ContainerExit> Completion { get; set; } = null!;
        public volatile bool KillRequested;
    }
}
