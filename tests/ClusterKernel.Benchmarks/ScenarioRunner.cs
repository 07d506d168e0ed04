using System.Diagnostics;
using ClusterKernel.Allocation;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Benchmarks;

/// <summary>
/// Quick, direct measurement of the scenarios (no BenchmarkDotNet statistics): prints one table row per run.
/// `scenarios` runs a time-boxed set; `scenarios --full` runs DeclineOffers at 10k x 1k through every round to fully
/// filtered, and 20k x 2k for four minutes. `scenarios add|decline|multi|quota` runs one group.
/// </summary>
public static class ScenarioRunner
{
    private static AllocatorOptions MesosBenchmarkOptions => new() { FairSharingExcluded = Array.Empty<string>() };

    public static void Run(string[] args)
    {
        var full = args.Contains("--full");
        var only = args.FirstOrDefault(a => !a.StartsWith("--"));
        Console.WriteLine($"{"scenario",-38} {"value",12}  note");
        if (only is null or "add")
        {
            AddAgents(10_000, 1_000);
            AddAgents(20_000, 2_000);
        }
        if (only is null or "decline")
        {
            DeclineOffers(1_000, 200, budget: TimeSpan.FromSeconds(60));
            DeclineOffers(10_000, 1_000, budget: full ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(20));
            DeclineOffers(20_000, 2_000, budget: full ? TimeSpan.FromMinutes(4) : TimeSpan.FromSeconds(20));
        }
        // `decline10k --full`: only the 10k x 1k case, every round (for before/after comparisons of the cycle).
        if (only == "decline10k") DeclineOffers(10_000, 1_000, budget: full ? TimeSpan.FromHours(1) : TimeSpan.FromSeconds(10));
        if (only is null or "multi")
        {
            Multi(shapes: false);
            Multi(shapes: true);
        }
        if (only is null or "multi" or "small")
            foreach (var mem in new[] { 10_000.0, 12_000.0 })
            {
                Multi(shapes: false, smallAgentMem: mem);
                Multi(shapes: true, smallAgentMem: mem);
            }
        if (only is null or "quota") Quota(3_000, 3_000);
    }

    private static void Row(string scenario, string value, string note = "") => Console.WriteLine($"{scenario,-38} {value,12}  {note}");

    private static void AddAgents(int agents, int frameworks)
    {
        // Five repetitions in one process: the first runs partly on unoptimised (tier-0) code; the minimum is the figure
        // least disturbed by other load on a shared machine.
        var wall = new List<double>();
        var cpus = new List<double>();
        for (var rep = 0; rep < 5; rep++)
        {
            var allocator = new HierarchicalAllocator(MesosBenchmarkOptions);
            var ids = Workloads.AddFrameworks(allocator, frameworks);
            var data = Workloads.DeclineOffersAgents(agents, ids);
            GC.Collect();
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Cpu();
            var sw = Stopwatch.StartNew();
            Workloads.AddAgents(allocator, data);
            var ms = sw.Elapsed.TotalMilliseconds;
            cpu = Cpu() - cpu;
            bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
            wall.Add(ms);
            cpus.Add(cpu);
            Row($"AddAgents {agents}a x {frameworks}f (rep {rep + 1})", $"{ms:F1} ms", $"{bytes / 1024.0 / 1024:F1} MiB allocated, process CPU {cpu:F0} ms");
        }
        Row($"AddAgents {agents}a x {frameworks}f min", $"{wall.Min():F1} ms", $"min process CPU {cpus.Min():F0} ms");
    }

    private static void DeclineOffers(int agents, int frameworks, TimeSpan budget)
    {
        var allocator = new HierarchicalAllocator(MesosBenchmarkOptions);
        var ids = Workloads.AddFrameworks(allocator, frameworks);
        Workloads.AddAgents(allocator, Workloads.DeclineOffersAgents(agents, ids));
        var now = Workloads.Start;
        var offering = new List<(double Ms, long Bytes)>();
        var filtered = new List<(double Ms, long Bytes)>();
        var wall = Stopwatch.StartNew();
        var round = 0;
        var grants = (IReadOnlyList<OfferGrant>)Array.Empty<OfferGrant>();
        double declineMs = 0;
        var cpuMs = new List<double>();
        while (wall.Elapsed < budget && filtered.Count < 5)
        {
            var d = Stopwatch.StartNew();
            Workloads.DeclineAll(allocator, grants, now);
            declineMs += d.Elapsed.TotalMilliseconds;
            now += TimeSpan.FromSeconds(1);
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Cpu();
            var sw = Stopwatch.StartNew();
            grants = allocator.Allocate(now);
            var ms = sw.Elapsed.TotalMilliseconds;
            cpuMs.Add(Cpu() - cpu);
            bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
            (grants.Count > 0 ? offering : filtered).Add((ms, bytes));
            if (round == 0) Row($"DeclineOffers {agents}a x {frameworks}f round 0", $"{ms:F1} ms", $"{grants.Count} offers, {bytes / 1024.0 / 1024:F1} MiB");
            round++;
        }
        var complete = filtered.Count > 0 ? "all rounds to fully filtered" : $"time-boxed: {round} of {frameworks + 1}+ rounds";
        Row($"DeclineOffers {agents}a x {frameworks}f offering", $"{Median(offering):F1} ms",
            $"median of {offering.Count} rounds (process CPU median {cpuMs.OrderBy(x => x).ElementAt(cpuMs.Count / 2):F1} ms, sum {cpuMs.Sum() / 1000:F2} s), max {offering.Select(x => x.Ms).DefaultIfEmpty().Max():F1} ms, {MedianBytes(offering) / 1024.0:F0} KiB/round; {complete}; declines {declineMs / Math.Max(1, round):F1} ms/round (untimed)");
        if (filtered.Count > 0)
        {
            Row($"DeclineOffers {agents}a x {frameworks}f first filtered", $"{filtered[0].Ms:F1} ms", "first round with every pair filtered (re-checks each filter once)");
            Row($"DeclineOffers {agents}a x {frameworks}f fully filtered", $"{Median(filtered.Skip(1).ToList()):F3} ms", $"median of {filtered.Count - 1} later rounds, {MedianBytes(filtered.Skip(1).ToList())} B/round");
        }
    }

