using Akka.Actor;
using ClusterKernel.Protocol;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework;

/// <summary>
/// The built-in framework behind <c>ck run</c>: queues one-off commands, launches each on the first offer it fits
/// (several per offer), keeps every command's status history, suppresses offers while idle and revives when work arrives.
/// A restart loses the queue and history (the tasks keep running; the framework id survives, see FrameworkActor).
/// </summary>
public sealed class CommandFramework : FrameworkActor
{
    public const string FrameworkName = "ck-command";
    /// <summary>Short, so a pending command sees declined resources again soon.</summary>
    private static readonly Filters DeclineFilters = new() { RefuseSeconds = 1 };
    /// <summary>Finished commands kept for GetCommand; older ones are forgotten so memory stays bounded.</summary>
    private const int MaxFinished = 1000;

    private sealed class Entry(TaskId id, CommandRequest request)
    {
        public TaskId Id { get; } = id;
        public CommandRequest Request { get; } = request;
        public string Name { get; } = string.IsNullOrWhiteSpace(request.Name) ? id.Value : request.Name!;
        public AgentId? AgentId { get; set; }
        public TaskState? State { get; set; }
        public bool Launched { get; set; }
        /// <summary>A kill was asked for: re-sent after every re-subscription and every <see cref="KillRetryInterval"/> until the
        /// task is terminal, because a master that did not know this framework's connection yet (e.g. a new leader) drops the call,
        /// as Mesos does.</summary>
        public bool KillRequested { get; set; }
        public List<TaskStatus> Statuses { get; } = new();
        public bool Finished => State?.IsTerminal() == true;
    }

    private readonly Dictionary<TaskId, Entry> _commands = new();
    private readonly List<TaskId> _pending = new();
    private readonly Queue<TaskId> _finished = new();
    private bool _suppressed;

    /// <summary>ck-command: role "*", a week of failover timeout so commands survive a restart of its host, checkpointed tasks.</summary>
    public static FrameworkInfo DefaultInfo(FrameworkId? id = null) => new()
    {
        Name = FrameworkName,
        Id = id,
        Roles = new[] { ClusterKernel.Resources.Roles.Any },
        FailoverTimeout = TimeSpan.FromDays(7).TotalSeconds,
        Checkpoint = true,
    };

    public static Props Props(IActorRef master, FrameworkInfo? info = null) =>
        Akka.Actor.Props.Create(() => new CommandFramework(info ?? DefaultInfo(null), master));

    public CommandFramework(FrameworkInfo info, IActorRef master) : base(info, master)
    {
        Receive<RunCommand>(OnRun);
        Receive<GetCommand>(m => Sender.Tell(_commands.TryGetValue(m.TaskId, out var e) ? View(e) : new CommandNotFound(m.TaskId)));
        Receive<KillCommand>(OnKill);
        Receive<RetryKills>(_ => RetryKillsNow());
    }

    /// <summary>How often a kill not yet answered by a terminal update is sent again. Mesos' master may drop a KILL (e.g. a new
    /// leader that has not seen this framework's re-subscription yet, or an agent that is re-registering), so schedulers retry it.</summary>
    private static readonly TimeSpan KillRetryInterval = TimeSpan.FromSeconds(5);

    private sealed record RetryKills
    {
        public static readonly RetryKills Instance = new();
    }

    private void RetryKillsNow()
    {
        var outstanding = _commands.Values.Where(e => e.KillRequested && e.Launched && !e.Finished).ToList();
        if (outstanding.Count == 0) return;
        if (IsSubscribed) foreach (var e in outstanding) Kill(e.Id, e.AgentId);
        Context.System.Scheduler.ScheduleTellOnce(KillRetryInterval, Self, RetryKills.Instance, Self);
    }

    protected override void OnRegistered(FrameworkId frameworkId) => AfterSubscription();
    protected override void OnReregistered(FrameworkId frameworkId) => AfterSubscription();

