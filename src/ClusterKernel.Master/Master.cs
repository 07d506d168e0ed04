using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using ClusterKernel.Allocation;
using ClusterKernel.Protocol;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Master;

/// <summary>
/// The master: a cluster singleton on the `master` role. It persists the registry (<see cref="Registry"/>), keeps the live view in
/// <see cref="MasterState"/>, turns allocator grants into offers, validates ACCEPTs, forwards status updates and acknowledgements,
/// and publishes a <see cref="ClusterState"/> snapshot for /state. Tasks are never persisted: after a restart it rebuilds them from
/// agents that re-register. Supervision: its allocator child is restarted on failure; the master itself is restarted by the
/// singleton manager and recovers from the journal.
/// </summary>
public sealed partial class Master : ReceivePersistentActor, IWithTimers
{
    private sealed record Sweep { public static readonly Sweep Instance = new(); }
    private sealed record PublishState { public static readonly PublishState Instance = new(); }
    /// <summary>/state readers in this process take the snapshot from here without an Ask (see ClusterStateBoard).</summary>
    private readonly ClusterStateBoard _board;
    // Agents failing their health check wait here for a permit (Mesos' agent_removal_rate_limit); the next sweep retries them.
    private readonly AgentRemovalRateLimit _removalLimit;
    private sealed record FailoverExpired(FrameworkId FrameworkId);

    private readonly MasterSettings _settings;
    private readonly Func<IAllocator> _allocatorFactory;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Registry _registry = new();
    private readonly MasterState _state;
    private readonly Dictionary<AgentId, IActorRef> _agentRefs = new();
    private readonly Dictionary<FrameworkId, IActorRef> _frameworkRefs = new();
    private readonly Dictionary<IActorRef, FrameworkId> _frameworkByRef = new();
    private readonly Dictionary<IActorRef, AgentId> _agentByRef = new();
    private readonly string _epoch = Guid.NewGuid().ToString("N")[..12];
    private readonly double _startTime = Now();
    private IActorRef _allocator = ActorRefs.Nobody;
    private AllocatorMetrics _allocatorMetrics = new(0, 0, 0, 0, 0, 0);
    private readonly Dictionary<FrameworkId, OfferCounters> _offerCounters = new();
    /// <summary>Tasks of non-partition-aware frameworks already reported LOST while their agent was unreachable: killed if it returns.</summary>
    private readonly HashSet<(FrameworkId, TaskId)> _lostWhileUnreachable = new();
    private ClusterState? _snapshot;
    /// <summary>Agents whose admission is being persisted (retries of their registration are not admitted twice).</summary>
    private readonly HashSet<IActorRef> _admitting = new();
    private const int MaxOffersPerMessage = 100;
    private DateTimeOffset _snapshotAt;

    public override string PersistenceId => "clusterkernel-master";
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(MasterSettings settings, Func<IAllocator> allocatorFactory) =>
        Akka.Actor.Props.Create(() => new Master(settings, allocatorFactory));

    /// <summary>
    /// The master under a backoff supervisor, as the singleton runs it: a failed journal write (database down) stops a persistent
    /// actor, and the supervisor starts it again — recovering the registry — with backoff from 1 s to 10 s until the database is back
    /// (10 s, not more: after a 30 s outage the master is back within ~10 s of the database; a retry is one connection attempt).
    /// Messages are forwarded to the master; while it is down they are dropped, and agents and frameworks retry.
    /// </summary>
    public static Props SupervisedProps(MasterSettings settings, Func<IAllocator> allocatorFactory) =>
        Akka.Pattern.BackoffSupervisor.Props(Akka.Pattern.Backoff.OnStop(Props(settings, allocatorFactory), "master",
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 0.2, maxNrOfRetries: -1));

