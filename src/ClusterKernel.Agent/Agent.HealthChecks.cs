using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Agent.Containerizers;

namespace ClusterKernel.Agent;

/// <summary>
/// Mesos-native task health checks (TaskInfo.health_check), run by the agent as Mesos' built-in executors do: from TASK_RUNNING,
/// after delay_seconds, one check at a time, the next interval_seconds after the previous one ended. HTTP and TCP go to
/// 127.0.0.1:port from the agent (tasks use host networking); COMMAND runs through the task's containerizer. Results go through
/// the pure <see cref="HealthCheckTracker"/>; its reports become reliable TASK_RUNNING updates with <c>healthy</c> and
/// REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, and its kill verdict kills the task (terminal update with healthy=false).
/// Checks never run on the actor's thread: each one is piped back as a <see cref="HealthResult"/>.
/// </summary>
public sealed partial class Agent
{
    private sealed record HealthTick(TaskId TaskId, int Generation);
    private sealed record HealthResult(TaskId TaskId, int Generation, bool Healthy, string Message);

    private sealed class HealthState(HealthCheckTracker tracker, DateTimeOffset started, int generation)
    {
        public HealthCheckTracker Tracker { get; } = tracker;
        public DateTimeOffset Started { get; } = started;
        /// <summary>Tells this run's ticks and results from those of an earlier run of the same task id.</summary>
        public int Generation { get; } = generation;
        public string? KillMessage { get; set; }
    }

    private readonly Dictionary<TaskId, HealthState> _health = new();
    private int _healthGeneration;

    /// <summary>One client for every HTTP check: no proxy (127.0.0.1 only), redirects followed and certificates not verified
    /// (Mesos runs <c>curl -L -k</c>).</summary>
    private static readonly HttpClient HealthHttp = new(new SocketsHttpHandler
    {
        UseProxy = false, AllowAutoRedirect = true, PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        SslOptions = { RemoteCertificateValidationCallback = delegate { return true; } },
    }) { Timeout = Timeout.InfiniteTimeSpan };

    private static string HealthTimer(TaskId id) => "health:" + id.Value;

    private void HealthChecking()
    {
        Receive<HealthTick>(OnHealthTick);
        Receive<HealthResult>(OnHealthResult);
    }

    private void StartHealthCheck(AgentTask task)
    {
        if (task.Info.HealthCheck is not { } check) return;
        var id = task.Info.TaskId;
        if (check.Validate() is { } error)
        {
            // The master refuses these (TASK_ERROR); one that got here anyway is not run.
            _log.Warning("Not health checking task {0}: {1}", id, error);
            return;
        }
        var state = new HealthState(new HealthCheckTracker(check), DateTimeOffset.UtcNow, ++_healthGeneration);
        _health[id] = state;
        Timers.StartSingleTimer(HealthTimer(id), new HealthTick(id, state.Generation), state.Tracker.Delay);
    }

    /// <summary>Stops checking a task that ends; a task killed by its health check ends with healthy=false and says why.</summary>
    private (string? Message, bool? Healthy) EndHealthCheck(TaskId id, TaskState state, string? message, bool? healthy)
    {
        if (!_health.Remove(id, out var h)) return (message, healthy);
        Timers.Cancel(HealthTimer(id));
        if (h.KillMessage is null) return (message, healthy);
        return (state == TaskState.TASK_KILLED ? h.KillMessage : message, false);
    }

    private void OnHealthTick(HealthTick m)
    {
        if (!_health.TryGetValue(m.TaskId, out var h) || h.Generation != m.Generation || _tasks.Find(m.TaskId) is not { } task) return;
        var self = Self;
        var check = h.Tracker.Check;
        var timeout = h.Tracker.Timeout;
        Task<(bool, string)> run;
        try { run = RunHealthCheck(check, task, timeout); }
        catch (Exception e) { run = Task.FromResult((false, $"{check.Type} health check failed: {e.Message}")); }
        run.ContinueWith(t => t.IsCompletedSuccessfully
                ? new HealthResult(m.TaskId, m.Generation, t.Result.Item1, t.Result.Item2)
                : new HealthResult(m.TaskId, m.Generation, false, $"{check.Type} health check failed: {t.Exception?.GetBaseException().Message ?? "cancelled"}"))
            .PipeTo(self);
    }

