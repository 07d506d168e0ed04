namespace ClusterKernel.Api;

public sealed record HttpApiOptions
{
    /// <summary>Where Kestrel listens; port 5050 as Mesos' master. "http://127.0.0.1:0" picks a free port (read app.Urls after start).</summary>
    public string Url { get; init; } = "http://127.0.0.1:5050";

    /// <summary>How long a request waits for the master or the command framework before answering 503.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>HEARTBEAT interval of /api/v1/scheduler streams; null uses the master's framework-heartbeat-interval (15 s, as Mesos).</summary>
    public TimeSpan? SchedulerHeartbeatInterval { get; init; }
}