    public Master(MasterSettings settings, Func<IAllocator> allocatorFactory)
    {
        _settings = settings;
        _board = ClusterStateBoard.For(Context.System);
        _removalLimit = AgentRemovalRateLimit.Parse(settings.AgentRemovalRateLimit);
        _allocatorFactory = allocatorFactory;
        _state = new MasterState(settings.MaxCompletedTasksPerFramework) { MaxCompletedFrameworks = settings.MaxCompletedFrameworks };
        JournalPluginId = settings.JournalPlugin;
        SnapshotPluginId = settings.SnapshotPlugin;

        Recover<IClusterMessage>(e => _registry.Apply(e));
        Recover<SnapshotOffer>(OnRegistrySnapshotOffer);
        Recover<RecoveryCompleted>(_ => OnRecoveredOrStop());

        Command<RegisterAgent>(OnRegisterAgent);
        Command<ReregisterAgent>(OnReregisterAgent);
        Command<AgentHeartbeat>(OnAgentHeartbeat);
        Command<StatusUpdate>(OnStatusUpdate);
        Command<SubscribeFramework>(OnSubscribe);
        Command<AcceptOffers>(OnAccept);
        Command<DeclineOffers>(OnDecline);
        Command<ReviveOffers>(m => IfFramework(m.FrameworkId, _ => Allocator(a => a.ReviveOffers(m.FrameworkId, m.Roles), allocate: true)));
        Command<SuppressOffers>(m => IfFramework(m.FrameworkId, _ => Allocator(a => a.SuppressOffers(m.FrameworkId, m.Roles))));
        Command<KillTask>(OnKill);
        Command<AcknowledgeStatus>(OnAcknowledge);
        Command<ReconcileTasks>(OnReconcile);
        // Operators may tear a framework down too (/teardown), so any sender is accepted.
        Command<TeardownFramework>(m => IfFramework(m.FrameworkId, f => RemoveFramework(f, "framework asked for teardown"), anySender: true));
        Command<OffersGranted>(OnOffersGranted);
        Command<ReadSandboxFile>(OnReadSandboxFile);
        Command<ISandboxRequest>(OnSandboxRequest);
        Command<GetLeaderInfo>(_ => OnGetLeaderInfo());
        Command<GetClusterState>(_ => Sender.Tell(Snapshot()));
        Command<GetAllocatorMetrics>(m => _allocator.Forward(m));
        Command<AllocatorMetrics>(m => _allocatorMetrics = m);
        Command<GetMetrics>(_ => Sender.Tell(Metrics()));
        Command<Terminated>(OnTerminated);
        Command<Sweep>(_ => OnSweep());
        Command<PublishState>(_ => { if (_board.ReadersActive(DateTimeOffset.UtcNow)) Snapshot(); });
        Command<FailoverExpired>(OnFailoverExpired);
        OperatorCommands();
        AllocationCommands();
        OperationCommands();
        FrameworkExtensionCommands();
        StatusUpdateCommands();
        PauseFenceCommands();
        LeaseStart();
        OperatorEventCommands();
        RegistrySnapshotCommands();
        AgentAllocationCommands();
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    // ---------------- recovery ----------------

    private void OnRecovered()
    {
        _allocator = Context.ActorOf(AllocatorActor.Props(_allocatorFactory(), Self, _settings.AllocationInterval, _settings.RecoveredAllocationDelay), "allocator");
        ApplyRolePriorities();
        if (_registry.Weights.Count > 0) Allocator(a => a.UpdateWeights(new Dictionary<string, double>(_registry.Weights)));
        foreach (var q in _registry.Quotas.Values) Allocator(a => a.UpdateQuota(q.Role, new Quota(q.Guarantees, q.Limits)));
        var now = Now();
        // Frameworks come back disconnected; their failover_timeout counts from when they disconnected, even under an earlier master.
        foreach (var (id, fw) in _registry.Frameworks)
        {
            var entry = new FrameworkEntry { Id = id, Info = fw.Info, RegisteredTime = fw.RegisteredTime, UnregisteredTime = fw.DisconnectedTime ?? now };
            _state.Frameworks[id] = entry;
            Allocator(a => a.AddFramework(id, fw.Info, new Dictionary<AgentId, ResourceBag>(), active: false));
            ScheduleFailover(id, fw.DisconnectedTime ?? now);
            if (fw.ActorPath is { } path)
                Context.ActorSelection(path).Tell(new ResubscribeRequired($"master {_epoch} took over"));
        }
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, TimeSpan.FromSeconds(1));
        // With max-age 0 (every read wants a fresh snapshot) nothing is published: readers Ask.
        if (_settings.StateSnapshotMaxAge > TimeSpan.Zero)
            Timers.StartPeriodicTimer("publish-state", PublishState.Instance, _settings.StateSnapshotMaxAge);
        StartPauseFence();
        RegistryHealth.Get(Context.System).Recovered();
        _log.Info("Master {0} recovered registry: {1} agents, {2} frameworks", _epoch, _registry.Agents.Count, _registry.Frameworks.Count);
    }

    // ---------------- agents ----------------

    private void OnRegisterAgent(RegisterAgent m)
    {
        // Registration is retried until answered: a retry from an agent already admitted gets the same id back.
        if (_agentByRef.TryGetValue(m.Agent, out var known)) { m.Agent.Tell(new AgentRegistered(known, _epoch, 5)); return; }
        // Being admitted: it is answered once its admission is written.
        if (!_admitting.Add(m.Agent)) return;
        var id = new AgentId($"{_epoch}-S{_registry.Agents.Count + _state.Agents.Count + _admitting.Count - 1}-{Guid.NewGuid().ToString("N")[..6]}");
        var info = m.Info with { Id = id };
        var agent = m.Agent;
        // PersistAsync: the admissions of agents registering together go to the journal in one write (10,000 agents took
        // 30-69 s with one awaited write each); the agent is told only once its admission is durable.
        PersistAsync(new AgentAdmitted(id, info, Now()), e =>
        {
            _admitting.Remove(agent);
            _registry.Apply(e);
            AddAgent(id, info, agent, Array.Empty<TaskReport>());
            agent.Tell(new AgentRegistered(id, _epoch, 5));
        });
    }

