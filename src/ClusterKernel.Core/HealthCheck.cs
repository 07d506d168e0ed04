namespace ClusterKernel;

/// <summary>mesos.proto HealthCheck.Type (same numbers).</summary>
public enum HealthCheckType { UNKNOWN = 0, COMMAND = 1, HTTP = 2, TCP = 3 }

/// <summary>mesos.proto HealthCheck.HTTPCheckInfo: GET scheme://127.0.0.1:port/path.</summary>
public sealed record HttpCheckInfo
{
    public required int Port { get; init; }
    public string? Scheme { get; init; }
    public string? Path { get; init; }
    /// <summary>Statuses counted as healthy; empty: 200–399 (Mesos' built-in executors ignore this field; we honour it when given).</summary>
    public IReadOnlyList<int> Statuses { get; init; } = Array.Empty<int>();
}

/// <summary>mesos.proto HealthCheck.TCPCheckInfo: a TCP connect to 127.0.0.1:port.</summary>
public sealed record TcpCheckInfo
{
    public required int Port { get; init; }
}

/// <summary>mesos.proto HealthCheck, with Mesos' defaults. Durations are seconds (fractions allowed, as in Mesos).</summary>
public sealed record HealthCheck
{
    public HealthCheckType Type { get; init; } = HealthCheckType.UNKNOWN;
    public double DelaySeconds { get; init; } = 15;
    public double IntervalSeconds { get; init; } = 10;
    /// <summary>Zero means no timeout (Mesos).</summary>
    public double TimeoutSeconds { get; init; } = 20;
    public int ConsecutiveFailures { get; init; } = 3;
    public double GracePeriodSeconds { get; init; } = 10;
    public CommandInfo? Command { get; init; }
    public HttpCheckInfo? Http { get; init; }
    public TcpCheckInfo? Tcp { get; init; }

    /// <summary>Null when valid; else why not, in Mesos' words where Mesos has them (checks/health_checker.cpp validation).</summary>
    public string? Validate()
    {
        foreach (var (name, value) in new[] { ("delay_seconds", DelaySeconds), ("interval_seconds", IntervalSeconds),
                     ("timeout_seconds", TimeoutSeconds), ("grace_period_seconds", GracePeriodSeconds) })
            if (double.IsNaN(value) || value < 0) return $"Expecting '{name}' to be non-negative";
        if (ConsecutiveFailures < 0) return "Expecting 'consecutive_failures' to be non-negative";
        switch (Type)
        {
            case HealthCheckType.COMMAND:
                if (Command is null) return "Expecting 'command' to be set for command health check";
                if (string.IsNullOrEmpty(Command.Value))
                    return $"Command health check must contain {(Command.Shell ? "'shell command'" : "'executable path'")}";
                break;
            case HealthCheckType.HTTP:
                if (Http is null) return "Expecting 'http' to be set for HTTP health check";
                if (Http.Scheme is { } s && s is not ("http" or "https")) return $"Unsupported HTTP health check scheme: '{s}'";
                if (Http.Path is { } p && !p.StartsWith('/')) return $"The path '{p}' of HTTP health check must start with '/'";
                if (Http.Port is < 1 or > 65535) return "HTTP health check port must be from 1 to 65535";
                break;
            case HealthCheckType.TCP:
                if (Tcp is null) return "Expecting 'tcp' to be set for TCP health check";
                if (Tcp.Port is < 1 or > 65535) return "TCP health check port must be from 1 to 65535";
                break;
            default:
                return $"'{Type}' is not a valid health check type";
        }
        return null;
    }

    /// <summary>HTTP success as Mesos' built-in executors judge it (200–399), or membership in <see cref="HttpCheckInfo.Statuses"/> when given.</summary>
    public static bool IsHealthyHttpStatus(HttpCheckInfo http, int status) =>
        http.Statuses.Count > 0 ? http.Statuses.Contains(status) : status is >= 200 and < 400;
}

/// <summary>What to do after one check result. <paramref name="Healthy"/> null: send nothing.</summary>
/// <param name="Kill">Kill the task: <see cref="HealthCheck.ConsecutiveFailures"/> failures in a row.</param>
public readonly record struct HealthVerdict(bool? Healthy, bool Kill, int ConsecutiveFailures)
{
    public static readonly HealthVerdict Nothing = new(null, false, 0);
}

/// <summary>
/// Mesos' health checker (src/checks/health_checker.cpp) as a pure state machine, fed results with their time since
/// checking started (the task's TASK_RUNNING):
/// <list type="bullet">
/// <item>a failure before the first success and within grace_period_seconds is ignored;</item>
/// <item>every other failure counts and is reported (healthy=false), with kill once consecutive_failures are reached;</item>
/// <item>a success is reported (healthy=true) only when it is the first one or follows failures.</item>
/// </list>
/// </summary>
public sealed class HealthCheckTracker(HealthCheck check)
{
    public HealthCheck Check { get; } = check;
    /// <summary>True until the first success (the grace period applies only then).</summary>
    public bool Initializing { get; private set; } = true;
    public int ConsecutiveFailures { get; private set; }

    public TimeSpan Delay => TimeSpan.FromSeconds(Check.DelaySeconds);
    public TimeSpan Interval => TimeSpan.FromSeconds(Check.IntervalSeconds);
    /// <summary>Null: no timeout (timeout_seconds = 0).</summary>
    public TimeSpan? Timeout => Check.TimeoutSeconds > 0 ? TimeSpan.FromSeconds(Check.TimeoutSeconds) : null;

    public HealthVerdict Success()
    {
        var report = Initializing || ConsecutiveFailures > 0;
        Initializing = false;
        ConsecutiveFailures = 0;
        return report ? new HealthVerdict(true, false, 0) : HealthVerdict.Nothing;
    }

    /// <param name="sinceStart">Time since checking started (TASK_RUNNING), when this result came.</param>
    public HealthVerdict Failure(TimeSpan sinceStart)
    {
        if (Initializing && Check.GracePeriodSeconds > 0 && sinceStart <= TimeSpan.FromSeconds(Check.GracePeriodSeconds))
            return HealthVerdict.Nothing;
        ConsecutiveFailures++;
        return new HealthVerdict(false, ConsecutiveFailures >= Check.ConsecutiveFailures, ConsecutiveFailures);
    }

    public HealthVerdict Record(bool healthy, TimeSpan sinceStart) => healthy ? Success() : Failure(sinceStart);
}
