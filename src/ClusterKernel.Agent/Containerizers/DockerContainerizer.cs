using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ClusterKernel.Agent.Containerizers;

/// <summary>
/// Runs a task in a Docker container (Mesos' Docker containerizer, reduced to what this cluster needs).
/// <list type="bullet">
/// <item>Name <c>ck-&lt;ContainerId&gt;</c>, labels <c>clusterkernel.agent/framework/task/executor/container</c> (recovery
/// finds containers by these labels, never by events).</item>
/// <item>Host networking, sandbox bind-mounted at <c>/mnt/mesos/sandbox</c> (also the working directory), memory limit
/// = MemoryMb (at least 32 MB, no extra swap), NanoCPUs = Cpus * 1e9, Docker's init (tini) as PID 1 so SIGTERM
/// reaches the command (a shell as PID 1 would ignore it).</item>
/// <item>stdout/stderr: the container writes them itself: the command is wrapped as
/// <c>/bin/sh -c 'exec &gt;&gt;/mnt/mesos/sandbox/stdout 2&gt;&gt;/mnt/mesos/sandbox/stderr; ...'</c>. Chosen over following
/// the Docker log stream because the files are then complete the moment the container exits and survive an agent
/// restart, with no copy loop to keep alive or recover (Docker.DotNet log reads also ignore cancellation).
/// The cost: the image must contain <c>/bin/sh</c>; without it the launch fails with a clear message.</item>
/// </list>
/// Docker.DotNet calls may ignore cancellation, so every wait is raced against the caller's token.
/// </summary>
public sealed partial class DockerContainerizer : IContainerizer, IDisposable
{
    public const string DefaultEndpoint = "unix:///var/run/docker.sock";
    public const string SandboxMountPoint = "/mnt/mesos/sandbox";
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /// <summary>Mesos' MIN_MEMORY: smaller limits are raised to this.</summary>
    public const double MinMemoryMb = 32;
    /// <summary>Mesos' MIN_CPUS (Docker rejects less than 0.01 CPU).</summary>
    public const double MinCpus = 0.01;

    public const string AgentLabel = "clusterkernel.agent";
    public const string FrameworkLabel = "clusterkernel.framework";
    public const string TaskLabel = "clusterkernel.task";
    public const string ExecutorLabel = "clusterkernel.executor";
    public const string ContainerLabel = "clusterkernel.container";

    private const string RedirectPrefix = "exec </dev/null >>" + SandboxMountPoint + "/stdout 2>>" + SandboxMountPoint + "/stderr";

    private readonly DockerClient _client;
    private readonly ConcurrentDictionary<string, byte> _killRequested = new();

    /// <param name="endpoint">Docker endpoint; null: <c>DOCKER_HOST</c>, else <see cref="DefaultEndpoint"/>.</param>
    public DockerContainerizer(string? endpoint = null)
    {
        Endpoint = endpoint ?? ResolveEndpoint();
        _client = CreateClient(Endpoint);
    }

    public string Name => "docker";
    public string Endpoint { get; }