    private void OnReregisterAgent(ReregisterAgent m)
    {
        if (m.Info.Id is not { } id) { m.Agent.Tell(new AgentRegistrationRefused("re-registration without an agent id")); return; }
        if (_registry.Gone.Contains(id)) { m.Agent.Tell(new AgentRegistrationRefused($"agent {id} was marked gone by an operator")); return; }
        // A retry of a re-registration this master has already taken (see Master.Reregistration.cs): answer again.
        if (IsRepeatedReregistration(m, id))
        {
            _repeatedReregistrations++;
            m.Agent.Tell(new AgentRegistered(id, _epoch, 5));
            return;
        }
        var wasUnreachable = new HashSet<(FrameworkId, TaskId)>();
        var known = KnownTasksOf(id); // operator events: a known agent's tasks are not added again
        var announce = !_state.Agents.TryGetValue(id, out var before) || before.Unreachable;
        if (_state.Agents.ContainsKey(id))
        {
            // Same master, agent reconnected (or duplicate): refresh its connection, keep its tasks.
            foreach (var t in _state.TasksOnAgent(id).Where(t => t.State == TaskState.TASK_UNREACHABLE)) wasUnreachable.Add((t.FrameworkId, t.Info.TaskId));
            // Tasks the agent no longer reports are gone with its old state (e.g. a lost checkpoint): Mesos reports them LOST.
            var reported = m.Tasks.Select(r => (r.FrameworkId, r.Task.TaskId)).ToHashSet();
            var now = Now();
            foreach (var t in _state.TasksOnAgent(id).Where(t => !t.State.IsTerminal() && !reported.Contains((t.FrameworkId, t.Info.TaskId))).ToList())
            {
                var lostStatus = MasterState.MasterStatus(t.Info.TaskId, id, TaskState.TASK_LOST,
                    "Task was not reported by the agent on re-registration", Reasons.AgentRestarted, now);
                SendToFramework(t.FrameworkId, new TaskStatusUpdate(lostStatus));
                PublishTaskLostOnReregistration(t.FrameworkId, lostStatus);
            }
            RemoveAgentRuntime(id, lost: false);
        }
        void Admit()
        {
            // Tasks the frameworks were already told were LOST must not come back to life: kill them (Mesos does the same).
            var lost = m.Tasks.Where(r => _lostWhileUnreachable.Remove((r.FrameworkId, r.Task.TaskId)) && !r.State.IsTerminal()).ToList();
            AddAgent(id, m.Info, m.Agent, m.Tasks.Except(lost).ToList(), known, announce);
            RememberReregistration(m, id);
            _reregistrations++;
            m.Agent.Tell(new AgentRegistered(id, _epoch, 5));
            foreach (var r in lost) m.Agent.Tell(new KillTaskOnAgent(r.FrameworkId, r.Task.TaskId, null));
            ResendKills(id, m.Tasks);
            foreach (var r in m.Tasks.Where(r => wasUnreachable.Contains((r.FrameworkId, r.Task.TaskId)) && !r.State.IsTerminal()))
                SendToFramework(r.FrameworkId, new TaskStatusUpdate(MasterState.MasterStatus(r.Task.TaskId, id, r.State,
                    $"Agent {id} is reachable again", Reasons.AgentReregistered, Now())));
            if (_registry.Draining.Contains(id)) { KillDrainedTasks(id, null); MarkGoneIfDrained(id); }
        }
        if (_registry.Agents.ContainsKey(id)) Admit();
        else Persist(new AgentAdmitted(id, m.Info, Now()), e => { _registry.Apply(e); Admit(); });
    }

    /// <param name="known">Tasks the master had on this agent before it re-registered (see <see cref="KnownTasksAsUpdates"/>).</param>
    /// <param name="announce">AGENT_ADDED for subscribers: not for a known, reachable agent that re-registers (Mesos sends none).</param>
    private void AddAgent(AgentId id, AgentInfo info, IActorRef agentRef, IReadOnlyList<TaskReport> tasks,
        IReadOnlyDictionary<(FrameworkId, TaskId), TaskState>? known = null, bool announce = true)
    {
        using var knownTasks = KnownTasksAsUpdates(known);
        info = WithCheckpointed(id, info);
        if (_registry.Checkpointed.TryGetValue(id, out var checkpointed)) agentRef.Tell(new CheckpointResourcesOnAgent(checkpointed));
        var now = Now();
        var entry = new AgentEntry { Id = id, Info = info, Connected = true, RegisteredTime = now, LastSeen = DateTimeOffset.UtcNow };
        _state.Agents[id] = entry;
        _agentRefs[id] = agentRef;
        _agentByRef[agentRef] = id;
        Context.Watch(agentRef);
        var used = new Dictionary<FrameworkId, ResourceBag>();
        foreach (var report in tasks.Where(t => !t.State.IsTerminal() || t.UnacknowledgedUpdates.Count > 0))
        {
            if (!_state.Frameworks.ContainsKey(report.FrameworkId))
            {
                // A framework this master never heard of (e.g. a fresh registry): keep its tasks until it subscribes or times out.
                var placeholder = new FrameworkInfo { Name = "(unknown)", Id = report.FrameworkId, FailoverTimeout = _settings.AgentReregisterTimeout.TotalSeconds };
                _state.Frameworks[report.FrameworkId] = new FrameworkEntry { Id = report.FrameworkId, Info = placeholder, RegisteredTime = now, UnregisteredTime = now };
                Allocator(a => a.AddFramework(report.FrameworkId, placeholder, new Dictionary<AgentId, ResourceBag>(), active: false));
                ScheduleFailover(report.FrameworkId, now);
            }
            if (_state.FindTask(report.FrameworkId, report.Task.TaskId) is { } existing && !existing.State.IsTerminal()) continue;
            var t = _state.AddTask(report.FrameworkId, report.Task, report.State, now);
            if (report.State.IsTerminal()) _state.ApplyStatus(report.FrameworkId, t.Latest! with { State = report.State });
            else used[report.FrameworkId] = used.GetValueOrDefault(report.FrameworkId, ResourceBag.Empty) + report.Task.Resources;
        }
        foreach (var e in _state.ExecutorsOnAgent(id)) used[e.FrameworkId] = used.GetValueOrDefault(e.FrameworkId, ResourceBag.Empty) + e.Info.Resources;
        Allocator(a => a.AddAgent(id, info, info.Resources, used));
        AllocateSoonForAddedAgent();
        if (!_registry.IsAvailable(id, info.Hostname)) Allocator(a => a.SetAgentAvailable(id, false));
        if (announce) PublishAgent(id, added: true);
        _log.Info("Agent {0} ({1}) registered with {2} and {3} tasks", id, info.Hostname, info.Resources, tasks.Count);
    }

