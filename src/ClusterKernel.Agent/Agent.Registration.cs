namespace ClusterKernel.Agent;

/// <summary>
/// Registration retries back off (doubling from registration-retry-interval up to 4 times it, with jitter), as Mesos' agent
/// does: 10,000 agents retrying every 2 s while a loaded master works through their registrations sent it 5,000 registrations
/// a second, which delayed everything else (heartbeats included) until agents were marked unreachable. Once registered, the
/// tick comes at the base interval again, so a lost registration is retried quickly.
/// </summary>
public sealed partial class Agent
{
    private int _registerAttempts;
    /// <summary>The register tick is a periodic timer at the base interval while registered: re-arming a single timer on
    /// every tick cost 10,000 simulated agents 5,000 timer schedules a second. Any single-timer start replaces it.</summary>
    private bool _registerTickPeriodic;

    private void StartRegisterTimer(TimeSpan after)
    {
        _registerTickPeriodic = false;
        Timers.StartSingleTimer("register", RegisterTick.Instance, after);
    }

    /// <summary>A re-registration just sent: the next retry comes after the backoff's first step (with jitter), not at the
    /// registered agent's fixed tick, which came while thousands of agents waited for a new master's answer and doubled its work.</summary>
    private void RestartRegisterBackoff()
    {
        _registerAttempts = 1;
        StartRegisterTimer(_settings.RegistrationRetryInterval * 2 * (0.5 + Random.Shared.NextDouble()));
    }

    private void OnRegisterTick()
    {
        if (_masterEpoch is null)
        {
            SendRegistration();
            _registerAttempts = Math.Min(_registerAttempts + 1, 2); // at most 8 s by default: a failover must not wait long
        }
        else _registerAttempts = 0;
        if (_masterEpoch is null) StartRegisterTimer(_settings.RegistrationRetryInterval * (1 << _registerAttempts) * (0.5 + Random.Shared.NextDouble()));
        else if (!_registerTickPeriodic)
        {
            _registerTickPeriodic = true;
            Timers.StartPeriodicTimer("register", RegisterTick.Instance, _settings.RegistrationRetryInterval);
        }
    }
}
