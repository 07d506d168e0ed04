using Xunit;

namespace ClusterKernel.Master.Tests;

public sealed class AgentRemovalRateLimitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("1/10mins", 1, 600)]
    [InlineData("2/3hrs", 2, 10800)]
    [InlineData("5 / 1secs", 5, 1)]
    [InlineData("1/1days", 1, 86400)]
    public void Parses_mesos_syntax(string text, int permits, double seconds)
    {
        var limit = AgentRemovalRateLimit.Parse(text);
        Assert.Equal(permits, limit.Permits);
        Assert.Equal(TimeSpan.FromSeconds(seconds), limit.Duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Empty_is_unlimited(string? text)
    {
        var limit = AgentRemovalRateLimit.Parse(text);
        Assert.True(limit.IsUnlimited);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(limit.TryAcquire(T0)));
    }

    [Theory]
    [InlineData("10mins")]
    [InlineData("1/10parsecs")]
    [InlineData("0/1mins")]
    [InlineData("1/0mins")]
    [InlineData("-1/1mins")]
    public void Malformed_values_are_refused_with_one_line(string text)
    {
        var e = Assert.Throws<FormatException>(() => AgentRemovalRateLimit.Parse(text));
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Permits_are_spaced_evenly_over_the_duration()
    {
        var limit = AgentRemovalRateLimit.Parse("2/10mins"); // one every 5 minutes
        Assert.True(limit.TryAcquire(T0));
        Assert.False(limit.TryAcquire(T0));
        Assert.False(limit.TryAcquire(T0.AddMinutes(4.9)));
        Assert.True(limit.TryAcquire(T0.AddMinutes(5)));
        Assert.False(limit.TryAcquire(T0.AddMinutes(6)));
        Assert.True(limit.TryAcquire(T0.AddMinutes(11)));
    }
}