    private void OnAgentHeartbeat(AgentHeartbeat m)
    {
        // A heartbeat naming an earlier master, from the very actor that has already re-registered here, was sent before the
        // agent heard of this master (after a failover agents probe: see Agent.MasterChange.cs): asking it to re-register
        // again would only make it resend all its tasks.
        if (_state.Agents.TryGetValue(m.AgentId, out var a) && a.Connected &&
            (m.MasterEpoch == _epoch || (_agentRefs.TryGetValue(m.AgentId, out var known) && known.Equals(Sender))))
        {
            a.LastSeen = DateTimeOffset.UtcNow;
            Sender.Tell(new AgentHeartbeatAck(_epoch));
        }
        else
        {
            _reregistrationRequiredSent++;
            Sender.Tell(new ReregistrationRequired(_epoch));
        }
    }

    /// <summary>
    /// An agent that stopped answering, as Mesos marks it unreachable: no offers on it; PARTITION_AWARE frameworks get TASK_UNREACHABLE
    /// (and RUNNING again if it comes back), the others TASK_LOST (and their tasks are killed if it comes back). It is removed for good
    /// only after agent-reregister-timeout.
    /// </summary>
    private void MarkUnreachable(AgentEntry a, string why)
    {
        a.Unreachable = true;
        a.Connected = false;
        a.DisconnectedAt ??= DateTimeOffset.UtcNow;
        foreach (var offer in _state.OffersOnAgent(a.Id)) Rescind(offer);
        Allocator(x => x.SetAgentAvailable(a.Id, false));
        var now = Now();
        foreach (var t in _state.TasksOnAgent(a.Id).Where(t => !t.State.IsTerminal()).ToList())
        {
            ForgetPreemption(t.FrameworkId, t.Info.TaskId); // no acknowledged kill will come from an unreachable agent
            var partitionAware = _state.Frameworks[t.FrameworkId].Info.Has(FrameworkCapabilities.PartitionAware);
            var status = MasterState.MasterStatus(t.Info.TaskId, a.Id, partitionAware ? TaskState.TASK_UNREACHABLE : TaskState.TASK_LOST,
                $"Agent {a.Id} is unreachable: {why}", Reasons.AgentDisconnected, now);
            if (_state.ApplyStatus(t.FrameworkId, status) is { } freed)
                Allocator(x => x.RecoverResources(t.FrameworkId, a.Id, freed.Role, freed.Resources, null, DateTimeOffset.UtcNow));
            SendToFramework(t.FrameworkId, new TaskStatusUpdate(status));
            if (!partitionAware)
            {
                _state.CompleteTask(t.FrameworkId, t.Info.TaskId);
                _lostWhileUnreachable.Add((t.FrameworkId, t.Info.TaskId));
            }
        }
        _log.Warning("Agent {0} unreachable ({1}); removed if not back within {2}", a.Id, why, _settings.AgentReregisterTimeout);
    }

    /// <summary>Takes an agent out of the live view: its offers are rescinded; when <paramref name="lost"/>, its tasks are LOST.</summary>
    private void RemoveAgentRuntime(AgentId id, bool lost)
    {
        foreach (var offer in _state.OffersOnAgent(id)) Rescind(offer);
        if (lost)
        {
            foreach (var t in _state.TasksOnAgent(id).ToList())
            {
                ForgetPreemption(t.FrameworkId, t.Info.TaskId);
                var status = MasterState.MasterStatus(t.Info.TaskId, id, TaskState.TASK_LOST, "Agent removed", Reasons.AgentRemoved, Now());
                _state.ApplyStatus(t.FrameworkId, status);
                SendToFramework(t.FrameworkId, new TaskStatusUpdate(status));
                _state.CompleteTask(t.FrameworkId, t.Info.TaskId);
            }
            NotifyAgentRemoved(id);
        }
        else
        {
            foreach (var t in _state.TasksOnAgent(id).ToList())
            {
                // The agent reports them again when it re-registers.
                ForgetPreemption(t.FrameworkId, t.Info.TaskId);
                _state.Frameworks[t.FrameworkId].Tasks.Remove(t.Info.TaskId);
                _state.Frameworks[t.FrameworkId].Used -= t.Info.Resources;
            }
        }
        _state.ForgetExecutors(e => e.AgentId == id);
        if (!_registry.Agents.ContainsKey(id)) _pendingKills.Remove(id); // removed or gone: it will not re-register
        _state.Agents.Remove(id);
        if (_agentRefs.Remove(id, out var r)) { _agentByRef.Remove(r); Context.Unwatch(r); }
        Allocator(a => a.RemoveAgent(id));
    }

    // ---------------- frameworks ----------------

