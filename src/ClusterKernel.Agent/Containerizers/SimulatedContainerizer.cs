using System.Collections.Concurrent;
using System.Globalization;

namespace ClusterKernel.Agent.Containerizers;

/// <summary>
/// A containerizer that runs nothing. It exists only for scale tests and benchmarks (<c>ck agents --simulate</c>, <c>ck bench</c>):
/// thousands of agents in one process exercise the real master/agent/framework protocol without processes, containers or files.
/// <para>A "task" lives in memory: a command <c>sleep N</c> (N seconds, fractions allowed; also <c>/bin/sleep N</c>, or
/// arguments <c>["N"]</c> after a non-shell <c>sleep</c>) runs for N seconds and then exits 0; any other command exits 0 at once.
/// <see cref="KillAsync"/> ends a task with <see cref="ContainerExit.KilledByRequest"/>. No sandbox is created.</para>
/// Selected by <c>clusterkernel.agent.containerizers = "simulated"</c>; never use it for real work.
/// </summary>
public sealed partial class SimulatedContainerizer : IContainerizer, IDisposable
{
    public const string ContainerizerName = "simulated";

    private sealed class Running
    {
        public required ContainerLaunch Launch { get; init; }
        public TaskCompletionSource<ContainerExit> Exit { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Disposed with its containerizer: its wait never completes.</summary>
        public volatile bool Abandoned;
    }

    /// <summary>
    /// One timer for every simulated task in the process: a Timer per task (100,000 at scale) spent its time in the runtime's
    /// timer-queue lock. Tasks end in order of their due time; a killed task's entry stays queued until then, harmlessly.
    /// </summary>
    private static class Clock
    {
        private static readonly object Gate = new();
        private static readonly PriorityQueue<Running, long> Due = new();
        private static readonly Timer Timer = new(_ => Fire(), null, Timeout.Infinite, Timeout.Infinite);
        private static long _armedFor = long.MaxValue;

        public static void Schedule(Running r, TimeSpan after)
        {
            var now = Environment.TickCount64;
            var due = now + (long)after.TotalMilliseconds;
            lock (Gate)
            {
                Due.Enqueue(r, due);
                if (due >= _armedFor) return;
                _armedFor = due;
                Timer.Change(Math.Max(0, due - now), Timeout.Infinite);
            }
        }

        /// <summary>Drops the entries of disposed containerizers (a static queue would keep their tasks reachable for their whole sleep).</summary>
        public static void Purge()
        {
            lock (Gate)
            {
                var keep = Due.UnorderedItems.Where(x => !x.Element.Abandoned).ToList();
                Due.Clear();
                foreach (var (r, due) in keep) Due.Enqueue(r, due);
            }
        }

        private static void Fire()
        {
            var ready = new List<Running>();
            lock (Gate)
            {
                var now = Environment.TickCount64;
                while (Due.TryPeek(out var r, out var due) && due <= now) { Due.Dequeue(); ready.Add(r); }
                _armedFor = Due.TryPeek(out _, out var next) ? next : long.MaxValue;
                if (_armedFor != long.MaxValue) Timer.Change(Math.Max(0, _armedFor - now), Timeout.Infinite);
            }
            foreach (var r in ready)
                if (!r.Abandoned) r.Exit.TrySetResult(new ContainerExit(r.Launch.ContainerId, 0, false, false, "simulated task finished"));
        }
    }

    private readonly ConcurrentDictionary<string, Running> _containers = new();

    public string Name => ContainerizerName;

    /// <summary>How many simulated containers have not been cleaned up yet.</summary>
    public int Count => _containers.Count;

    public bool Supports(ContainerLaunch launch) => true;

    public Task<ContainerStarted> LaunchAsync(ContainerLaunch launch, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var running = new Running { Launch = launch };
        if (!_containers.TryAdd(launch.ContainerId, running))
            throw new ContainerLaunchException($"Container {launch.ContainerId} already exists");
        var duration = SleepDuration(launch);
        if (duration is { } d && d > TimeSpan.Zero) Clock.Schedule(running, d);
        else running.Exit.TrySetResult(new ContainerExit(launch.ContainerId, 0, false, false, "simulated task finished"));
        return Task.FromResult(new ContainerStarted(launch.ContainerId, null, DateTimeOffset.UtcNow));
    }

    public Task<ContainerExit> WaitAsync(string containerId, CancellationToken ct) =>
        _containers.TryGetValue(containerId, out var r)
            ? r.Exit.Task.WaitAsync(ct)
            : throw new InvalidOperationException($"Unknown simulated container {containerId}");

    public Task KillAsync(string containerId, TimeSpan gracePeriod, CancellationToken ct)
    {
        if (_containers.TryGetValue(containerId, out var r))
        {
            r.Exit.TrySetResult(new ContainerExit(containerId, null, false, true, "simulated task killed"));
        }
        return Task.CompletedTask;
    }

    /// <summary>Nothing survives the process: there is nothing to recover.</summary>
    public Task<IReadOnlyList<RecoveredContainer>> RecoverAsync(string agentId, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<RecoveredContainer>>(Array.Empty<RecoveredContainer>());

    public Task CleanupAsync(string containerId, CancellationToken ct)
    {
        _containers.TryRemove(containerId, out _);
        return Task.CompletedTask;
    }

    /// <summary>Stops every simulated task's timer (their waits never complete) and forgets them.</summary>
    public void Dispose()
    {
        foreach (var r in _containers.Values) r.Abandoned = true;
        _containers.Clear();
    }

    /// <summary>Forgets the timers of every disposed simulated containerizer in the process; call once after disposing many
    /// (per dispose it would be quadratic). Until then their tasks stay reachable from the shared clock.</summary>
    public static void PurgeDisposed() => Clock.Purge();

    /// <summary><c>sleep N</c> → N seconds; null when the command is not a sleep.</summary>
    public static TimeSpan? SleepDuration(ContainerLaunch launch)
    {
        var words = launch.Shell || launch.Arguments.Count == 0
            ? launch.Command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : new[] { launch.Command }.Concat(launch.Arguments.Where(a => a != launch.Command)).ToArray();
        if (words.Length != 2 || Path.GetFileName(words[0]) != "sleep") return null;
        return double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && double.IsFinite(s)
            ? TimeSpan.FromSeconds(Math.Min(s, int.MaxValue / 1000.0))
            : null;
    }
}
