using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;

namespace ClusterKernel.Master;

// UPDATE_FRAMEWORK, executor messages (MESSAGE both ways), executor FAILURE, and maintenance inverse offers.
public sealed partial class Master
{
    private readonly Dictionary<OfferId, InverseOffer> _inverseOffers = new();
    /// <summary>Per (hostname, agent, framework): UNKNOWN until the framework accepts or declines its inverse offer.</summary>
    private readonly Dictionary<(string, AgentId, FrameworkId), InverseOfferStatus> _inverseStatuses = new();
    private long _inverseOfferSeq;

    private void FrameworkExtensionCommands()
    {
        Command<UpdateFramework>(OnUpdateFramework);
        Command<FrameworkToExecutorMessage>(m => IfFramework(m.FrameworkId, _ =>
        {
            // Command tasks have no custom executor: the agent records the message (see Agent.OnFrameworkMessage).
            if (_agentRefs.TryGetValue(m.AgentId, out var agent)) agent.Tell(m);
            else _log.Warning("Dropping MESSAGE of framework {0} for executor {1}: agent {2} is not connected", m.FrameworkId, m.ExecutorId, m.AgentId);
        }));
        Command<ExecutorToFrameworkMessage>(m => SendToFramework(m.FrameworkId, m));
        Command<ExecutorExited>(m => SendToFramework(m.FrameworkId, new FrameworkFailure(m.AgentId, m.ExecutorId, m.Status)));
        Command<RespondInverseOffers>(m => IfFramework(m.FrameworkId, _ => OnRespondInverseOffers(m)));
        Command<UpdateMaintenanceSchedule>(OnUpdateMaintenanceSchedule);
    }

    // ---------------- UPDATE_FRAMEWORK ----------------

    private void OnUpdateFramework(UpdateFramework m)
    {
        var replyTo = m.ReplyTo ?? Sender;
        if (!_state.Frameworks.TryGetValue(m.FrameworkId, out var f) ||
            !(_frameworkRefs.TryGetValue(m.FrameworkId, out var current) && current.Equals(Sender)))
        {
            replyTo.Tell(new FrameworkUpdateResult(false, $"Framework {m.FrameworkId} is not subscribed from this connection"));
            return;
        }
        var info = m.Info with { Id = m.Info.Id ?? m.FrameworkId };
        if (ValidateUpdate(f.Info, info, m.FrameworkId) is { } error) { replyTo.Tell(new FrameworkUpdateResult(false, error)); return; }
        Persist(new FrameworkUpdated(m.FrameworkId, info, Now()), e =>
        {
            _registry.Apply(e);
            f.Info = info;
            PublishFramework(f, FrameworkChange.Updated);
            // Offers made for a role the framework left are taken back (Mesos rescinds them too); its tasks keep running.
            foreach (var offer in _state.OffersOfFramework(f.Id).Where(o => !info.Roles.Contains(o.AllocationRole))) Rescind(offer);
            Allocator(a => a.UpdateFramework(f.Id, info, m.SuppressedRoles), allocate: true);
            replyTo.Tell(new FrameworkUpdateResult(true, null));
            _log.Info("Framework {0} updated: name {1}, roles {2}, failover timeout {3}s", f.Id, info.Name, string.Join(",", info.Roles), info.FailoverTimeout);
        });
    }

    /// <summary>Mesos' rules (master/validation.cpp): the id must match, user, principal and checkpoint cannot change.</summary>
    private static string? ValidateUpdate(FrameworkInfo old, FrameworkInfo next, FrameworkId id)
    {
        if (next.Id != id) return $"'framework_info.id' ({next.Id}) differs from 'framework_id' ({id})";
        if (string.IsNullOrWhiteSpace(next.Name)) return "FrameworkInfo.name is required";
        if (next.Roles.Count == 0 || next.Roles.Any(r => !ClusterKernel.Resources.Roles.IsValid(r))) return $"Invalid roles: {string.Join(",", next.Roles)}";
        if (next.Roles.Count > 1 && !next.Has(FrameworkCapabilities.MultiRole)) return "Several roles need the MULTI_ROLE capability";
        if (next.Roles.Distinct().Count() != next.Roles.Count) return "'FrameworkInfo.roles' contains duplicates";
        if (!(next.FailoverTimeout >= 0)) return "failover_timeout must not be negative";
        if (TaskShape.Validate(next.TaskShapes) is { } shapes) return shapes;
        if (next.OfferConstraints?.Validate(next.Roles) is { } constraints) return constraints;
        if (next.User != old.User) return "Updating 'FrameworkInfo.user' is unsupported";
        if (next.Principal != old.Principal) return "Updating 'FrameworkInfo.principal' is unsupported";
        if (next.Checkpoint != old.Checkpoint) return "Updating 'FrameworkInfo.checkpoint' is unsupported";
        return null;
    }

    // ---------------- agents removed ----------------

    /// <summary>FAILURE with only agent_id to every connected framework, as Mesos' master does when it removes an agent.</summary>
    private void NotifyAgentRemoved(AgentId agent)
    {
        foreach (var r in _frameworkRefs.Values) r.Tell(new FrameworkFailure(agent, null, null));
        PublishAgentRemoved(agent);
    }

