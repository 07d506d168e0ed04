using System.Collections.ObjectModel;
using Akka.Actor;
using Akka.Serialization;
using ClusterKernel.Resources;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Protocol.Serialization;

/// <summary>
/// Compact binary form of the messages that cross nodes once or more per task (launch, the batched status-update conversation,
/// offers, accept/decline, agent heartbeats). JSON (<see cref="ClusterMessageSerializer"/>) cost ~60 % of the actor-side CPU of
/// `ck bench`; everything else stays JSON. Hand-written, no reflection: each record is written field by field, optional fields
/// behind a presence bitmask. Manifests are short fixed strings (never type names), the payload starts with a format version.
/// Bound per type in reference.conf: an exact type binding wins over the <see cref="IClusterMessage"/> one.
/// When a field is added to one of these records, add it here too: the round-trip tests compare with the JSON form.
/// </summary>
public sealed class WireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 4712;
    private const byte Version = 1;

    public override int Identifier => Id;

    /// <summary>The types this serializer handles, with their manifests.</summary>
    public static readonly IReadOnlyDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(RunTasks)] = "RT",
        [typeof(StatusUpdate)] = "SU",
        [typeof(StatusUpdates)] = "SUS",
        [typeof(TaskStatusUpdate)] = "TSU",
        [typeof(TaskStatusUpdates)] = "TSUS",
        [typeof(AcknowledgeStatus)] = "AS",
        [typeof(AcknowledgeStatuses)] = "ASS",
        [typeof(StatusUpdateAcknowledgement)] = "SUA",
        [typeof(StatusUpdateAcknowledgements)] = "SUAS",
        [typeof(ResourceOffers)] = "RO",
        [typeof(AcceptOffers)] = "AO",
        [typeof(DeclineOffers)] = "DO",
        [typeof(AgentHeartbeat)] = "AH",
        [typeof(AgentHeartbeatAck)] = "AHA",
        // After a failover every agent re-registers with all its tasks at once (10,000 agents / 100,000 tasks on one new master).
        [typeof(ReregisterAgent)] = "RA",
        [typeof(AgentRegistered)] = "AR",
        // The new master's answer to each agent's probe after a failover (10,000 at once); JSON cost more than the handler.
        [typeof(ReregistrationRequired)] = "RR",
    };

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var m) ? m : throw new ArgumentException($"{o.GetType()} is not bound to {nameof(WireSerializer)}");

    public override byte[] ToBinary(object obj)
    {
        var w = WireWriter.Rent();
        w.Byte(Version);
        switch (obj)
        {
            case RunTasks m: w.String(m.FrameworkId.Value); Framework(w, m.Framework); List(w, m.Tasks, Task); break;
            case StatusUpdate m: Update(w, m); break;
            case StatusUpdates m: List(w, m.Updates, Update); break;
            case TaskStatusUpdate m: Status(w, m.Status); break;
            case TaskStatusUpdates m: List(w, m.Statuses, Status); break;
            case AcknowledgeStatus m: w.String(m.FrameworkId.Value); w.String(m.AgentId.Value); w.String(m.TaskId.Value); w.Guid(m.Uuid); break;
            case AcknowledgeStatuses m: w.String(m.FrameworkId.Value); List(w, m.Acks, Ack); break;
            case StatusUpdateAcknowledgement m: UpdateAck(w, m); break;
            case StatusUpdateAcknowledgements m: List(w, m.Acks, UpdateAck); break;
            case ResourceOffers m: List(w, m.Offers, Offer); break;
            case AcceptOffers m: w.String(m.FrameworkId.Value); List(w, m.OfferIds, OfferId); List(w, m.Operations, Operation); Filters(w, m.Filters); break;
            case DeclineOffers m: w.String(m.FrameworkId.Value); List(w, m.OfferIds, OfferId); Filters(w, m.Filters); break;
            case AgentHeartbeat m: w.String(m.AgentId.Value); w.String(m.MasterEpoch); break;
            case AgentHeartbeatAck m: w.String(m.MasterEpoch); break;
            case ReregisterAgent m: Agent(w, m.Info); List(w, m.Tasks, Report); ActorRef(w, m.Agent); break;
            case AgentRegistered m: w.String(m.AgentId.Value); w.String(m.MasterEpoch); w.Double(m.HeartbeatIntervalSeconds); break;
            case ReregistrationRequired m: w.String(m.MasterEpoch); break;
            default: throw new ArgumentException($"{obj.GetType()} is not bound to {nameof(WireSerializer)}");
        }
        return w.ToArrayAndReturn();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var r = new WireReader(bytes);
        if (r.Byte() != Version) throw new SerializationException($"Unknown wire format version for manifest '{manifest}'");
        object message = manifest switch
        {
            "RT" => new RunTasks(new FrameworkId(r.NonNull()), Framework(r), List(r, Task)),
            "SU" => Update(r),
            "SUS" => new StatusUpdates(List(r, Update)),
            "TSU" => new TaskStatusUpdate(Status(r)),
            "TSUS" => new TaskStatusUpdates(List(r, Status)),
            "AS" => new AcknowledgeStatus(new FrameworkId(r.NonNull()), new AgentId(r.NonNull()), new TaskId(r.NonNull()), r.Guid()),
            "ASS" => new AcknowledgeStatuses(new FrameworkId(r.NonNull()), List(r, Ack)),
            "SUA" => UpdateAck(r),
            "SUAS" => new StatusUpdateAcknowledgements(List(r, UpdateAck)),
            "RO" => new ResourceOffers(List(r, Offer)),
            "AO" => new AcceptOffers(new FrameworkId(r.NonNull()), List(r, OfferId), List(r, Operation), Filters(r)),
            "DO" => new DeclineOffers(new FrameworkId(r.NonNull()), List(r, OfferId), Filters(r)),
            "AH" => new AgentHeartbeat(new AgentId(r.NonNull()), r.NonNull()),
            "AHA" => new AgentHeartbeatAck(r.NonNull()),
            "RA" => new ReregisterAgent(Agent(r), List(r, Report), ActorRef(r)),
            "AR" => new AgentRegistered(new AgentId(r.NonNull()), r.NonNull(), r.Double()),
            "RR" => new ReregistrationRequired(r.NonNull()),
            _ => throw new SerializationException($"Unknown wire manifest '{manifest}'"),
        };
        if (!r.AtEnd) throw new SerializationException($"Trailing bytes after manifest '{manifest}'");
        return message;
    }

    // ---- lists, maps ----

    private static void List<T>(WireWriter w, IReadOnlyList<T>? items, Action<WireWriter, T> item)
    {
        w.Count(items?.Count);
        if (items is null) return;
        for (var i = 0; i < items.Count; i++) item(w, items[i]);
    }

    /// <summary>A null list is read as an empty one (as JSON's defaults do for the non-nullable lists).</summary>
    private static T[] List<T>(WireReader r, Func<WireReader, T> item)
    {
        if (r.Count() is not { } n || n == 0) return Array.Empty<T>();
        var items = new T[n];
        for (var i = 0; i < n; i++) items[i] = item(r);
        return items;
    }

    private static T[]? NullableList<T>(WireReader r, Func<WireReader, T> item)
    {
        if (r.Count() is not { } n) return null;
        if (n == 0) return Array.Empty<T>();
        var items = new T[n];
        for (var i = 0; i < n; i++) items[i] = item(r);
        return items;
    }

    private static void Strings(WireWriter w, IReadOnlyList<string>? items) => List(w, items, static (w, s) => w.String(s));
    private static string[] Strings(WireReader r) => List(r, static r => r.NonNull());

    private static readonly IReadOnlyDictionary<string, string> EmptyMap = ReadOnlyDictionary<string, string>.Empty;

    private static void Map(WireWriter w, IReadOnlyDictionary<string, string>? map)
    {
        w.Count(map?.Count);
        if (map is null) return;
        foreach (var (k, v) in map) { w.String(k); w.String(v); }
    }

    /// <summary>Empty maps come back as one shared instance (most tasks have no labels or environment), as JSON does.</summary>
    private static IReadOnlyDictionary<string, string>? NullableMap(WireReader r)
    {
        if (r.Count() is not { } n) return null;
        if (n == 0) return EmptyMap;
        var map = new Dictionary<string, string>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++) map[r.NonNull()] = r.NonNull();
        return map;
    }

    private static IReadOnlyDictionary<string, string> Map(WireReader r) => NullableMap(r) ?? EmptyMap;

    // ---- resources ----

    [Flags]
    private enum ResourceBits { Scalar = 1, Ranges = 2, Set = 4, Revocable = 8, Reservations = 16, Disk = 32 }

    private static void Resources(WireWriter w, Res? resources)
    {
        w.Count(resources?.Count ?? 0);
        if (resources is null) return;
        for (var i = 0; i < resources.Count; i++) Resource(w, resources[i]);
    }

    private static Res Resources(WireReader r)
    {
        var n = r.Count() ?? 0;
        if (n == 0) return Res.Empty;
        var items = new Resource[n];
        for (var i = 0; i < n; i++) items[i] = Resource(r);
        return Res.From(items);
    }

    private static void Resource(WireWriter w, Resource x)
    {
        w.String(x.Name);
        w.Byte((byte)x.Type);
        w.String(x.Role);
        var bits = (x.Scalar != 0 ? ResourceBits.Scalar : 0) | (x.Ranges is { Count: > 0 } ? ResourceBits.Ranges : 0) |
                   (x.Set is { Count: > 0 } ? ResourceBits.Set : 0) | (x.Revocable ? ResourceBits.Revocable : 0) |
                   (x.Reservations is { Count: > 0 } ? ResourceBits.Reservations : 0) | (x.Disk is not null ? ResourceBits.Disk : 0);
        w.UInt((ulong)bits);
        if ((bits & ResourceBits.Scalar) != 0) w.Double(x.Scalar);
        if ((bits & ResourceBits.Ranges) != 0) List(w, x.Ranges, static (w, v) => { w.Int(v.Begin); w.Int(v.End); });
        if ((bits & ResourceBits.Set) != 0) Strings(w, x.Set);
        if ((bits & ResourceBits.Reservations) != 0)
            List(w, x.Reservations, static (w, v) => { w.String(v.Type); w.String(v.Role); w.String(v.Principal); Map(w, v.Labels); });
        if (x.Disk is { } d) { w.String(d.PersistenceId); w.String(d.Principal); w.String(d.ContainerPath); w.String(d.Mode); }
    }

    private static Resource Resource(WireReader r)
    {
        var name = r.NonNull(intern: true);
        var type = (ClusterKernel.Resources.ValueType)r.Byte();
        var role = r.NonNull(intern: true);
        var bits = (ResourceBits)r.UInt();
        return new Resource
        {
            Name = name, Type = type, Role = role,
            Scalar = (bits & ResourceBits.Scalar) != 0 ? r.Double() : 0,
            Ranges = (bits & ResourceBits.Ranges) != 0 ? List(r, static r => new ValueRange(r.Int(), r.Int())) : Array.Empty<ValueRange>(),
            Set = (bits & ResourceBits.Set) != 0 ? Strings(r) : Array.Empty<string>(),
            Revocable = (bits & ResourceBits.Revocable) != 0,
            Reservations = (bits & ResourceBits.Reservations) != 0
                ? List(r, static r => new ReservationInfo(r.NonNull(intern: true), r.NonNull(intern: true), r.String(), NullableMap(r)))
                : Array.Empty<ReservationInfo>(),
            Disk = (bits & ResourceBits.Disk) != 0 ? new DiskInfo(r.String(), r.String(), r.String(), r.String()!) : null,
        };
    }

    // ---- framework, task ----

    [Flags]
    private enum FrameworkBits { Id = 1, Checkpoint = 2 }

    private static void Framework(WireWriter w, FrameworkInfo f)
    {
        w.UInt((ulong)((f.Id is not null ? FrameworkBits.Id : 0) | (f.Checkpoint ? FrameworkBits.Checkpoint : 0)));
        w.String(f.User);
        w.String(f.Name);
        if (f.Id is { } id) w.String(id.Value);
        w.Double(f.FailoverTimeout);
        Strings(w, f.Roles);
        Strings(w, f.Capabilities);
        w.String(f.Hostname);
        w.String(f.Principal);
        Map(w, f.Labels);
        List(w, f.TaskShapes, static (w, s) => { Resources(w, s.Resources); w.Int(s.Count); });
    }

    private static FrameworkInfo Framework(WireReader r)
    {
        var bits = (FrameworkBits)r.UInt();
        return new FrameworkInfo
        {
            User = r.NonNull(), Name = r.NonNull(),
            Id = (bits & FrameworkBits.Id) != 0 ? new FrameworkId(r.NonNull()) : null,
            FailoverTimeout = r.Double(), Checkpoint = (bits & FrameworkBits.Checkpoint) != 0,
            Roles = Strings(r), Capabilities = Strings(r), Hostname = r.String(), Principal = r.String(), Labels = Map(r),
            TaskShapes = List(r, static r => new TaskShape(Resources(r), r.Int32())),
        };
    }

    [Flags]
    private enum TaskBits { Command = 1, Container = 2, KillGrace = 4, Executor = 8, CommandShell = 16, HealthCheck = 32 }

    private static void Task(WireWriter w, TaskInfo t)
    {
        var bits = (t.Command is not null ? TaskBits.Command : 0) | (t.Container is not null ? TaskBits.Container : 0) |
                   (t.KillGracePeriodSeconds is not null ? TaskBits.KillGrace : 0) | (t.Executor is not null ? TaskBits.Executor : 0) |
                   (t.Command is { Shell: true } ? TaskBits.CommandShell : 0) | (t.HealthCheck is not null ? TaskBits.HealthCheck : 0);
        w.UInt((ulong)bits);
        w.String(t.Name);
        w.String(t.TaskId.Value);
        w.String(t.AgentId.Value);
        Resources(w, t.Resources);
        if (t.Command is { } c) { w.String(c.Value); Strings(w, c.Arguments); Map(w, c.Environment); w.String(c.User); }
        if (t.Container is { } k) { w.String(k.Type); w.String(k.DockerImage); w.String(k.Network); }
        if (t.KillGracePeriodSeconds is { } g) w.Double(g);
        Map(w, t.Labels);
        if (t.Executor is { } e) Executor(w, e);
        if (t.HealthCheck is { } h) HealthCheck(w, h);
    }

    // Without it an agent on another node never ran a task's health check (only an in-process agent got the TaskInfo whole).
    private static void HealthCheck(WireWriter w, HealthCheck h)
    {
        w.UInt((ulong)h.Type);
        w.Double(h.DelaySeconds); w.Double(h.IntervalSeconds); w.Double(h.TimeoutSeconds); w.Double(h.GracePeriodSeconds);
        w.Int(h.ConsecutiveFailures);
        w.Bool(h.Command is not null);
        if (h.Command is { } c) { w.String(c.Value); Strings(w, c.Arguments); Map(w, c.Environment); w.String(c.User); w.Bool(c.Shell); }
        w.Bool(h.Http is not null);
        if (h.Http is { } http) { w.Int(http.Port); w.String(http.Scheme); w.String(http.Path); List(w, http.Statuses, static (w, x) => w.Int(x)); }
        w.Bool(h.Tcp is not null);
        if (h.Tcp is { } tcp) w.Int(tcp.Port);
    }

    private static HealthCheck HealthCheck(WireReader r)
    {
        var type = (HealthCheckType)r.UInt();
        double delay = r.Double(), interval = r.Double(), timeout = r.Double(), grace = r.Double();
        var failures = (int)r.Int();
        var command = r.Bool() ? new CommandInfo { Value = r.String(), Arguments = Strings(r), Environment = Map(r), User = r.String(), Shell = r.Bool() } : null;
        var http = r.Bool() ? new HttpCheckInfo { Port = (int)r.Int(), Scheme = r.String(), Path = r.String(), Statuses = List(r, static r => (int)r.Int()) } : null;
        var tcp = r.Bool() ? new TcpCheckInfo { Port = (int)r.Int() } : null;
        return new HealthCheck
        {
            Type = type, DelaySeconds = delay, IntervalSeconds = interval, TimeoutSeconds = timeout, GracePeriodSeconds = grace,
            ConsecutiveFailures = failures, Command = command, Http = http, Tcp = tcp,
        };
    }

    private static TaskInfo Task(WireReader r)
    {
        var bits = (TaskBits)r.UInt();
        var name = r.NonNull();
        var taskId = new TaskId(r.NonNull());
        var agentId = new AgentId(r.NonNull());
        var resources = Resources(r);
        var command = (bits & TaskBits.Command) != 0
            ? new CommandInfo { Value = r.String(), Arguments = Strings(r), Environment = Map(r), User = r.String(), Shell = (bits & TaskBits.CommandShell) != 0 }
            : null;
        var container = (bits & TaskBits.Container) != 0 ? new ContainerInfo { Type = r.NonNull(), DockerImage = r.String(), Network = r.NonNull() } : null;
        double? grace = (bits & TaskBits.KillGrace) != 0 ? r.Double() : null;
        var labels = Map(r);
        var executor = (bits & TaskBits.Executor) != 0 ? Executor(r) : null;
        var healthCheck = (bits & TaskBits.HealthCheck) != 0 ? HealthCheck(r) : null;
        return new TaskInfo
        {
            Name = name, TaskId = taskId, AgentId = agentId, Resources = resources, Command = command, Container = container,
            KillGracePeriodSeconds = grace, Labels = labels, Executor = executor, HealthCheck = healthCheck,
        };
    }

    private static void Executor(WireWriter w, ExecutorInfo e)
    {
        w.String(e.ExecutorId.Value);
        w.String(e.Type);
        Resources(w, e.Resources);
        w.String(e.Name);
        w.Bool(e.FrameworkId is not null);
        if (e.FrameworkId is { } f) w.String(f.Value);
    }

    private static ExecutorInfo Executor(WireReader r) => new()
    {
        ExecutorId = new ExecutorId(r.NonNull()), Type = r.NonNull(), Resources = Resources(r), Name = r.String(),
        FrameworkId = r.Bool() ? new FrameworkId(r.NonNull()) : null,
    };

    // ---- status updates ----

    [Flags]
    private enum StatusBits { AgentId = 1, ExecutorId = 2, Uuid = 4, Healthy = 8, HealthyValue = 16, ExitCode = 32 }

    private static void Status(WireWriter w, TaskStatus s)
    {
        var bits = (s.AgentId is not null ? StatusBits.AgentId : 0) | (s.ExecutorId is not null ? StatusBits.ExecutorId : 0) |
                   (s.Uuid is not null ? StatusBits.Uuid : 0) | (s.Healthy is not null ? StatusBits.Healthy : 0) |
                   (s.Healthy == true ? StatusBits.HealthyValue : 0) | (s.ExitCode is not null ? StatusBits.ExitCode : 0);
        w.UInt((ulong)bits);
        w.String(s.TaskId.Value);
        w.Int((long)s.State);
        w.Int((long)s.Source);
        if (s.AgentId is { } a) w.String(a.Value);
        if (s.ExecutorId is { } e) w.String(e.Value);
        w.String(s.Message);
        w.String(s.Reason);
        if (s.Uuid is { } u) w.Guid(u);
        w.Double(s.Timestamp);
        if (s.ExitCode is { } x) w.Int(x);
    }

    private static TaskStatus Status(WireReader r)
    {
        var bits = (StatusBits)r.UInt();
        return new TaskStatus
        {
            TaskId = new TaskId(r.NonNull()), State = (TaskState)r.Int32(), Source = (StatusSource)r.Int32(),
            AgentId = (bits & StatusBits.AgentId) != 0 ? new AgentId(r.NonNull()) : null,
            ExecutorId = (bits & StatusBits.ExecutorId) != 0 ? new ExecutorId(r.NonNull()) : null,
            Message = r.String(), Reason = r.String(),
            Uuid = (bits & StatusBits.Uuid) != 0 ? r.Guid() : null,
            Timestamp = r.Double(),
            Healthy = (bits & StatusBits.Healthy) != 0 ? (bits & StatusBits.HealthyValue) != 0 : null,
            ExitCode = (bits & StatusBits.ExitCode) != 0 ? r.Int32() : null,
        };
    }

    private static void Update(WireWriter w, StatusUpdate u) { w.String(u.FrameworkId.Value); Status(w, u.Status); }
    private static StatusUpdate Update(WireReader r) => new(new FrameworkId(r.NonNull()), Status(r));

    private static void Ack(WireWriter w, StatusAck a) { w.String(a.AgentId.Value); w.String(a.TaskId.Value); w.Guid(a.Uuid); }
    private static StatusAck Ack(WireReader r) => new(new AgentId(r.NonNull()), new TaskId(r.NonNull()), r.Guid());

    private static void UpdateAck(WireWriter w, StatusUpdateAcknowledgement a) { w.String(a.FrameworkId.Value); w.String(a.TaskId.Value); w.Guid(a.Uuid); }
    private static StatusUpdateAcknowledgement UpdateAck(WireReader r) => new(new FrameworkId(r.NonNull()), new TaskId(r.NonNull()), r.Guid());

    // ---- agents ----

    /// <summary>As the JSON form: the full path with address, resolved on the receiving node ("" comes back as Nobody).</summary>
    private static void ActorRef(WireWriter w, IActorRef? actor) => w.String(Akka.Serialization.Serialization.SerializedActorPath(actor) ?? "");

    private IActorRef ActorRef(WireReader r) => r.NonNull() is { Length: > 0 } path ? system.Provider.ResolveActorRef(path) : ActorRefs.Nobody;

    private static void Agent(WireWriter w, AgentInfo a)
    {
        w.String(a.Hostname);
        w.Int(a.Port);
        w.Bool(a.Id is not null);
        if (a.Id is { } id) w.String(id.Value);
        Resources(w, a.Resources);
        Map(w, a.Attributes);
    }

    private static AgentInfo Agent(WireReader r) => new()
    {
        Hostname = r.NonNull(), Port = r.Int32(), Id = r.Bool() ? new AgentId(r.NonNull()) : null, Resources = Resources(r), Attributes = Map(r),
    };

    private static void Report(WireWriter w, TaskReport t)
    {
        w.String(t.FrameworkId.Value);
        Task(w, t.Task);
        w.Int((long)t.State);
        List(w, t.UnacknowledgedUpdates, Status);
    }

    private static TaskReport Report(WireReader r) => new(new FrameworkId(r.NonNull()), Task(r), (TaskState)r.Int32(), List(r, Status));

    // ---- offers, accept, decline ----

    private static void OfferId(WireWriter w, OfferId id) => w.String(id.Value);
    private static OfferId OfferId(WireReader r) => new(r.NonNull());

    private static void Offer(WireWriter w, Offer o)
    {
        w.String(o.Id.Value);
        w.String(o.FrameworkId.Value);
        w.String(o.AgentId.Value);
        w.String(o.Hostname);
        Resources(w, o.Resources);
        w.String(o.AllocationRole);
        Map(w, o.Attributes);
    }

    private static Offer Offer(WireReader r) => new()
    {
        Id = new OfferId(r.NonNull()), FrameworkId = new FrameworkId(r.NonNull()), AgentId = new AgentId(r.NonNull()),
        Hostname = r.NonNull(), Resources = Resources(r), AllocationRole = r.NonNull(intern: true), Attributes = Map(r),
    };

    private static void Filters(WireWriter w, Filters? f)
    {
        w.Bool(f is not null);
        if (f is not null) w.Double(f.RefuseSeconds);
    }

    private static Filters? Filters(WireReader r) => r.Bool() ? new Filters { RefuseSeconds = r.Double() } : null;

    private enum OperationKind : byte { Launch = 1, Reserve, Unreserve, Create, Destroy, LaunchGroup }

    /// <summary>Every <see cref="OfferOperation"/> subtype (the JSON polymorphism list on the base record); a new one must be added here.</summary>
    public static readonly IReadOnlyList<Type> OperationTypes = new[]
    {
        typeof(LaunchOperation), typeof(ReserveOperation), typeof(UnreserveOperation), typeof(CreateOperation), typeof(DestroyOperation), typeof(LaunchGroupOperation),
    };

    private static void Operation(WireWriter w, OfferOperation op)
    {
        switch (op)
        {
            case LaunchOperation l: w.Byte((byte)OperationKind.Launch); List(w, l.TaskInfos, Task); break;
            case ReserveOperation o: w.Byte((byte)OperationKind.Reserve); Resources(w, o.Resources); w.String(o.Id); break;
            case UnreserveOperation o: w.Byte((byte)OperationKind.Unreserve); Resources(w, o.Resources); w.String(o.Id); break;
            case CreateOperation o: w.Byte((byte)OperationKind.Create); Resources(w, o.Volumes); w.String(o.Id); break;
            case DestroyOperation o: w.Byte((byte)OperationKind.Destroy); Resources(w, o.Volumes); w.String(o.Id); break;
            case LaunchGroupOperation o: w.Byte((byte)OperationKind.LaunchGroup); Executor(w, o.Executor); List(w, o.Tasks, Task); break;
            default: throw new ArgumentException($"Offer operation {op.GetType().Name} has no wire form");
        }
    }

    private static OfferOperation Operation(WireReader r) => (OperationKind)r.Byte() switch
    {
        OperationKind.Launch => new LaunchOperation(List(r, Task)),
        OperationKind.Reserve => new ReserveOperation(Resources(r), r.String()),
        OperationKind.Unreserve => new UnreserveOperation(Resources(r), r.String()),
        OperationKind.Create => new CreateOperation(Resources(r), r.String()),
        OperationKind.Destroy => new DestroyOperation(Resources(r), r.String()),
        OperationKind.LaunchGroup => new LaunchGroupOperation(Executor(r), List(r, Task)),
        var k => throw new SerializationException($"Unknown offer operation kind {(byte)k}"),
    };
}
