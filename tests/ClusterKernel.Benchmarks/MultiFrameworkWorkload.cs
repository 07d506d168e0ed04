using ClusterKernel.Allocation;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Benchmarks;

/// <summary>
/// Mesos' MultiFrameworkAllocations: 80 agents cpus:64;mem:488000; 4 "Marathon" frameworks x 4000 tasks (cpus:0.07;mem:400,
/// up to 100 per offer), 500 "Jenkins" x 5 (cpus:0.1;mem:4000, 1 per offer), 50 "Spark" x 20 (cpus:1;mem:1000, up to 5 per offer).
/// Frameworks launch what they can from each offer and decline the rest with a filter; done ones suppress.
/// With <see cref="Shapes"/>, each framework declares its next offer's worth of pending tasks (fragmentation mode).
/// The agent count and size can be changed: <see cref="SmallAgents"/> is the variant with agents close to task size.
/// </summary>
public sealed class MultiFrameworkWorkload
{
    private sealed class Fw
    {
        public required FrameworkId Id;
        public required double Cpus, Mem;
        public required int PerOffer;
        public int Remaining;
    }

    private readonly HierarchicalAllocator _allocator;
    private readonly List<Fw> _fws = new();
    private readonly Dictionary<AgentId, (double Cpus, double Mem)> _free = new();
    private readonly Dictionary<FrameworkId, Fw> _byId = new();
    private readonly Filters _filter;
    public bool Shapes { get; }
    public DateTimeOffset Now = Workloads.Start;
    public int TotalTasks { get; }
    public int Launched { get; private set; }
    public int Rounds { get; private set; }
    public List<double> CycleMs { get; } = new();
    public List<double> Fragmentation { get; } = new();

    /// <summary>Agents close to task size, where stranding happens: 2,000 agents of cpus:2;mem:10000 (4,000 cpus and 20 M mem
    /// for a demand of 2,370 cpus and 17.4 M mem: a Jenkins task takes 40 % of an agent's mem for 5 % of its cpus).</summary>
    public static MultiFrameworkWorkload SmallAgents(bool shapes, double agentMem = 10_000) => new(shapes, agents: 2_000, agentCpus: 2, agentMem: agentMem);

    public MultiFrameworkWorkload(bool shapes, double refuseSeconds = 5, int seed = 42, int agents = 80, double agentCpus = 64, double agentMem = 488000)
    {
        Shapes = shapes;
        _filter = new Filters { RefuseSeconds = refuseSeconds };
        _allocator = new HierarchicalAllocator(new AllocatorOptions { Seed = seed });
        var total = Res.Parse(FormattableString.Invariant($"cpus:{agentCpus};mem:{agentMem}"));
        for (var i = 0; i < agents; i++)
        {
            var id = new AgentId($"agent{i + 1}");
            _allocator.AddAgent(id, new AgentInfo { Hostname = id.Value, Resources = total }, total, new Dictionary<FrameworkId, Res>());
            _free[id] = (agentCpus, agentMem);
        }
        for (var i = 0; i < 4; i++) Add($"Marathon-{i}", $"roleA-{i}", 4000, 0.07, 400, 100);
        for (var i = 0; i < 500; i++) Add($"Jenkins-{i}", "roleB", 5, 0.1, 4000, 1);
        for (var i = 0; i < 50; i++) Add($"SparkDispatcher-{i}", $"roleC-{i}", 20, 1, 1000, 5);
        TotalTasks = _fws.Sum(f => f.Remaining);
    }

    private void Add(string name, string role, int tasks, double cpus, double mem, int perOffer)
    {
        var fw = new Fw { Id = new FrameworkId(name), Cpus = cpus, Mem = mem, PerOffer = perOffer, Remaining = tasks };
        _allocator.AddFramework(fw.Id, new FrameworkInfo { Name = name, Roles = new[] { role } }, new Dictionary<AgentId, Res>(), active: true);
        _fws.Add(fw);
        _byId[fw.Id] = fw;
        DeclareShapes(fw);
    }