    // ---------------- maintenance: inverse offers ----------------

    private void OnUpdateMaintenanceSchedule(UpdateMaintenanceSchedule m)
    {
        foreach (var w in m.Windows)
        {
            if (w.Hostnames.Count == 0 || w.Hostnames.Any(string.IsNullOrWhiteSpace)) { Sender.Tell(OperatorResult.Refused("every window needs machines with a hostname")); return; }
            if (w.DurationSeconds is < 0) { Sender.Tell(OperatorResult.Refused("a window's duration must not be negative")); return; }
        }
        var hosts = m.Windows.SelectMany(w => w.Hostnames).ToList();
        if (hosts.Distinct().Count() != hosts.Count) { Sender.Tell(OperatorResult.Refused("a machine may be in one window only")); return; }
        var sender = Sender;
        Persist(new MaintenanceScheduleUpdated(m.Windows.ToList()), e =>
        {
            _registry.Apply(e);
            // Machines no longer scheduled, or whose unavailability changed: their inverse offers are rescinded and their statuses
            // reset, as Mesos' master does in updateUnavailability; changed machines are asked again with the new window below.
            var windows = m.Windows.SelectMany(w => w.Hostnames.Select(h => (h, w))).ToDictionary(x => x.h, x => x.w);
            bool Unchanged(string host, double start, double? duration) =>
                windows.TryGetValue(host, out var w) && w.StartSeconds == start && w.DurationSeconds == duration;
            var stale = _inverseStatuses.Keys.Where(k => !windows.ContainsKey(k.Item1)).ToHashSet();
            foreach (var io in _inverseOffers.Values.Where(o => !Unchanged(o.Hostname, o.StartSeconds, o.DurationSeconds)).ToList())
            {
                stale.Add((io.Hostname, io.AgentId, io.FrameworkId));
                RescindInverseOffer(io);
            }
            foreach (var key in stale) _inverseStatuses.Remove(key);
            SendInverseOffers();
            sender.Tell(OperatorResult.Success);
        });
    }

    /// <summary>
    /// Frameworks with live tasks on an agent of a machine that is scheduled for maintenance but not down yet (draining, in Mesos'
    /// words) get one inverse offer per agent carrying the window's unavailability; run on schedule changes and every sweep, so
    /// tasks launched later on a draining machine are covered too. Each (machine, agent, framework) is asked once.
    /// </summary>
    private void SendInverseOffers()
    {
        if (_registry.Schedule.Count == 0) return;
        var byFramework = new Dictionary<FrameworkId, List<InverseOffer>>();
        foreach (var window in _registry.Schedule)
        foreach (var agent in _state.Agents.Values.Where(a => window.Hostnames.Contains(a.Info.Hostname) && !_registry.DownHostnames.Contains(a.Info.Hostname)))
        foreach (var fw in _state.TasksOnAgent(agent.Id).Where(t => !t.State.IsTerminal()).Select(t => t.FrameworkId).Distinct().ToList())
        {
            var key = (agent.Info.Hostname, agent.Id, fw);
            if (_inverseStatuses.ContainsKey(key) || !_frameworkRefs.ContainsKey(fw)) continue;
            var offer = new InverseOffer(new OfferId($"{_epoch}-IO{++_inverseOfferSeq}"), fw, agent.Id, agent.Info.Hostname, window.StartSeconds, window.DurationSeconds);
            _inverseOffers[offer.Id] = offer;
            _inverseStatuses[key] = new InverseOfferStatus(agent.Info.Hostname, agent.Id, fw, "UNKNOWN", Now());
            (byFramework.TryGetValue(fw, out var list) ? list : byFramework[fw] = new List<InverseOffer>()).Add(offer);
        }
        foreach (var (fw, offers) in byFramework) SendToFramework(fw, new InverseOffers(offers));
    }

    private void RescindInverseOffer(InverseOffer io)
    {
        _inverseOffers.Remove(io.Id);
        SendToFramework(io.FrameworkId, new InverseOfferRescinded(io.Id));
    }

    /// <summary>Machines taken down: their outstanding inverse offers are void (Mesos rescinds them when it removes the agent).</summary>
    private void RescindInverseOffersOn(IReadOnlyCollection<string> hostnames)
    {
        foreach (var io in _inverseOffers.Values.Where(o => hostnames.Contains(o.Hostname)).ToList()) RescindInverseOffer(io);
    }

    private void OnRespondInverseOffers(RespondInverseOffers m)
    {
        foreach (var id in m.InverseOfferIds)
        {
            if (!_inverseOffers.TryGetValue(id, out var io) || io.FrameworkId != m.FrameworkId) continue;
            _inverseOffers.Remove(id);
            _inverseStatuses[(io.Hostname, io.AgentId, io.FrameworkId)] = new InverseOfferStatus(io.Hostname, io.AgentId, io.FrameworkId,
                m.Accept ? "ACCEPT" : "DECLINE", Now());
        }
    }

    private MaintenanceView WithSchedule(MaintenanceView view) => view with
    {
        Schedule = _registry.Schedule.ToList(),
        InverseOfferStatuses = _inverseStatuses.Values.Where(s => !_registry.DownHostnames.Contains(s.Hostname)).ToList(),
    };
}
