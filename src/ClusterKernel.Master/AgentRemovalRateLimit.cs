using System.Globalization;
using System.Text.RegularExpressions;

namespace ClusterKernel.Master;

/// <summary>
/// Mesos' <c>--agent_removal_rate_limit</c> (pure): at most <see cref="Permits"/> agents per <see cref="Duration"/> are taken out
/// after failing their health check (marked unreachable, or removed after <c>agent-reregister-timeout</c>), spaced evenly as
/// Mesos' RateLimiter does (one permit every Duration / Permits), so that a network blip does not wipe out the cluster.
/// Agents that must wait stay as they are and are tried again on the next sweep. Unlimited by default.
/// </summary>
public sealed partial class AgentRemovalRateLimit
{
    public static readonly AgentRemovalRateLimit Unlimited = new(0, TimeSpan.Zero);

    public int Permits { get; }
    public TimeSpan Duration { get; }
    public bool IsUnlimited => Permits == 0;
    private DateTimeOffset _next = DateTimeOffset.MinValue;

    private AgentRemovalRateLimit(int permits, TimeSpan duration) { Permits = permits; Duration = duration; }

    /// <summary>True if a removal may happen at <paramref name="now"/>; consumes the permit.</summary>
    public bool TryAcquire(DateTimeOffset now)
    {
        if (IsUnlimited) return true;
        if (now < _next) return false;
        _next = now + Duration / Permits;
        return true;
    }

    /// <summary>Parses Mesos' syntax, e.g. <c>1/10mins</c>, <c>2/3hrs</c>, <c>5/1secs</c>; empty or null = unlimited.
    /// Throws <see cref="FormatException"/> with one line on anything else.</summary>
    public static AgentRemovalRateLimit Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Unlimited;
        var m = Syntax().Match(text.Trim());
        if (!m.Success)
            throw new FormatException($"Invalid agent removal rate limit '{text}': expected PERMITS/DURATION, e.g. 1/10mins");
        var permits = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var amount = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        var unit = m.Groups[3].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(1),
            "secs" or "sec" or "s" => TimeSpan.FromSeconds(1), "mins" or "min" or "m" => TimeSpan.FromMinutes(1),
            "hrs" or "hr" or "h" => TimeSpan.FromHours(1), "days" or "day" or "d" => TimeSpan.FromDays(1),
            "weeks" or "week" or "w" => TimeSpan.FromDays(7),
            var u => throw new FormatException($"Invalid agent removal rate limit '{text}': unknown unit '{u}'"),
        };
        var duration = unit * amount;
        if (permits <= 0 || duration <= TimeSpan.Zero)
            throw new FormatException($"Invalid agent removal rate limit '{text}': permits and duration must be positive");
        return new AgentRemovalRateLimit(permits, duration);
    }

    public override string ToString() => IsUnlimited ? "unlimited" : $"{Permits}/{Duration}";

    [GeneratedRegex(@"^(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*([a-z]+)$")]
    private static partial Regex Syntax();
}