    private static void Multi(bool shapes, double? smallAgentMem = null)
    {
        var w = smallAgentMem is { } m ? MultiFrameworkWorkload.SmallAgents(shapes, m) : new MultiFrameworkWorkload(shapes);
        var sw = Stopwatch.StartNew();
        w.RunToCompletion(maxRounds: 2_000);
        var total = sw.Elapsed.TotalMilliseconds;
        var mode = (shapes ? "shapes" : "whole-agent") + (smallAgentMem is { } am ? FormattableString.Invariant($", 2000 x cpus:2;mem:{am}") : "");
        Row($"MultiFramework ({mode}) placed", $"{w.Launched}/{w.TotalTasks}", $"last placement in cycle {w.RoundsToLastPlacement} ({w.Rounds} cycles run), {total:F0} ms wall incl. framework simulation");
        Row($"MultiFramework ({mode}) stranded when done", $"{w.FinalFragmentation * 100:F2} %", $"of free cpus fit no still-pending shape when the run ended (0 when all placed); pending: {w.Pending}");
        Row($"MultiFramework ({mode}) cycle", $"{w.CycleMs.Average():F2} ms", $"mean; median {Median(w.CycleMs.Select(x => (x, 0L)).ToList()):F2} ms, max {w.CycleMs.Max():F2} ms, allocator total {w.CycleMs.Sum():F0} ms");
        Row($"MultiFramework ({mode}) fragmentation", $"{w.Fragmentation.Average() * 100:F2} %", $"mean over cycles of free cpus fitting no pending shape; max {w.Fragmentation.Max() * 100:F2} %");
        var (cpus, mem) = w.Free;
        Row($"MultiFramework ({mode}) stranded at end", $"{w.MeasureFragmentation(anyShape: true) * 100:F2} %", FormattableString.Invariant($"of the {cpus:F0} free cpus ({mem:F0} mem) sit where none of the three shapes fits"));
    }

    private static void Quota(int agents, int roles)
    {
        var allocator = new HierarchicalAllocator(MesosBenchmarkOptions);
        Workloads.AddQuotaCluster(allocator, agents, roles);
        var now = Workloads.Start;
        var times = new List<(double, long)>();
        var grants = (IReadOnlyList<OfferGrant>)Array.Empty<OfferGrant>();
        for (var c = 0; c < 8; c++)
        {
            foreach (var g in grants) allocator.RecoverResources(g.Framework, g.Agent, g.Resources, new Filters { RefuseSeconds = 0 }, now);
            now += TimeSpan.FromSeconds(1);
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            grants = allocator.Allocate(now);
            times.Add((sw.Elapsed.TotalMilliseconds, GC.GetAllocatedBytesForCurrentThread() - bytes));
            if (c == 0) Row($"Quota {agents}a x {roles} roles cycle 0", $"{times[0].Item1:F1} ms", $"{grants.Count} offers");
        }
        Row($"Quota {agents}a x {roles} roles cycle", $"{Median(times.Skip(1).ToList()):F1} ms", $"median of {times.Count - 1} cycles (declines with refuse 0 between), {MedianBytes(times.Skip(1).ToList()) / 1024.0 / 1024:F1} MiB/cycle");
    }

    /// <summary>Process CPU time in ms: on a loaded 2-core machine wall time overstates single-threaded work.</summary>
    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;

    private static double Median(List<(double Ms, long Bytes)> xs) => xs.Count == 0 ? double.NaN : xs.Select(x => x.Ms).OrderBy(x => x).ElementAt(xs.Count / 2);
    private static long MedianBytes(List<(double Ms, long Bytes)> xs) => xs.Count == 0 ? 0 : xs.Select(x => x.Bytes).OrderBy(x => x).ElementAt(xs.Count / 2);
}