    protected override void OnResourceOffers(IReadOnlyList<Offer> offers)
    {
        var launches = new Dictionary<OfferId, List<TaskInfo>>();
        var remaining = offers.ToDictionary(o => o.Id, o => o.Resources);
        foreach (var id in _pending.ToList())
        {
            var entry = _commands[id];
            var wanted = OfferFit.Wanted(entry.Request);
            foreach (var offer in offers)
            {
                if (OfferFit.TryTake(remaining[offer.Id], offer.AllocationRole, wanted) is not { } taken) continue;
                remaining[offer.Id] = remaining[offer.Id] - taken;
                (launches.TryGetValue(offer.Id, out var l) ? l : launches[offer.Id] = new List<TaskInfo>()).Add(ToTaskInfo(entry, offer, taken));
                entry.Launched = true;
                entry.AgentId = offer.AgentId;
                _pending.Remove(id);
                break;
            }
        }

        foreach (var offer in offers)
        {
            if (launches.TryGetValue(offer.Id, out var tasks)) Launch(offer, tasks, DeclineFilters);
        }
        var unused = offers.Where(o => !launches.ContainsKey(o.Id)).Select(o => o.Id).ToList();
        if (unused.Count > 0) Decline(unused, DeclineFilters);
        if (_pending.Count == 0 && !_suppressed) { Suppress(); _suppressed = true; }
    }

    protected override void OnStatusUpdate(TaskStatus status)
    {
        if (!_commands.TryGetValue(status.TaskId, out var entry)) return; // forgotten, or not ours
        var wasFinished = entry.Finished;
        entry.Statuses.Add(status);
        // A reconciliation answer may repeat the last state; a terminal state is final whatever arrives later.
        if (!wasFinished) entry.State = status.State;
        if (status.AgentId is { } agent) entry.AgentId = agent;
        if (!wasFinished && entry.Finished) Finish(entry);
    }

    private void OnRun(RunCommand m)
    {
        if (m.Request.Validate() is { } error) { Sender.Tell(new CommandRejected(error)); return; }
        var id = new TaskId("ck-" + Guid.NewGuid().ToString("N")[..12]);
        _commands[id] = new Entry(id, Normalise(m.Request));
        _pending.Add(id);
        Sender.Tell(new CommandAccepted(id));
        if (_suppressed && IsSubscribed) { Revive(); _suppressed = false; }
    }

    private void OnKill(KillCommand m)
    {
        if (!_commands.TryGetValue(m.TaskId, out var entry)) { Sender.Tell(new CommandNotFound(m.TaskId)); return; }
        Sender.Tell(new CommandKillRequested(m.TaskId));
        if (entry.Finished) return;
        if (!entry.Launched)
        {
            // Never reached an agent: no one else will report it, so the framework records the end itself.
            _pending.Remove(m.TaskId);
            OnStatusUpdate(new TaskStatus
            {
                TaskId = m.TaskId, State = TaskState.TASK_KILLED, Source = StatusSource.SOURCE_MASTER,
                Reason = Reasons.TaskKilledDuringLaunch, Message = "killed before it was launched",
            });
            return;
        }
        var retrying = _commands.Values.Any(e => e.KillRequested && e.Launched && !e.Finished);
        entry.KillRequested = true;
        Kill(m.TaskId, entry.AgentId);
        if (!retrying) Context.System.Scheduler.ScheduleTellOnce(KillRetryInterval, Self, RetryKills.Instance, Self);
    }

    private void AfterSubscription()
    {
        // A new subscription starts unsuppressed; reconcile what was launched, since updates may have been lost meanwhile.
        _suppressed = false;
        var launched = _commands.Values.Where(e => e.Launched && !e.Finished).Select(e => new ReconcileTask(e.Id, e.AgentId)).ToList();
        if (launched.Count > 0) Reconcile(launched);
        foreach (var e in _commands.Values.Where(e => e.KillRequested && e.Launched && !e.Finished)) Kill(e.Id, e.AgentId);
        if (_pending.Count == 0) { Suppress(); _suppressed = true; }
    }

    private void Finish(Entry entry)
    {
        _finished.Enqueue(entry.Id);
        while (_finished.Count > MaxFinished) _commands.Remove(_finished.Dequeue());
    }

    private CommandView View(Entry e) => new(e.Id, e.Name, e.AgentId, FrameworkId, e.State, e.Statuses.ToList());

    private static CommandRequest Normalise(CommandRequest r) => r with
    {
        // JSON may leave these null although the record says otherwise.
        Arguments = r.Arguments ?? Array.Empty<string>(),
    };

    private static TaskInfo ToTaskInfo(Entry e, Offer offer, Res resources) => new()
    {
        TaskId = e.Id,
        Name = e.Name,
        AgentId = offer.AgentId,
        Resources = resources,
        Command = new CommandInfo
        {
            Value = e.Request.Command,
            Arguments = e.Request.Arguments,
            Shell = e.Request.Shell,
            Environment = e.Request.Environment ?? new Dictionary<string, string>(),
        },
        Container = e.Request.Image is { } image ? new ContainerInfo { DockerImage = image } : null,
    };
}
