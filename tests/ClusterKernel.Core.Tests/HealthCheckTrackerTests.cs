namespace ClusterKernel.Core.Tests;

public class HealthCheckTrackerTests
{
    private static HealthCheck Http(int failures = 3, double grace = 10) => new()
    {
        Type = HealthCheckType.HTTP, Http = new HttpCheckInfo { Port = 8080 }, ConsecutiveFailures = failures, GracePeriodSeconds = grace,
    };

    private static TimeSpan S(double s) => TimeSpan.FromSeconds(s);

    [Fact]
    public void Failures_inside_the_grace_period_are_ignored_until_the_first_success()
    {
        var t = new HealthCheckTracker(Http(failures: 1, grace: 10));
        Assert.Equal(HealthVerdict.Nothing, t.Failure(S(1)));
        Assert.Equal(HealthVerdict.Nothing, t.Failure(S(10))); // Mesos: "<= grace period"
        Assert.Equal(0, t.ConsecutiveFailures);
        Assert.Equal(new HealthVerdict(true, false, 0), t.Success());
        // After the first success the grace period no longer applies.
        Assert.Equal(new HealthVerdict(false, true, 1), t.Failure(S(2)));
    }

    [Fact]
    public void Failures_after_the_grace_period_are_each_reported_and_the_last_one_kills()
    {
        var t = new HealthCheckTracker(Http(failures: 3, grace: 5));
        Assert.Equal(new HealthVerdict(false, false, 1), t.Failure(S(6)));
        Assert.Equal(new HealthVerdict(false, false, 2), t.Failure(S(7)));
        Assert.Equal(new HealthVerdict(false, true, 3), t.Failure(S(8)));
        Assert.Equal(new HealthVerdict(false, true, 4), t.Failure(S(9))); // still says kill: the executor decides
    }

    [Fact]
    public void Zero_grace_period_counts_every_failure()
    {
        var t = new HealthCheckTracker(Http(failures: 2, grace: 0));
        Assert.Equal(new HealthVerdict(false, false, 1), t.Failure(TimeSpan.Zero));
    }

    [Fact]
    public void Success_is_reported_first_and_after_failures_only()
    {
        var t = new HealthCheckTracker(Http(failures: 5, grace: 0));
        Assert.Equal(new HealthVerdict(true, false, 0), t.Success());
        Assert.Equal(HealthVerdict.Nothing, t.Success());
        Assert.Equal(new HealthVerdict(false, false, 1), t.Failure(S(30)));
        Assert.Equal(new HealthVerdict(true, false, 0), t.Success());
        Assert.Equal(0, t.ConsecutiveFailures);
        Assert.Equal(HealthVerdict.Nothing, t.Record(true, S(40)));
    }

    [Fact]
    public void Defaults_are_Mesos_defaults()
    {
        var c = new HealthCheck();
        Assert.Equal((15.0, 10.0, 20.0, 3, 10.0), (c.DelaySeconds, c.IntervalSeconds, c.TimeoutSeconds, c.ConsecutiveFailures, c.GracePeriodSeconds));
        Assert.Null(new HealthCheckTracker(c with { TimeoutSeconds = 0 }).Timeout);
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(399, true)]
    [InlineData(199, false)]
    [InlineData(400, false)]
    [InlineData(503, false)]
    public void Http_200_to_399_is_healthy(int status, bool healthy) =>
        Assert.Equal(healthy, HealthCheck.IsHealthyHttpStatus(new HttpCheckInfo { Port = 1 }, status));

    [Fact]
    public void Http_statuses_when_given_decide()
    {
        var http = new HttpCheckInfo { Port = 1, Statuses = new[] { 503 } };
        Assert.True(HealthCheck.IsHealthyHttpStatus(http, 503));
        Assert.False(HealthCheck.IsHealthyHttpStatus(http, 200));
    }

    [Fact]
    public void Validation_follows_Mesos()
    {
        Assert.Null(Http().Validate());
        Assert.Equal("Expecting 'http' to be set for HTTP health check", (Http() with { Http = null }).Validate());
        Assert.Equal("Expecting 'interval_seconds' to be non-negative", (Http() with { IntervalSeconds = -1 }).Validate());
        Assert.Equal("Unsupported HTTP health check scheme: 'ftp'", (Http() with { Http = new HttpCheckInfo { Port = 1, Scheme = "ftp" } }).Validate());
        Assert.Equal("The path 'x' of HTTP health check must start with '/'", (Http() with { Http = new HttpCheckInfo { Port = 1, Path = "x" } }).Validate());
        Assert.Equal("Expecting 'command' to be set for command health check", new HealthCheck { Type = HealthCheckType.COMMAND }.Validate());
        Assert.Equal("Command health check must contain 'shell command'",
            new HealthCheck { Type = HealthCheckType.COMMAND, Command = new CommandInfo() }.Validate());
        Assert.Equal("Expecting 'tcp' to be set for TCP health check", new HealthCheck { Type = HealthCheckType.TCP }.Validate());
        Assert.Equal("'UNKNOWN' is not a valid health check type", new HealthCheck().Validate());
    }
}