    private void OnSubscribe(SubscribeFramework m)
    {
        var info = m.Info;
        if (string.IsNullOrWhiteSpace(info.Name)) { m.Framework.Tell(new FrameworkError("FrameworkInfo.name is required")); return; }
        if (info.Roles.Count == 0 || info.Roles.Any(r => !ClusterKernel.Resources.Roles.IsValid(r)))
        { m.Framework.Tell(new FrameworkError($"Invalid roles: {string.Join(",", info.Roles)}")); return; }
        if (TaskShape.Validate(info.TaskShapes) is { } badShapes) { m.Framework.Tell(new FrameworkError(badShapes)); return; }
        if (info.OfferConstraints?.Validate(info.Roles) is { } badConstraints) { m.Framework.Tell(new FrameworkError(badConstraints)); return; }
        if (info.Id is { } removed && _registry.RemovedFrameworks.Contains(removed))
        {
            m.Framework.Tell(new FrameworkError($"Framework {removed} has been removed (torn down or past its failover_timeout): subscribe without an id to start a new one"));
            return;
        }
        var path = Akka.Serialization.Serialization.SerializedActorPath(m.Framework);
        // SUBSCRIBE is retried until answered: a retry without an id from a subscribed actor gets its id back.
        if (info.Id is null && _frameworkByRef.TryGetValue(m.Framework, out var knownId))
        {
            m.Framework.Tell(new FrameworkSubscribed(knownId, Self, _settings.FrameworkHeartbeatInterval.TotalSeconds, Resubscribed: false));
            return;
        }
        if (info.Id is { } id && _state.Frameworks.TryGetValue(id, out var existing))
        {
            var ev = new FrameworkReconnected(id, info, Now(), path);
            Persist(ev, e =>
            {
                _registry.Apply(e);
                if (_frameworkRefs.TryGetValue(id, out var old) && !old.Equals(m.Framework))
                {
                    old.Tell(new FrameworkError("Framework failed over: a newer subscription replaced this one"));
                    _frameworkByRef.Remove(old);
                    Context.Unwatch(old);
                }
                existing.Info = info;
                existing.Connected = true;
                existing.UnregisteredTime = null;
                Timers.Cancel(FailoverKey(id));
                Connect(id, m.Framework);
                PublishFramework(existing, FrameworkChange.Updated);
                Allocator(a => { a.UpdateFramework(id, info, m.SuppressedRoles); a.ActivateFramework(id); }, allocate: true);
                m.Framework.Tell(new FrameworkSubscribed(id, Self, _settings.FrameworkHeartbeatInterval.TotalSeconds, Resubscribed: true));
                _log.Info("Framework {0} ({1}) re-subscribed", id, info.Name);
            });
            return;
        }
        var newId = info.Id ?? new FrameworkId($"{_epoch}-{Guid.NewGuid().ToString("N")[..8]}");
        var withId = info with { Id = newId };
        Persist(new FrameworkAdded(newId, withId, Now(), path), e =>
        {
            _registry.Apply(e);
            _state.Frameworks[newId] = new FrameworkEntry { Id = newId, Info = withId, Connected = true, RegisteredTime = e.Time };
            Connect(newId, m.Framework);
            PublishFramework(_state.Frameworks[newId], FrameworkChange.Added);
            Allocator(a => a.AddFramework(newId, withId, new Dictionary<AgentId, ResourceBag>(), active: true, m.SuppressedRoles), allocate: true);
            m.Framework.Tell(new FrameworkSubscribed(newId, Self, _settings.FrameworkHeartbeatInterval.TotalSeconds, Resubscribed: false));
            _log.Info("Framework {0} ({1}) subscribed with roles {2}", newId, withId.Name, string.Join(",", withId.Roles));
        });
    }

    private void Connect(FrameworkId id, IActorRef framework)
    {
        _frameworkRefs[id] = framework;
        _frameworkByRef[framework] = id;
        Context.Watch(framework);
    }

    private void OnTerminated(Terminated t)
    {
        if (_frameworkByRef.Remove(t.ActorRef, out var fwId))
        {
            _frameworkRefs.Remove(fwId);
            if (!_state.Frameworks.TryGetValue(fwId, out var f)) return;
            Persist(new FrameworkDisconnected(fwId, Now()), e =>
            {
                _registry.Apply(e);
                f.Connected = false;
                f.UnregisteredTime = e.Time;
                PublishFramework(f, FrameworkChange.Updated);
                foreach (var offer in _state.OffersOfFramework(fwId)) Rescind(offer, notify: false);
                Allocator(a => a.DeactivateFramework(fwId));
                ScheduleFailover(fwId, e.Time);
                _log.Info("Framework {0} disconnected; failover timeout {1}s", fwId, f.Info.FailoverTimeout);
            });
        }
        else if (_agentByRef.Remove(t.ActorRef, out var agentId) && _state.Agents.TryGetValue(agentId, out var a))
        {
            // Disconnected: no offers on it. Its tasks are only reported unreachable after agent-ping-timeout without contact (Sweep),
            // so an agent that restarts (and re-registers) in time looks to its frameworks as if nothing happened.
            a.Connected = false;
            a.DisconnectedAt = DateTimeOffset.UtcNow;
            foreach (var offer in _state.OffersOnAgent(agentId)) Rescind(offer);
            Allocator(x => x.SetAgentAvailable(agentId, false));
            _log.Warning("Agent {0} disconnected; unreachable if not back within {1}", agentId, _settings.AgentPingTimeout);
        }
    }

    private static string FailoverKey(FrameworkId id) => "failover-" + id.Value;

    private void ScheduleFailover(FrameworkId id, double disconnectedAt)
    {
        if (!_state.Frameworks.TryGetValue(id, out var f)) return;
        var remaining = Math.Max(0, disconnectedAt + f.Info.FailoverTimeout - Now());
        Timers.StartSingleTimer(FailoverKey(id), new FailoverExpired(id), TimeSpan.FromSeconds(Math.Min(remaining, 365 * 24 * 3600.0)));
    }

    private void OnFailoverExpired(FailoverExpired m)
    {
        if (_state.Frameworks.TryGetValue(m.FrameworkId, out var f) && !f.Connected)
            RemoveFramework(f, $"failover timeout of {f.Info.FailoverTimeout}s elapsed");
    }

    private void RemoveFramework(FrameworkEntry f, string why)
    {
        Persist(new FrameworkRemoved(f.Id, Now()), e =>
        {
            _registry.Apply(e);
            foreach (var offer in _state.OffersOfFramework(f.Id)) Rescind(offer, notify: false);
            foreach (var agent in f.Tasks.Values.Select(t => t.AgentId).Distinct())
                if (_agentRefs.TryGetValue(agent, out var r)) r.Tell(new ShutdownFrameworkOnAgent(f.Id));
            if (_frameworkRefs.Remove(f.Id, out var fr)) { _frameworkByRef.Remove(fr); Context.Unwatch(fr); fr.Tell(new FrameworkError($"Framework removed: {why}")); }
            _state.ForgetExecutors(x => x.FrameworkId == f.Id);
            foreach (var t in f.Tasks.Keys) ForgetPreemption(f.Id, t);
            // Active tasks end TASK_KILLED (and agents' Used drops) and the framework is kept among the completed ones, as Mesos.
            _state.CompleteFramework(f.Id, $"Framework {f.Id} removed", Now());
            PublishFramework(f, FrameworkChange.Removed);
            Timers.Cancel(FailoverKey(f.Id));
            Allocator(a => a.RemoveFramework(f.Id), allocate: true);
            _log.Info("Framework {0} removed: {1}", f.Id, why);
        });
    }

