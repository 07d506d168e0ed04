using Akka.Actor;
using Akka.Event;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Protocol;

namespace ClusterKernel.Agent;

/// <summary>
/// The agent: registers with the master (through the singleton proxy), heartbeats, runs tasks through its containerizers
/// and delivers their status updates reliably. Never blocks: every containerizer call is piped back as a message.
/// Supervision: a failing containerizer call becomes a TASK_FAILED; the actor itself is restarted by its parent only
/// on a bug, and then recovers like a restarted agent.
/// <para>Recovery (agent restarted on the same work dir): before registering, the agent reads its task checkpoint
/// (<see cref="AgentCheckpoint"/>), asks every containerizer which of its containers are alive
/// (<see cref="IContainerizer.RecoverAsync"/>), re-attaches the tasks whose container lives, fails the non-terminal ones
/// whose container is gone, kills and cleans up live containers no checkpointed task owns, then re-registers under the
/// same agent id with its tasks and resends their unacknowledged updates.</para>
/// </summary>
public sealed partial class Agent : ReceiveActor, IWithTimers, IWithUnboundedStash
{
    private sealed record RegisterTick { public static readonly RegisterTick Instance = new(); }
    private sealed record HeartbeatTick { public static readonly HeartbeatTick Instance = new(); }
    private sealed record RetryTick { public static readonly RetryTick Instance = new(); }
    private sealed record Launched(TaskId TaskId, ContainerStarted Started);
    private sealed record LaunchFailed(TaskId TaskId, string Error);
    /// <param name="Gone">The container was not found after an agent restart (its exit, if any, is unknown).</param>
    private sealed record Exited(TaskId TaskId, ContainerExit Exit, bool Gone = false);
    private sealed record Recovered(IReadOnlyList<TaskCheckpoint> Tasks, IReadOnlyDictionary<string, IReadOnlyList<RecoveredContainer>> Alive,
        IReadOnlyDictionary<string, string> Failed);
    private static readonly TimeSpan RecoverTimeout = TimeSpan.FromSeconds(30);
    private const string GoneMessage = "Agent restarted and the container was gone";

    private readonly AgentSettings _settings;
    private readonly IActorRef _masterProxy;
    private readonly IReadOnlyList<IContainerizer> _containerizers;
    private readonly AgentTaskTable _tasks;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _shutdown = new();
    private AgentId? _agentId;
    private string? _masterEpoch;
    private IActorRef _master = ActorRefs.Nobody;

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public static Props Props(AgentSettings settings, IActorRef masterProxy, IReadOnlyList<IContainerizer> containerizers) =>
        Akka.Actor.Props.Create(() => new Agent(settings, masterProxy, containerizers));

    public Agent(AgentSettings settings, IActorRef masterProxy, IReadOnlyList<IContainerizer> containerizers)
    {
        _settings = settings;
        _masterProxy = masterProxy;
        _containerizers = containerizers;
        _tasks = new AgentTaskTable(settings.StatusUpdateRetryMin, settings.StatusUpdateRetryMax);
        _agentId = AgentCheckpoint.ReadAgentId(settings.WorkDir);
        Become(Recovering);
    }

    private void Recovering()
    {
        Receive<Recovered>(OnRecovered);
        ReceiveAny(_ => Stash.Stash());
    }

