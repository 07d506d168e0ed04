using Akka.TestKit.Xunit2;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Master.Tests;

/// <summary>
/// A master whose registry recovery keeps failing for a reason retrying will not fix (here: its recovery throws) is given up on
/// with one clear error after a few attempts — RegistryHealth.GaveUp, which /health and `ck master`'s exit report — instead of
/// being restarted forever in silence; a database outage is only reported unhealthy and keeps being retried.
/// </summary>
public sealed class MasterRecoveryFailureSpec : TestKit
{
    public MasterRecoveryFailureSpec(ITestOutputHelper output) : base(TestMaster.Config, output: output) { }

    [Fact]
    public void A_master_whose_recovery_always_throws_is_given_up_on_with_the_cause()
    {
        // The allocator is created when recovery completes: a factory that throws fails every recovery the same way.
        Sys.ActorOf(Master.SupervisedProps(TestMaster.Settings, () => throw new InvalidOperationException("allocator config is broken")), "master");
        var health = RegistryHealth.Get(Sys);
        // Backoff 1 + 2 + 4 s (±20 %) before the third attempt; the bound is generous for a loaded machine.
        AwaitAssert(() => Assert.NotNull(health.GaveUp), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        Assert.Contains("allocator config is broken", health.GaveUp);
        Assert.Contains("after 3 attempts", health.GaveUp);
        Assert.Contains("retrying will not help", health.GaveUp);
        Assert.Equal(health.GaveUp, health.Unhealthy);
    }

    [Fact]
    public void A_database_outage_is_reported_unhealthy_but_never_given_up_on()
    {
        var health = new RegistryHealth();
        var outage = new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:55432", new System.Net.Sockets.SocketException(111));
        Assert.True(RegistryHealth.IsDatabaseOutage(outage));
        Assert.True(RegistryHealth.IsDatabaseOutage(new Akka.Pattern.OpenCircuitException("Circuit Breaker is open; calls are failing fast")));
        Assert.Null(health.RecoveryFailed("PostgreSQL", outage));
        Assert.Null(health.RecoveryFailed("PostgreSQL", outage));
        var line = health.RecoveryFailed("PostgreSQL", outage);
        Assert.NotNull(line);
        Assert.Contains("still retrying", line);
        Assert.Equal(line, health.Unhealthy);
        for (var i = 0; i < 10; i++) Assert.Null(health.RecoveryFailed("PostgreSQL", outage));
        Assert.Null(health.GaveUp);
        health.Recovered();
        Assert.Null(health.Unhealthy);
    }

    [Fact]
    public void Failures_that_are_not_an_outage_give_up_only_after_three_in_a_row()
    {
        var health = new RegistryHealth();
        var bug = new InvalidOperationException("Sequence contains no elements");
        Assert.False(RegistryHealth.IsDatabaseOutage(bug));
        Assert.Null(health.RecoveryFailed("SQLite", bug));
        Assert.Null(health.RecoveryFailed("SQLite", bug));
        // An outage in between: the database may be the cause after all, count again.
        Assert.Contains("still retrying", health.RecoveryFailed("SQLite", new TimeoutException("timed out")));
        Assert.Null(health.GaveUp);
        Assert.NotNull(health.Unhealthy);
        Assert.Null(health.RecoveryFailed("SQLite", bug));
        Assert.Null(health.RecoveryFailed("SQLite", bug));
        Assert.Contains("Sequence contains no elements", health.RecoveryFailed("SQLite", bug));
        Assert.NotNull(health.GaveUp);
        health.Recovered();
        Assert.Null(health.GaveUp);
    }
}