    // ---------------- offers ----------------

    private void OnOffersGranted(OffersGranted m)
    {
        if (LeaseFenced() | MajorityUnseen())
        {
            foreach (var g in m.Grants) Allocator(x => x.RecoverResources(g.Framework, g.Agent, g.Role, g.Resources, null, DateTimeOffset.UtcNow));
            return;
        }
        var byFramework = new Dictionary<FrameworkId, List<Offer>>();
        foreach (var g in m.Grants)
        {
            if (!_state.Frameworks.TryGetValue(g.Framework, out var f) || !f.Connected ||
                !_state.Agents.TryGetValue(g.Agent, out var a) || !a.Connected)
            {
                // Raced with a removal or disconnect: give it back.
                Allocator(x => x.RecoverResources(g.Framework, g.Agent, g.Role, g.Resources, null, DateTimeOffset.UtcNow));
                continue;
            }
            var offer = _state.AddOffer(_epoch, g.Framework, g.Agent, g.Role, g.Resources);
            OfferSent(offer);
            (byFramework.TryGetValue(g.Framework, out var list) ? list : byFramework[g.Framework] = new List<Offer>()).Add(offer);
        }
        foreach (var (fw, offers) in byFramework)
        {
            Counters(fw).Sent += offers.Count;
            // As Mesos' "Sending N offers to framework": it also lets tests see which master offered when (the ids carry the epoch).
            _log.Info("Sending {0} offers to framework {1} ({2}..{3})", offers.Count, fw, offers[0].Id, offers[^1].Id);
            // In chunks: at thousands of agents one message of all offers would exceed Akka's default 128 kB frame.
            foreach (var chunk in offers.Chunk(MaxOffersPerMessage)) SendToFramework(fw, new ResourceOffers(chunk));
        }
    }

    private void Rescind(Offer offer, bool notify = true)
    {
        _state.RemoveOffer(offer.Id);
        Counters(offer.FrameworkId).Rescinded++;
        if (notify) SendToFramework(offer.FrameworkId, new OfferRescinded(offer.Id));
        Allocator(a => a.RecoverResources(offer.FrameworkId, offer.AgentId, offer.AllocationRole, offer.Resources, null, DateTimeOffset.UtcNow));
    }

    private void OnAccept(AcceptOffers m) => IfFramework(m.FrameworkId, f =>
    {
        RescindIfLeaseLost(m.OfferIds);
        var outcome = _state.Accept(m.FrameworkId, m.OfferIds, m.Operations, Now());
        // Only ACCEPTs whose offers were valid count (an invalid one names no agent: its offers go back untouched).
        if (outcome.Agent is not null) Counters(m.FrameworkId).Accepted += m.OfferIds.Distinct().Count();
        AfterOperations(m.FrameworkId, outcome, () =>
        {
            foreach (var refused in outcome.Refused) SendToFramework(m.FrameworkId, new TaskStatusUpdate(refused));
            if (outcome.Agent is { } agent)
            {
                if (outcome.Launch.Count > 0)
                {
                    if (_agentRefs.TryGetValue(agent, out var r)) r.Tell(new RunTasks(m.FrameworkId, f.Info, outcome.Launch));
                    else foreach (var t in outcome.Launch) LoseTask(m.FrameworkId, t.TaskId, agent, "Agent is not connected", Reasons.AgentDisconnected);
                }
                if (!outcome.Unused.IsEmpty)
                    Allocator(a => a.RecoverResources(m.FrameworkId, agent, outcome.Role, outcome.Unused, m.Filters ?? new Filters(), DateTimeOffset.UtcNow));
            }
            foreach (var o in outcome.Returned)
                Allocator(a => a.RecoverResources(o.FrameworkId, o.AgentId, o.AllocationRole, o.Resources, null, DateTimeOffset.UtcNow));
        });
    });

    private void OnDecline(DeclineOffers m) => IfFramework(m.FrameworkId, _ =>
    {
        foreach (var id in m.OfferIds)
        {
            if (!_state.Offers.TryGetValue(id, out var offer) || offer.FrameworkId != m.FrameworkId) continue;
            _state.RemoveOffer(id);
            Counters(m.FrameworkId).Declined++;
            Allocator(a => a.RecoverResources(m.FrameworkId, offer.AgentId, offer.AllocationRole, offer.Resources, m.Filters ?? new Filters(), DateTimeOffset.UtcNow));
        }
    });

    // ---------------- tasks ----------------

    private void OnStatusUpdate(StatusUpdate m)
    {
        var status = ApplyUpdate(m);
        // Forwarded even when seen before: the agent retries until the framework acknowledges.
        SendToFramework(m.FrameworkId, new TaskStatusUpdate(status));
    }