    private void Running()
    {
        Receive<RegisterTick>(_ => OnRegisterTick());
        Receive<AgentRegistered>(OnRegistered);
        Receive<AgentRegistrationRefused>(m => _log.Error("Master refused this agent: {0}", m.Reason));
        Receive<ReregistrationRequired>(m =>
        {
            ProbeAnswered();
            _log.Info("Master {0} asks this agent to re-register", m.MasterEpoch);
            if (_masterEpoch is null) return; // already re-registering: the register timer retries
            _masterEpoch = null;
            SendRegistration();
            RestartRegisterBackoff();
        });
        Receive<HeartbeatTick>(_ =>
        {
            if (_agentId is { } id && _masterEpoch is { } epoch && !_probing) _masterProxy.Tell(new AgentHeartbeat(id, epoch));
        });
        Receive<AgentHeartbeatAck>(m =>
        {
            ProbeAnswered();
            if (m.MasterEpoch != _masterEpoch) { _masterEpoch = null; SendRegistration(); }
        });
        MasterChangeReceives();
        Receive<RunTasks>(OnRunTasks);
        Receive<Launched>(OnLaunched);
        Receive<LaunchFailed>(m => Update(m.TaskId, TaskState.TASK_FAILED, m.Error, Reasons.ContainerLaunchFailed));
        Receive<Exited>(OnExited);
        Receive<KillTaskOnAgent>(m => KillWithGroup(m.TaskId, m.GracePeriodSeconds));
        Receive<FrameworkToExecutorMessage>(OnFrameworkMessage);
        Receive<ShutdownFrameworkOnAgent>(m =>
        {
            foreach (var t in _tasks.Tasks.Where(t => t.FrameworkId == m.FrameworkId && !t.State.IsTerminal()).ToList()) Kill(t.Info.TaskId, null);
        });
        Receive<StatusUpdateAcknowledgement>(OnAcknowledgement);
        Receive<StatusUpdateAcknowledgements>(m => { foreach (var ack in m.Acks) OnAcknowledgement(ack); });
        Receive<RetryTick>(_ =>
        {
            if (_masterEpoch is null) return;
            foreach (var (fw, status) in _tasks.DueForRetry(DateTimeOffset.UtcNow)) Send(fw, status);
        });
        Receive<ReadSandboxFile>(OnReadSandboxFile);
        Receive<CheckpointResourcesOnAgent>(m =>
        {
            // Volumes of live tasks stay even if no longer listed (the master refuses to destroy those; this is a second guard).
            var inUse = _tasks.Tasks.Where(t => !t.State.IsTerminal())
                .SelectMany(t => PersistentVolumes.MountsFor(_settings.WorkDir, t.Info)).Select(v => v.HostPath).ToHashSet();
            foreach (var gone in PersistentVolumes.Sync(_settings.WorkDir, m.Checkpointed, inUse)) _log.Info("Destroyed persistent volume {0}", gone);
        });
        Receive<BrowseSandbox>(m => Sender.Tell(SandboxBrowser.Browse(SandboxOf(m.FrameworkId, m.TaskId), m.Path)));
        Receive<DownloadSandboxFile>(m => Sender.Tell(SandboxBrowser.Read(SandboxOf(m.FrameworkId, m.TaskId), m.Path, m.Offset)));
        HealthChecking();
    }

    protected override void PreStart()
    {
        _log.Info("Agent starting on {0} with {1}; containerizers: {2}", _settings.Hostname, _settings.Resources,
            string.Join(",", _containerizers.Select(c => c.Name)));
        SubscribeToMasterChanges();
        StartRecovery();
    }

    /// <summary>Checkpointed tasks are read here (synchronously, small files); the containerizers answer asynchronously.</summary>
    private void StartRecovery()
    {
        IReadOnlyList<TaskCheckpoint> tasks;
        try
        {
            tasks = AgentCheckpoint.ReadTasks(_settings.WorkDir,
                (file, error) => _log.Error("Skipping corrupt task checkpoint {0} (renamed to .corrupt): {1}", file, error));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Error("Cannot read the task checkpoint in {0}; starting without recovered tasks: {1}", _settings.WorkDir, e.Message);
            tasks = Array.Empty<TaskCheckpoint>();
        }
        if (_agentId is not { } agentId)
        {
            if (tasks.Count > 0) _log.Warning("Ignoring {0} checkpointed task(s): no agent id in {1}", tasks.Count, _settings.WorkDir);
            Self.Tell(new Recovered(Array.Empty<TaskCheckpoint>(), new Dictionary<string, IReadOnlyList<RecoveredContainer>>(), new Dictionary<string, string>()));
            return;
        }
        var self = Self;
        var token = _shutdown.Token;
        var containerizers = _containerizers;
        Task.Run(async () =>
        {
            var alive = new Dictionary<string, IReadOnlyList<RecoveredContainer>>();
            var failed = new Dictionary<string, string>();
            foreach (var c in containerizers)
            {
                try { alive[c.Name] = await c.RecoverAsync(agentId.Value, token).WaitAsync(RecoverTimeout, token).ConfigureAwait(false); }
                catch (Exception e) { failed[c.Name] = e.GetBaseException().Message; }
            }
            return new Recovered(tasks, alive, failed);
        }).PipeTo(self);
    }

