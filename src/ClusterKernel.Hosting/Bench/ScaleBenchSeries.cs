using System.Globalization;
using System.Text;

namespace ClusterKernel.Hosting.Bench;

/// <summary>
/// Several <see cref="ScaleBench"/> runs in one sitting, so that a comparison is not between different hours of a shared machine:
/// the same workload with and without HTTP polling of /state. (The master's memory per agent and per task: <see cref="MemorySplitBench"/>.)
/// </summary>
public static class ScaleBenchSeries
{
    /// <summary>
    /// <paramref name="pairs"/> pairs of runs of <paramref name="o"/>, one without and one with /state + GET_STATE polled every
    /// <paramref name="every"/>; the order alternates between pairs (off-on, on-off, ...) so a trend in the machine's load does
    /// not always favour the same side. Every run uses its own data dir and HTTP API (the HTTP API is served in both, idle without polls).
    /// </summary>
    public static async Task<string> PollComparisonAsync(ScaleBenchOptions o, TimeSpan every, int pairs, CancellationToken ct = default)
    {
        var runs = new List<(bool Polled, ScaleBenchResult R)>();
        var baseDir = o.DataDir ?? Path.Combine(Path.GetTempPath(), "ck-bench-" + Guid.NewGuid().ToString("N")[..8]);
        for (var p = 0; p < pairs; p++)
            foreach (var polled in p % 2 == 0 ? new[] { false, true } : new[] { true, false })
            {
                var n = runs.Count;
                o.Log?.Invoke($"[{DateTime.UtcNow:HH:mm:ss}] run {n + 1}/{2 * pairs}: {(polled ? "with" : "without")} HTTP polling; load {Load()}");
                var r = await ScaleBench.RunAsync(o with
                {
                    DataDir = Path.Combine(baseDir, $"run{n}"), PollHttp = polled ? every : TimeSpan.Zero, PollState = false, ServeHttp = true,
                    MeasureMasterMemory = false,
                }, ct);
                o.Log?.Invoke(r.Table);
                runs.Add((polled, r));
            }
        string F(double v, string f = "F0") => v.ToString(f, CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine($"poll comparison: {pairs} pair(s), {o.Agents} agents, {o.Tasks} tasks, polling every {every.TotalSeconds:F1} s");
        sb.AppendLine("  run  polled  tasks/s overall  median/s  p50 / p99 latency ms  CPU us/task  HTTP polls");
        for (var i = 0; i < runs.Count; i++)
        {
            var (polled, r) = runs[i];
            sb.AppendLine($"  {i + 1,3}  {(polled ? "yes" : "no"),6}  {F(r.OverallTasksPerSecond),15}  {F(r.MedianTasksPerSecond),8}  {F(r.LatencyP50Ms) + " / " + F(r.LatencyP99Ms),20}  " +
                          $"{F(r.RunCpuSeconds * 1e6 / Math.Max(1, r.Running)),11}  {(polled ? StatePoller.Summarise(r.HttpPolls) : "-")}");
        }
        double Mean(bool polled, Func<ScaleBenchResult, double> f) => runs.Where(x => x.Polled == polled).Average(x => f(x.R));
        var off = Mean(false, r => r.OverallTasksPerSecond);
        var on = Mean(true, r => r.OverallTasksPerSecond);
        sb.AppendLine($"  mean tasks/s overall: without {F(off)}, with {F(on)}: ratio with/without {F(on / off, "F3")} (drop {F(100 * (1 - on / off), "F1")} %)");
        var cpuOff = Mean(false, r => r.RunCpuSeconds / Math.Max(1, r.Running));
        var cpuOn = Mean(true, r => r.RunCpuSeconds / Math.Max(1, r.Running));
        sb.AppendLine($"  mean CPU per task: without {F(cpuOff * 1e6)} us, with {F(cpuOn * 1e6)} us (ratio {F(cpuOn / cpuOff, "F3")})");
        sb.AppendLine($"  all polls during the polled runs: {StatePoller.Summarise(runs.Where(x => x.Polled).SelectMany(x => x.R.HttpPolls))}");
        sb.AppendLine($"  after the runs (full state): {StatePoller.Summarise(runs.SelectMany(x => x.R.HttpAfter))}");
        return sb.ToString();
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