    /// <summary>Applies an agent's status update; returns the status to forward (with the preemption reason when it applies).</summary>
    private TaskStatus ApplyUpdate(StatusUpdate m)
    {
        var status = GoneIfDrained(PreemptionReason(m.FrameworkId, m.Status));
        if (status.AgentId is { } agentId && _state.Agents.TryGetValue(agentId, out var agent)) agent.LastSeen = DateTimeOffset.UtcNow;
        if (_state.ApplyStatus(m.FrameworkId, status) is { } freed && status.AgentId is { } ag)
            Allocator(a => a.RecoverResources(m.FrameworkId, ag, freed.Role, freed.Resources, null, DateTimeOffset.UtcNow));
        if (status.State.IsTerminal() && status.AgentId is { } from) ForgetKill(from, m.FrameworkId, status.TaskId);
        return status;
    }

    private void OnAcknowledge(AcknowledgeStatus m)
    {
        if (_agentRefs.TryGetValue(m.AgentId, out var agent)) agent.Tell(new StatusUpdateAcknowledgement(m.FrameworkId, m.TaskId, m.Uuid));
        CompleteIfAcknowledgedTerminal(m.FrameworkId, m.TaskId, m.Uuid);
    }

    private void CompleteIfAcknowledgedTerminal(FrameworkId fw, TaskId task, Guid uuid)
    {
        if (_state.FindTask(fw, task) is { } t && t.State.IsTerminal() && t.Latest?.Uuid == uuid)
        {
            _state.CompleteTask(fw, task);
            ForgetPreemption(fw, task);
            MarkGoneIfDrained(t.AgentId);
        }
    }

    private void OnKill(KillTask m) => IfFramework(m.FrameworkId, f =>
    {
        // A known task: to its agent now, or when the agent re-registers (Master.Kills.cs).
        if (f.Tasks.TryGetValue(m.TaskId, out var t)) { if (!t.State.IsTerminal()) KillOnAgent(t.AgentId, m.FrameworkId, m.TaskId, m.GracePeriodSeconds); return; }
        bool? anyRecovering = null;
        if (UnknownUntilAgentsReregister(m.AgentId, ref anyRecovering))
        {
            if (m.AgentId is { } agentId)
            {
                RememberKill(agentId, m.FrameworkId, m.TaskId, m.GracePeriodSeconds);
                _log.Info("Kill of task {0} of framework {1} kept until agent {2} re-registers", m.TaskId, m.FrameworkId, agentId);
            }
            else _log.Info("Kill of task {0} of framework {1} not answered: agents have not re-registered yet", m.TaskId, m.FrameworkId);
            return;
        }
        SendToFramework(m.FrameworkId, new TaskStatusUpdate(MasterState.MasterStatus(m.TaskId, m.AgentId,
            f.Info.Has(FrameworkCapabilities.PartitionAware) ? TaskState.TASK_UNKNOWN : TaskState.TASK_LOST,
            "Kill of a task this master does not know", Reasons.TaskUnknown, Now())));
    });

    private void OnReconcile(ReconcileTasks m) => IfFramework(m.FrameworkId, f =>
    {
        var now = Now();
        bool? anyRecovering = null;
        var waiting = new List<TaskId>();
        var tasks = m.Tasks.Count == 0
            ? f.Tasks.Values.Select(t => (t.Info.TaskId, (TaskEntry?)t, (AgentId?)t.AgentId))
            : m.Tasks.Select(r => (r.TaskId, _state.FindTask(m.FrameworkId, r.TaskId), r.AgentId));
        foreach (var (id, entry, agentId) in tasks.ToList())
        {
            // Its agent has not re-registered with this master yet: no answer, as Mesos (a TASK_LOST would be taken as final).
            if (entry is null && UnknownUntilAgentsReregister(agentId, ref anyRecovering)) { waiting.Add(id); continue; }
            var status = entry?.Latest is { } latest
                ? latest with { Reason = Reasons.Reconciliation, Uuid = null, Source = StatusSource.SOURCE_MASTER, Timestamp = now }
                : MasterState.MasterStatus(id, agentId, f.Info.Has(FrameworkCapabilities.PartitionAware) ? TaskState.TASK_UNKNOWN : TaskState.TASK_LOST,
                    "Reconciliation: task unknown to the master", Reasons.Reconciliation, now);
            SendToFramework(m.FrameworkId, new TaskStatusUpdate(status));
        }
        if (waiting.Count > 0)
            _log.Info("Reconciliation of {0} task(s) of framework {1} (e.g. {2}) not answered: their agents have not re-registered yet", waiting.Count, m.FrameworkId, waiting[0]);
    });

    private void LoseTask(FrameworkId fw, TaskId task, AgentId agent, string message, string reason)
    {
        var status = MasterState.MasterStatus(task, agent, TaskState.TASK_LOST, message, reason, Now());
        if (_state.ApplyStatus(fw, status) is { } freed) Allocator(a => a.RecoverResources(fw, agent, freed.Role, freed.Resources, null, DateTimeOffset.UtcNow));
        SendToFramework(fw, new TaskStatusUpdate(status));
        _state.CompleteTask(fw, task);
        ForgetPreemption(fw, task);
    }

    private void OnReadSandboxFile(ReadSandboxFile m)
    {
        if (_state.FindTask(m.FrameworkId, m.TaskId) is { } t && _agentRefs.TryGetValue(t.AgentId, out var agent)) agent.Forward(m);
        else Sender.Tell(new SandboxFileData(m.Path, m.Offset, "", 0, $"Task {m.TaskId} of framework {m.FrameworkId} is not on a connected agent"));
    }

    // ---------------- housekeeping ----------------