    public static string ResolveEndpoint()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        return string.IsNullOrWhiteSpace(host) ? DefaultEndpoint : host.Trim();
    }

    /// <summary>Docker container name for a container id.</summary>
    public static string DockerName(string containerId) => "ck-" + containerId;

    /// <summary>True when a Docker engine answers a ping at <paramref name="endpoint"/> (default: as the constructor) within <paramref name="timeout"/> (default 3 s).</summary>
    public static async Task<bool> IsAvailableAsync(string? endpoint = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        try
        {
            using var client = CreateClient(endpoint ?? ResolveEndpoint());
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(3));
            await client.System.PingAsync(cts.Token).WaitAsync(cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    public bool Supports(ContainerLaunch launch) => launch.Image is not null;

    public async Task<ContainerStarted> LaunchAsync(ContainerLaunch launch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ContainerIds.Validate(launch.ContainerId);
        if (launch.Image is null) throw new ContainerLaunchException("The docker containerizer needs an image.");
        var name = DockerName(launch.ContainerId);

        var sandbox = Path.GetFullPath(launch.SandboxDirectory);
        try { Directory.CreateDirectory(sandbox); }
        catch (Exception e) { throw new ContainerLaunchException($"Cannot create sandbox '{sandbox}': {e.Message}", e); }

        var parameters = BuildCreateParameters(launch, sandbox);
        string dockerId;
        try
        {
            var created = await Cancellable(_client.Containers.CreateContainerAsync(parameters, ct), ct).ConfigureAwait(false);
            dockerId = created.ID;
            LaunchTrace.Mark(launch.TaskId, "docker.created");
        }
        // No image inspect first: create answers 404 for a missing image, and one round trip less is a shorter launch.
        catch (DockerImageNotFoundException e)
        {
            throw new ContainerLaunchException(NotPresent(launch.Image), e);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ContainerLaunchException(NotPresent(launch.Image), e);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ContainerLaunchException($"A Docker container named '{name}' already exists.", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ContainerLaunchException($"Docker could not create container '{name}' from '{launch.Image}': {e.Message}", e);
        }

        try
        {
            await Cancellable(_client.Containers.StartContainerAsync(dockerId, new ContainerStartParameters(), ct), ct).ConfigureAwait(false);
            LaunchTrace.Mark(launch.TaskId, "docker.started");
            var inspect = await Cancellable(_client.Containers.InspectContainerAsync(dockerId, ct), ct).ConfigureAwait(false);
            LaunchTrace.Mark(launch.TaskId, "docker.inspected");
            var pid = inspect.State?.Pid is > 0 ? (int?)inspect.State.Pid : null;
            return new ContainerStarted(launch.ContainerId, pid, ParseTime(inspect.State?.StartedAt) ?? DateTimeOffset.UtcNow);
        }
        catch (Exception e)
        {
            // Do not leave a created-but-not-started container behind.
            try { await _client.Containers.RemoveContainerAsync(dockerId, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { /* best effort */ }
            if (e is OperationCanceledException) throw;
            var hint = e.Message.Contains("/bin/sh", StringComparison.Ordinal) ? " (the image must contain /bin/sh)" : "";
            throw new ContainerLaunchException($"Docker could not start container '{name}' from '{launch.Image}'{hint}: {e.Message}", e);
        }
    }

    private static string NotPresent(string image) => $"Image '{image}' is not present on this agent's Docker engine (images are not pulled).";

    /// <summary>The container this containerizer creates for <paramref name="launch"/> (public for the launch-overhead bench's direct baseline).</summary>
    public static CreateContainerParameters BuildCreateParameters(ContainerLaunch launch, string sandbox)
    {
        var env = new Dictionary<string, string>(launch.Environment) { ["MESOS_SANDBOX"] = SandboxMountPoint };
        if (!env.TryGetValue("PATH", out var path) || string.IsNullOrEmpty(path)) env["PATH"] = DefaultPath;

        // Entrypoint overrides the image's ENTRYPOINT and, being set, also drops the image's CMD.
        var cmd = new List<string>();
        if (launch.Shell)
        {
            cmd.Add(RedirectPrefix + "\n" + launch.Command);
        }
        else
        {
            cmd.Add(RedirectPrefix + "; exec \"$@\"");
            cmd.Add("sh"); // $0
            cmd.Add(launch.Command);
            cmd.AddRange(launch.Arguments);
        }

        var memoryBytes = (long)(Math.Max(launch.MemoryMb, MinMemoryMb) * 1024 * 1024);
        return new CreateContainerParameters
        {
            Name = DockerName(launch.ContainerId),
            Image = launch.Image,
            Entrypoint = ["/bin/sh", "-c"],
            Cmd = cmd,
            Env = env.Select(kv => kv.Key + "=" + kv.Value).ToList(),
            WorkingDir = SandboxMountPoint,
            Labels = new Dictionary<string, string>
            {
                [AgentLabel] = launch.AgentId,
                [FrameworkLabel] = launch.FrameworkId,
                [TaskLabel] = launch.TaskId,
                [ExecutorLabel] = launch.ExecutorId,
                [ContainerLabel] = launch.ContainerId,
            },
            HostConfig = new HostConfig
            {
                NetworkMode = "host",
                Binds = [sandbox + ":" + SandboxMountPoint,
                    .. launch.Volumes.Select(v => $"{v.HostPath}:{SandboxMountPoint}/{v.ContainerPath}{(v.ReadOnly ? ":ro" : "")}")],
                Memory = memoryBytes,
                MemorySwap = memoryBytes, // no swap on top of the limit, so exceeding it OOM-kills
                NanoCPUs = (long)(Math.Max(launch.Cpus, MinCpus) * 1e9),
                Init = true,
                AutoRemove = false,
            },
        };
    }

    public async Task<ContainerExit> WaitAsync(string containerId, CancellationToken ct)
    {
        var name = DockerName(containerId);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var inspect = await InspectOrNullAsync(name, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Unknown docker container '{name}'.");
            // No restart policy is set, so a container that is not running has ended (or never started).
            if (inspect.State is { Running: false }) return ToExit(containerId, inspect);
            try
            {
                await Cancellable(_client.Containers.WaitContainerAsync(name, ct), ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { throw; }
            catch (Exception)
            {
                // HTTP timeout or a dropped connection on a long wait: look again (inspect decides), without spinning.
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }
        }
    }

    private ContainerExit ToExit(string containerId, ContainerInspectResponse inspect)
    {
        var state = inspect.State;
        var code = (int)state.ExitCode;
        var memoryMb = (inspect.HostConfig?.Memory ?? 0) / (1024 * 1024);
        var killed = _killRequested.ContainsKey(containerId);
        string message;
        if (state.OOMKilled) message = $"Container was OOM-killed (memory limit {memoryMb} MB)";
        else if (killed) message = $"Container was killed by request (exit status {code})";
        else message = $"Container exited with status {code}";
        if (!string.IsNullOrEmpty(state.Error)) message += ": " + state.Error;
        return new ContainerExit(containerId, code, state.OOMKilled, killed, message);
    }

    public async Task KillAsync(string containerId, TimeSpan gracePeriod, CancellationToken ct)
    {
        var name = DockerName(containerId);
        _killRequested[containerId] = 0;
        var seconds = (uint)Math.Max(0, Math.Ceiling(gracePeriod.TotalSeconds));
        try
        {
            // Docker's stop is exactly SIGTERM, wait, SIGKILL.
            await Cancellable(_client.Containers.StopContainerAsync(name, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, ct), ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException) { }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The stop request itself failed (e.g. the HTTP call timed out on a long grace period): make sure it dies.
            try
            {
                await Cancellable(_client.Containers.KillContainerAsync(name, new ContainerKillParameters { Signal = "KILL" }, ct), ct).ConfigureAwait(false);
            }
            catch (DockerContainerNotFoundException) { }
            catch (DockerApiException k) when (k.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict) { } // gone / not running
        }
    }

    public async Task<IReadOnlyList<RecoveredContainer>> RecoverAsync(string agentId, CancellationToken ct)
    {
        var list = await Cancellable(_client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = false, // alive only
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{AgentLabel}={agentId}"] = true },
            },
        }, ct), ct).ConfigureAwait(false);

        var result = new List<RecoveredContainer>();
        foreach (var c in list)
        {
            IReadOnlyDictionary<string, string> labels = c.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(c.Labels);
            if (!labels.TryGetValue(ContainerLabel, out var containerId)) continue;
            result.Add(new RecoveredContainer(containerId,
                labels.GetValueOrDefault(FrameworkLabel, ""), labels.GetValueOrDefault(TaskLabel, ""),
                labels.GetValueOrDefault(ExecutorLabel, ""), c.Image));
        }
        return result;
    }

    public async Task CleanupAsync(string containerId, CancellationToken ct)
    {
        try
        {
            await Cancellable(_client.Containers.RemoveContainerAsync(DockerName(containerId),
                new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct), ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException) { }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound) { }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.Conflict && e.Message.Contains("already in progress", StringComparison.OrdinalIgnoreCase)) { }
        _killRequested.TryRemove(containerId, out _);
    }

    public void Dispose() => _client.Dispose();

    private async Task<ContainerInspectResponse?> InspectOrNullAsync(string name, CancellationToken ct)
    {
        try { return await Cancellable(_client.Containers.InspectContainerAsync(name, ct), ct).ConfigureAwait(false); }
        catch (DockerContainerNotFoundException) { return null; }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    private static DockerClient CreateClient(string endpoint) =>
        new DockerClientConfiguration(new Uri(endpoint)).CreateClient();

    /// <summary>Docker.DotNet may not honour cancellation: race the call against the token.</summary>
    private static Task<T> Cancellable<T>(Task<T> task, CancellationToken ct) => task.WaitAsync(ct);

    private static Task Cancellable(Task task, CancellationToken ct) => task.WaitAsync(ct);

    private static DateTimeOffset? ParseTime(object? value) => value switch
    {
        DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        DateTimeOffset dto => dto,
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var p) => p,
        _ => null,
    };
}