    private void DeclareShapes(Fw fw)
    {
        if (!Shapes) return;
        var shape = Res.Parse(FormattableString.Invariant($"cpus:{fw.Cpus};mem:{fw.Mem}"));
        _allocator.SetTaskShapes(fw.Id, Enumerable.Repeat(shape, Math.Min(fw.PerOffer, fw.Remaining)).ToArray());
    }

    /// <summary>One allocation cycle plus the frameworks' responses; returns the cycle's wall time in ms.</summary>
    public double Step()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var grants = _allocator.Allocate(Now);
        var ms = sw.Elapsed.TotalMilliseconds;
        CycleMs.Add(ms);
        Rounds++;
        foreach (var g in grants)
        {
            var fw = _byId[g.Framework];
            var cpus = g.Resources.Scalar("cpus");
            var mem = g.Resources.Scalar("mem");
            var n = 0;
            while (n < fw.PerOffer && fw.Remaining > 0 && cpus + 1e-9 >= fw.Cpus && mem + 1e-9 >= fw.Mem)
            {
                cpus -= fw.Cpus; mem -= fw.Mem; n++; fw.Remaining--;
            }
            Launched += n;
            var used = Res.Parse(FormattableString.Invariant($"cpus:{Math.Round(n * fw.Cpus, 3)};mem:{n * fw.Mem}"));
            var (fc, fm) = _free[g.Agent];
            _free[g.Agent] = (fc - n * fw.Cpus, fm - n * fw.Mem);
            var rest = g.Resources - used;
            if (!rest.IsEmpty) _allocator.RecoverResources(fw.Id, g.Agent, rest, _filter, Now);
            if (fw.Remaining == 0) _allocator.SuppressOffers(fw.Id, null);
            else if (n > 0) DeclareShapes(fw);
        }
        Fragmentation.Add(MeasureFragmentation());
        Now += TimeSpan.FromSeconds(1);
        return ms;
    }

    /// <summary>Share of free cpus sitting on agents where no pending task shape fits any more
    /// (with <paramref name="anyShape"/>: no shape of the scenario at all, pending or not — the stranding left once all is placed).</summary>
    public double MeasureFragmentation(bool anyShape = false)
    {
        var pending = _fws.Where(f => anyShape || f.Remaining > 0).Select(f => (f.Cpus, f.Mem)).Distinct().ToArray();
        if (pending.Length == 0) return 0;
        double free = 0, stranded = 0;
        foreach (var (c, m) in _free.Values)
        {
            free += c;
            if (!pending.Any(s => s.Cpus <= c + 1e-9 && s.Mem <= m + 1e-9)) stranded += c;
        }
        return free <= 0 ? 0 : stranded / free;
    }

    /// <summary>Tasks not placed, per framework kind ("Jenkins: 700").</summary>
    public string Pending => string.Join(", ", _fws.Where(f => f.Remaining > 0).GroupBy(f => f.Id.Value.Split('-')[0])
        .Select(g => $"{g.Key}: {g.Sum(f => f.Remaining)}").DefaultIfEmpty("none"));

    /// <summary>Free cpus and mem left on all agents.</summary>
    public (double Cpus, double Mem) Free => (_free.Values.Sum(f => f.Cpus), _free.Values.Sum(f => f.Mem));

    /// <summary>Cycles until the last task was placed (or until placement stopped).</summary>
    public int RoundsToLastPlacement { get; private set; }
    /// <summary>Free cpus stranded (no pending shape fits) when the run ended: 0 once everything is placed.</summary>
    public double FinalFragmentation { get; private set; }

    /// <summary>Steps until every task is placed, or until nothing was placed for <paramref name="stallRounds"/> cycles
    /// (several filter lifetimes: what is left cannot be placed — stranded), or <paramref name="maxRounds"/>.</summary>
    public void RunToCompletion(int maxRounds = 10_000, int stallRounds = 30)
    {
        var idle = 0;
        while (Launched < TotalTasks && Rounds < maxRounds && idle < stallRounds)
        {
            var before = Launched;
            Step();
            if (Launched > before) { idle = 0; RoundsToLastPlacement = Rounds; } else idle++;
        }
        FinalFragmentation = MeasureFragmentation();
    }
}