    private void OnSweep()
    {
        SnapshotRegistryIfDue();
        SendInverseOffers();
        var now = DateTimeOffset.UtcNow;
        foreach (var a in _state.Agents.Values.ToList())
        {
            if (!a.Unreachable && now - a.LastSeen > _settings.AgentPingTimeout)
            {
                if (_removalLimit.TryAcquire(now)) MarkUnreachable(a, $"no contact for {_settings.AgentPingTimeout}");
            }
            else if (!a.Connected && a.DisconnectedAt is { } since && now - since > _settings.AgentReregisterTimeout
                     && _removalLimit.TryAcquire(now))
            {
                var id = a.Id;
                Persist(new AgentRemoved(id, "did not re-register in time", Now()), e => { _registry.Apply(e); RemoveAgentRuntime(id, lost: true); });
            }
        }
    }

    private sealed class OfferCounters { public long Sent, Accepted, Declined, Rescinded; }

    private OfferCounters Counters(FrameworkId fw) =>
        _offerCounters.TryGetValue(fw, out var c) ? c : _offerCounters[fw] = new OfferCounters();

    /// <summary>Metrics with Mesos' names (master/*, allocator/mesos/*, per-framework offer counters).</summary>
    private MetricsSnapshot Metrics()
    {
        var agents = _state.Agents.Values;
        // One pass, no list of every task: ck bench polls this 10 times a second, at 100,000 tasks during a failover.
        int staging = 0, starting = 0, running = 0, killing = 0;
        foreach (var f in _state.Frameworks.Values)
            foreach (var t in f.Tasks.Values)
                switch (t.State)
                {
                    case TaskState.TASK_STAGING: staging++; break;
                    case TaskState.TASK_STARTING: starting++; break;
                    case TaskState.TASK_RUNNING: running++; break;
                    case TaskState.TASK_KILLING: killing++; break;
                }
        var a = _allocatorMetrics;
        var v = new Dictionary<string, double>
        {
            ["master/elected"] = 1,
            ["master/uptime_secs"] = Now() - _startTime,
            ["master/slaves_active"] = agents.Count(x => x.Connected),
            ["master/slaves_connected"] = agents.Count(x => x.Connected),
            ["master/slaves_disconnected"] = agents.Count(x => !x.Connected),
            ["master/frameworks_active"] = _state.Frameworks.Values.Count(f => f.Connected),
            ["master/frameworks_connected"] = _state.Frameworks.Values.Count(f => f.Connected),
            ["master/frameworks_disconnected"] = _state.Frameworks.Values.Count(f => !f.Connected),
            ["master/outstanding_offers"] = _state.Offers.Count,
            ["master/tasks_staging"] = staging,
            ["master/tasks_starting"] = starting,
            ["master/tasks_running"] = running,
            ["master/tasks_killing"] = killing,
            ["master/slave_reregistrations"] = _reregistrations,
            // Not in Mesos: re-registrations retried by agents the master had already taken (answered, not redone), and
            // ReregistrationRequired answers (to agents' probes and heartbeats naming another master).
            ["master/ck/slave_reregistrations_repeated"] = _repeatedReregistrations,
            ["master/ck/reregistration_required_sent"] = _reregistrationRequiredSent,
            // Not in Mesos: preempted tasks whose kill is not yet acknowledged (or that went away otherwise).
            ["master/tasks_preempting"] = _preempted.Count,
            ["allocator/mesos/allocation_runs"] = a.AllocationRuns,
            ["allocator/mesos/allocation_run_ms"] = a.LastMs,
            ["allocator/mesos/allocation_run_ms/mean"] = a.MeanMs,
            ["allocator/mesos/allocation_run_ms/p50"] = a.P50Ms,
            ["allocator/mesos/allocation_run_ms/p90"] = a.P90Ms,
            ["allocator/mesos/allocation_run_ms/p99"] = a.P99Ms,
        };
        foreach (var (k, x) in a.Extra) v[k] = x;
        foreach (var (fw, c) in _offerCounters)
        {
            var name = _state.Frameworks.TryGetValue(fw, out var f) ? f.Info.Name : "removed";
            var prefix = $"master/frameworks/{name}/{fw}/offers/";
            v[prefix + "sent"] = c.Sent;
            v[prefix + "accepted"] = c.Accepted;
            v[prefix + "declined"] = c.Declined;
            v[prefix + "rescinded"] = c.Rescinded;
        }
        return new MetricsSnapshot(v);
    }

    protected override void PostStop()
    {
        LeaseStop();
        _board.Withdraw(this);
        base.PostStop();
    }

    private ClusterState Snapshot()
    {
        var now = DateTimeOffset.UtcNow;
        if (_snapshot is null || now - _snapshotAt >= _settings.StateSnapshotMaxAge)
        {
            _snapshot = _state.Snapshot(_epoch, _startTime, Now(), _registry.IsAvailable);
            _snapshotAt = now;
            if (_settings.StateSnapshotMaxAge > TimeSpan.Zero) _board.Publish(this, _snapshot);
        }
        return _snapshot;
    }

    /// <summary>Runs a framework's call only when it comes from the framework's current connection (Mesos answers 403 otherwise):
    /// an old connection replaced by a newer subscription, or any other actor, may not act for it.</summary>
    private void IfFramework(FrameworkId id, Action<FrameworkEntry> action, bool anySender = false)
    {
        if (!_state.Frameworks.TryGetValue(id, out var f)) Sender.Tell(new FrameworkError($"Framework {id} is not subscribed"));
        else if (!anySender && !(_frameworkRefs.TryGetValue(id, out var current) && current.Equals(Sender)))
            Sender.Tell(new FrameworkError($"Framework {id} is not subscribed from this connection"));
        else action(f);
    }

    private void SendToFramework(FrameworkId fw, object message)
    {
        if (_frameworkRefs.TryGetValue(fw, out var r)) r.Tell(message);
    }

    private void Allocator(Action<IAllocator> call, bool allocate = false) => _allocator.Tell(new AllocatorCall(call, allocate));
}