    private void OnRecovered(Recovered m)
    {
        foreach (var (name, error) in m.Failed) _log.Error("Containerizer {0} could not recover its containers: {1}", name, error);
        var owned = new HashSet<string>();
        foreach (var cp in m.Tasks)
        {
            var task = cp.ToTask();
            _tasks.Add(task);
            owned.Add(task.ContainerId);
            var containerizer = ContainerizerOf(task);
            var alive = containerizer is not null && m.Alive.TryGetValue(containerizer.Name, out var list) && list.Any(c => c.ContainerId == task.ContainerId);
            if (task.State.IsTerminal())
            {
                // Its end is known; only its updates are still to be delivered. Make sure nothing of it runs or lingers.
                if (containerizer is not null) KillAndCleanup(containerizer, task.ContainerId);
                continue;
            }
            if (alive)
            {
                _log.Info("Recovered task {0} in live container {1} ({2})", task.Info.TaskId, task.ContainerId, containerizer!.Name);
                task.Launched = true;
                _tasks.Touch(task.Info.TaskId);
                if (task.State is TaskState.TASK_STAGING or TaskState.TASK_STARTING) Update(task.Info.TaskId, TaskState.TASK_RUNNING);
                else if (task.State == TaskState.TASK_RUNNING && !task.KillRequested) StartHealthCheck(task); // checking starts over
                Watch(task, containerizer);
                if (task.KillRequested) Kill(task.Info.TaskId, task.KillGrace?.TotalSeconds);
                continue;
            }
            _log.Warning("Task {0}: its container {1} is gone after the agent restart", task.Info.TaskId, task.ContainerId);
            if (containerizer is null || !task.Launched || m.Failed.ContainsKey(containerizer.Name))
            {
                var msg = containerizer is null && task.Containerizer is { } name ? $"{GoneMessage} (containerizer '{name}' is not available)" : GoneMessage;
                Update(task.Info.TaskId, TaskState.TASK_FAILED, msg, Reasons.ExecutorTerminated);
                if (containerizer is not null) KillAndCleanup(containerizer, task.ContainerId);
                continue;
            }
            // The containerizer may still know how it ended (same containerizer instance, or docker's exited container).
            var self = Self;
            var id = task.Info.TaskId;
            var cid = task.ContainerId;
            SafeWait(containerizer, cid, _shutdown.Token).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => t.IsCompletedSuccessfully
                    ? new Exited(id, t.Result)
                    : new Exited(id, new ContainerExit(cid, null, false, false, GoneMessage), Gone: true))
                .PipeTo(self);
        }
        foreach (var c in _containerizers)
        {
            if (!m.Alive.TryGetValue(c.Name, out var list)) continue;
            foreach (var orphan in list.Where(r => !owned.Contains(r.ContainerId)))
            {
                _log.Warning("Killing orphan container {0} ({1}, task {2}): no checkpointed task owns it", orphan.ContainerId, c.Name, orphan.TaskId);
                KillAndCleanup(c, orphan.ContainerId);
            }
        }
        FlushCheckpoint();
        _log.Info("Agent recovered {0} task(s) from {1}", m.Tasks.Count, _settings.WorkDir);
        Become(Running);
        Stash.UnstashAll();
        StartRegisterTimer(TimeSpan.Zero);
        Timers.StartPeriodicTimer("heartbeat", HeartbeatTick.Instance, _settings.HeartbeatInterval);
        _running = true;
    }

    protected override void PostStop() => _shutdown.Cancel();

    protected override bool AroundReceive(Receive receive, object message)
    {
        var handled = base.AroundReceive(receive, message);
        FlushCheckpoint();
        FlushUpdates();
        return handled;
    }

    /// <summary>Writes every task changed by the last message (launch, state change, ack, kill request) and removes the files
    /// of tasks that left the table. A failing write is logged: the task goes on, only its recovery is at risk.</summary>
    private void FlushCheckpoint()
    {
        foreach (var (id, task) in _tasks.TakeChanged())
        {
            // A simulated container cannot outlive the process, so there is nothing to recover: no files (scale runs write none).
            if (task?.Containerizer == SimulatedContainerizer.ContainerizerName) continue;
            try
            {
                if (task is null) AgentCheckpoint.RemoveTask(_settings.WorkDir, id);
                else AgentCheckpoint.WriteTask(_settings.WorkDir, TaskCheckpoint.Of(task));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.Error("Cannot checkpoint task {0}: {1}", id, e.Message);
            }
        }
    }

    /// <summary>WaitAsync as a task even when the containerizer throws at once (e.g. a container it does not know).</summary>
    private static Task<ContainerExit> SafeWait(IContainerizer containerizer, string containerId, CancellationToken ct)
    {
        try { return containerizer.WaitAsync(containerId, ct); }
        catch (Exception e) { return Task.FromException<ContainerExit>(e); }
    }

    private void KillAndCleanup(IContainerizer containerizer, string containerId)
    {
        Task.Run(() => containerizer.KillAsync(containerId, TimeSpan.Zero, CancellationToken.None))
            .ContinueWith(_ => containerizer.CleanupAsync(containerId, CancellationToken.None)).Unwrap()
            .ContinueWith(t => { if (t.IsFaulted) _log.Warning("Cleanup of container {0} failed: {1}", containerId, t.Exception?.GetBaseException().Message); });
    }
    private AgentInfo Info => new()
    {
        Hostname = _settings.Hostname, Id = _agentId, Resources = _settings.Resources + _settings.RevocableResources, Attributes = _settings.Attributes,
    };

    private void SendRegistration()
    {
        if (_masterEpoch is not null) return;
        if (_agentId is null)
        {
            _masterProxy.Tell(new RegisterAgent(Info, Self));
            return;
        }
        var reports = _tasks.Tasks.Select(t => new TaskReport(t.FrameworkId, t.Info, t.State, t.Unacknowledged.ToList())).ToList();
        _masterProxy.Tell(new ReregisterAgent(Info, reports, Self));
    }

    private void OnRegistered(AgentRegistered m)
    {
        if (_masterEpoch == m.MasterEpoch && _agentId == m.AgentId) return; // answer to a retried registration
        var first = _agentId is null;
        _agentId = m.AgentId;
        _masterEpoch = m.MasterEpoch;
        _master = Sender;
        AgentCheckpoint.WriteAgentId(_settings.WorkDir, m.AgentId);
        _log.Info("{0} with master {1} as agent {2}", first ? "Registered" : "Re-registered", m.MasterEpoch, m.AgentId);
        // A new master never saw our pending updates: send every queue head again now.
        foreach (var (fw, status) in _tasks.AllHeads()) Send(fw, status);
    }

    private void OnRunTasks(RunTasks m)
    {
        if (_agentId is not { } agentId) return;
        // Every task is in the table before any is started, so a task group's first failure sees (and kills) all of its tasks.
        var accepted = new List<(AgentTask Entry, ContainerLaunch Launch)>();
        foreach (var task in m.Tasks)
        {
            LaunchTrace.Mark(task.TaskId.Value, "agent.run-tasks");
            if (_tasks.Contains(task.TaskId)) { _log.Warning("Ignoring duplicate launch of task {0}", task.TaskId); continue; }
            var containerId = RandomUuid.Next().ToString("N");
            var sandbox = Path.Combine(_settings.WorkDir, "slaves", agentId.Value, "frameworks", m.FrameworkId.Value,
                "executors", task.TaskId.Value, "runs", containerId);
            var launch = ToLaunch(agentId, m.FrameworkId, task, containerId, sandbox) with { Volumes = PersistentVolumes.MountsFor(_settings.WorkDir, task) };
            var entry = new AgentTask { FrameworkId = m.FrameworkId, Info = task, ContainerId = containerId, Sandbox = sandbox };
            // Known before the first checkpoint flush (one per launched task below, covering every task of this message):
            // simulated tasks are never checkpointed, so the rest of the batch must not be written while still unassigned.
            if (_containerizers.FirstOrDefault(c => c.Supports(launch)) is { Name: SimulatedContainerizer.ContainerizerName } simulated)
                entry.Containerizer = simulated.Name;
            _tasks.Add(entry);
            accepted.Add((entry, launch));
        }
        foreach (var (entry, launch) in accepted)
        {
            var task = entry.Info;
            var sandbox = entry.Sandbox;
            if (entry.KillRequested)
            {
                Update(task.TaskId, TaskState.TASK_KILLED, "Task killed before it started", Reasons.TaskKilledDuringLaunch);
                continue;
            }
            var containerizer = _containerizers.FirstOrDefault(c => c.Supports(launch));
            if (containerizer is null)
            {
                var need = launch.Image is null ? "a process containerizer" : "a Docker engine (none is reachable from this agent)";
                Update(task.TaskId, TaskState.TASK_FAILED, $"Task {task.TaskId} needs {need}", Reasons.ContainerLaunchFailed);
                continue;
            }
            entry.Containerizer = containerizer.Name;
            Update(task.TaskId, TaskState.TASK_STARTING);
            FlushCheckpoint(); // before the container exists: a restart then finds its task, never an orphan
            // The containerizer creates the sandbox (off this thread; the simulated one needs none), except where a process task's
            // persistent volumes are linked into it first.
            if (launch.Image is null && launch.Volumes.Count > 0)
            {
                Directory.CreateDirectory(sandbox);
                PersistentVolumes.Link(sandbox, launch.Volumes);
            }
            var self = Self;
            var id = task.TaskId;
            LaunchTrace.Mark(id.Value, "agent.launch");
            var launching = containerizer.LaunchAsync(launch, _shutdown.Token);
            // Already done (the simulated containerizer): handled now, as its Launched message would be, without the
            // continuation, the PipeTo and the extra mailbox round per task.
            if (launching.IsCompletedSuccessfully) { OnLaunched(new Launched(id, launching.Result)); continue; }
            launching.ContinueWith(t => t.IsCompletedSuccessfully
                ? new Launched(id, t.Result)
                : (object)new LaunchFailed(id, t.Exception?.GetBaseException().Message ?? "launch cancelled")).PipeTo(self);
        }
    }

    private void OnLaunched(Launched m)
    {
        if (_tasks.Find(m.TaskId) is not { } task) return;
        LaunchTrace.Mark(m.TaskId.Value, "agent.launched");
        task.Launched = true;
        _tasks.Touch(m.TaskId);
        if (task.Info.Executor is null)
        {
            Update(m.TaskId, TaskState.TASK_RUNNING);
            LaunchTrace.Mark(m.TaskId.Value, "agent.running-sent");
        }
        else StartGroupIfLaunched(task);
        Watch(task, ContainerizerOf(task)!);
        if (task.KillRequested) Kill(m.TaskId, task.KillGrace?.TotalSeconds);
    }

    private void Watch(AgentTask task, IContainerizer containerizer)
    {
        var self = Self;
        var id = task.Info.TaskId;
        var cid = task.ContainerId;
        SafeWait(containerizer, cid, _shutdown.Token).ContinueWith(t => t.IsCompletedSuccessfully
            ? new Exited(id, t.Result)
            : new Exited(id, new ContainerExit(cid, null, false, false, t.Exception?.GetBaseException().Message ?? "wait cancelled")))
            .PipeTo(self);
    }

    private void OnExited(Exited m)
    {
        if (_tasks.Find(m.TaskId) is not { } task) return;
        var e = m.Exit;
        if (m.Gone) Update(m.TaskId, TaskState.TASK_FAILED, e.Message, Reasons.ExecutorTerminated);
        else if (task.KillRequested || e.KilledByRequest) Update(m.TaskId, TaskState.TASK_KILLED, "Task killed", null, e.ExitCode);
        else if (e.OomKilled) Update(m.TaskId, TaskState.TASK_FAILED, e.Message, Reasons.ContainerLimitation, e.ExitCode);
        else if (e.ExitCode == 0) Update(m.TaskId, TaskState.TASK_FINISHED, "Command exited with status 0", null, 0);
        else Update(m.TaskId, TaskState.TASK_FAILED,
            e.ExitCode is { } code ? $"Command exited with status {code}" : e.Message, Reasons.CommandExecutorFailed, e.ExitCode);
        ContainerizerOf(task)?.CleanupAsync(task.ContainerId, CancellationToken.None);
    }

    private void Kill(TaskId id, double? graceSeconds)
    {
        if (_tasks.Find(id) is not { } task || task.State.IsTerminal()) return;
        var grace = graceSeconds ?? task.Info.KillGracePeriodSeconds;
        task.KillRequested = true;
        task.KillGrace = grace is { } g ? TimeSpan.FromSeconds(g) : _settings.KillGracePeriod;
        _tasks.Touch(id);
        if (!task.Launched)
        {
            // Not started yet: the kill happens once the launch completes (OnLaunched), or the launch failure ends it.
            return;
        }
        ContainerizerOf(task)?.KillAsync(task.ContainerId, task.KillGrace.Value, _shutdown.Token);
    }

    private void OnReadSandboxFile(ReadSandboxFile m) => Sender.Tell(SandboxReader.Read(SandboxOf(m.FrameworkId, m.TaskId), m.Path, m.Offset, m.Length));

    private string? SandboxOf(FrameworkId fw, TaskId id) =>
        _tasks.Tasks.FirstOrDefault(t => t.Info.TaskId == id && t.FrameworkId == fw)?.Sandbox ?? FindSandbox(fw, id);

    /// <summary>Sandboxes outlive their tasks (Mesos keeps them for gc_delay): the latest run of a finished task is found on disk.</summary>
    private string? FindSandbox(FrameworkId fw, TaskId task)
    {
        if (_agentId is not { } agentId) return null;
        var runs = Path.Combine(_settings.WorkDir, "slaves", agentId.Value, "frameworks", fw.Value, "executors", task.Value, "runs");
        return Directory.Exists(runs)
            ? new DirectoryInfo(runs).GetDirectories().OrderByDescending(d => d.CreationTimeUtc).FirstOrDefault()?.FullName
            : null;
    }

    private void Update(TaskId id, TaskState state, string? message = null, string? reason = null, int? exitCode = null, bool? healthy = null)
    {
        if (_agentId is not { } agentId || _tasks.Find(id) is not { } task) return;
        var before = task.State;
        if (state.IsTerminal()) (message, healthy) = EndHealthCheck(id, state, message, healthy);
        var now = _tasks.Update(id, state, agentId, DateTimeOffset.UtcNow, message, reason, exitCode, healthy);
        FlushCheckpoint(); // as Mesos: an update is checkpointed before it is forwarded
        if (now is not null) Send(task.FrameworkId, now);
        if (state == TaskState.TASK_RUNNING && before != TaskState.TASK_RUNNING && task.State == state) StartHealthCheck(task);
        if (task.Info.Executor is not null && state.IsTerminal() && !before.IsTerminal() && task.State == state) OnGroupTaskEnded(task, agentId);
    }

    private void Send(FrameworkId fw, TaskStatus status)
    {
        if (_masterEpoch is null) return; // sent again on (re-)registration
        _outbox.Add(new StatusUpdate(fw, status)); // sent after this message's handling, with the others it produced (FlushUpdates)
    }

    /// <summary>The containerizer that launched the task (by name, as checkpointed); null if this agent no longer has it.</summary>
    private IContainerizer? ContainerizerOf(AgentTask task) =>
        task.Containerizer is { } name ? _containerizers.FirstOrDefault(c => c.Name == name) : null;

    private static ContainerLaunch ToLaunch(AgentId agent, FrameworkId fw, TaskInfo task, string containerId, string sandbox)
    {
        var cmd = task.Command ?? new CommandInfo();
        var env = new Dictionary<string, string>(cmd.Environment)
        {
            ["MESOS_TASK_ID"] = task.TaskId.Value,
            ["MESOS_FRAMEWORK_ID"] = fw.Value,
            ["MESOS_AGENT_ID"] = agent.Value,
        };
        if (task.Executor is { } executor) env["MESOS_EXECUTOR_ID"] = executor.ExecutorId.Value;
        return new ContainerLaunch(containerId, agent.Value, fw.Value, task.TaskId.Value, task.Executor?.ExecutorId.Value ?? task.TaskId.Value,
            task.Container?.DockerImage, cmd.Value ?? "", cmd.Arguments, cmd.Shell, env,
            task.Resources.Scalar("cpus"), task.Resources.Scalar("mem"), sandbox);
    }
}