    private void OnHealthResult(HealthResult m)
    {
        if (!_health.TryGetValue(m.TaskId, out var h) || h.Generation != m.Generation) return;
        var verdict = h.Tracker.Record(m.Healthy, DateTimeOffset.UtcNow - h.Started);
        if (!m.Healthy) _log.Info("Task {0}: {1} ({2} consecutive failure(s))", m.TaskId, m.Message, h.Tracker.ConsecutiveFailures);
        if (verdict.Healthy is { } healthy)
            Update(m.TaskId, TaskState.TASK_RUNNING, healthy ? null : m.Message, Reasons.TaskHealthCheckStatusUpdated, healthy: healthy);
        if (verdict.Kill)
        {
            h.KillMessage = $"Task killed after {verdict.ConsecutiveFailures} consecutive failed {h.Tracker.Check.Type} health checks; last: {m.Message}";
            _log.Warning("Killing task {0}: {1}", m.TaskId, h.KillMessage);
            // No more checks: the task is going (Mesos' checker goes on until stopped, but nothing is sent after the kill).
            KillWithGroup(m.TaskId, null);
            return;
        }
        Timers.StartSingleTimer(HealthTimer(m.TaskId), new HealthTick(m.TaskId, h.Generation), h.Tracker.Interval);
    }

    /// <summary>One check, off the actor. Returns (healthy, what happened); a timeout is a failure.</summary>
    private Task<(bool, string)> RunHealthCheck(HealthCheck check, AgentTask task, TimeSpan? timeout)
    {
        var cts = timeout is { } t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        var shutdown = _shutdown.Token;
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cts.Token, shutdown);
        var ct = linked.Token;
        string Timeout() => $"{check.Type} health check timed out after {check.TimeoutSeconds:0.###}s";

        async Task<(bool, string)> Http(HttpCheckInfo http)
        {
            var url = $"{http.Scheme ?? "http"}://127.0.0.1:{http.Port}{http.Path ?? ""}";
            using var response = await HealthHttp.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return HealthCheck.IsHealthyHttpStatus(http, code)
                ? (true, $"HTTP health check to {url} returned {code}")
                : (false, $"HTTP health check to {url} returned unexpected status {code}");
        }

        async Task<(bool, string)> Tcp(TcpCheckInfo tcp)
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(IPAddress.Loopback, tcp.Port, ct).ConfigureAwait(false);
            return (true, $"TCP health check connected to 127.0.0.1:{tcp.Port}");
        }

        async Task<(bool, string)> Command(CommandInfo cmd, IContainerizer containerizer, ContainerExec exec)
        {
            var code = await containerizer.ExecAsync(task.ContainerId, exec, ct).ConfigureAwait(false);
            return code == 0 ? (true, "COMMAND health check exited 0") : (false, $"COMMAND health check '{cmd.Value}' exited with status {code}");
        }

        async Task<(bool, string)> Guarded(Func<Task<(bool, string)>> run)
        {
            try { return await run().ConfigureAwait(false); }
            catch (OperationCanceledException) when (cts.IsCancellationRequested) { return (false, Timeout()); }
            catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
            {
                return (false, $"{check.Type} health check failed: {e.GetBaseException().Message}");
            }
            finally { linked.Dispose(); cts.Dispose(); }
        }

        switch (check.Type)
        {
            case HealthCheckType.HTTP: return Guarded(() => Http(check.Http!));
            case HealthCheckType.TCP: return Guarded(() => Tcp(check.Tcp!));
            case HealthCheckType.COMMAND:
                if (ContainerizerOf(task) is not { } containerizer || _agentId is not { } agentId)
                    return Guarded(() => Task.FromResult((false, "COMMAND health check failed: the task's containerizer is not available")));
                var cmd = check.Command!;
                // The task's environment (MESOS_* included) under the check's own variables, as Mesos gives a command check.
                var launch = ToLaunch(agentId, task.FrameworkId, task.Info, task.ContainerId, task.Sandbox);
                var env = new Dictionary<string, string>(launch.Environment);
                foreach (var (k, v) in cmd.Environment) env[k] = v;
                var exec = new ContainerExec(cmd.Value!, cmd.Arguments, cmd.Shell, env, task.Sandbox);
                return Guarded(() => Command(cmd, containerizer, exec));
            default:
                return Guarded(() => Task.FromResult((false, $"{check.Type} is not a valid health check type")));
        }
    }
}
