using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// Watches for two masters at once in a cluster of `ck master` processes inside network namespaces: it samples every master's
/// /state (the epoch of the singleton its node reaches, and the leader it names) in the background, and reads the offers each
/// master logged ("Sending N offers to framework F (first..last)"; offer ids start with the offering master's epoch).
/// </summary>
public sealed class LeaderWatch : IAsyncDisposable
{
    public sealed record Sample(string Node, DateTime Start, DateTime End, string? Epoch, string? Leader);
    public sealed record OfferRound(string Node, DateTime At, string Epoch);

    private readonly List<Sample> _samples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private LeaderWatch(IReadOnlyList<(string Name, NodeProcess Node)> masters, TimeSpan interval) =>
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.WhenAll(masters.Select(async m =>
                {
                    var start = DateTime.UtcNow;
                    JsonNode? st = null;
                    try { st = await NetworkNamespaces.Get(m.Node.Netns!, m.Node.HttpUrl + "/state") is { } t ? JsonNode.Parse(t) : null; }
                    catch (System.Text.Json.JsonException) { }
                    lock (_samples) _samples.Add(new Sample(m.Name, start, DateTime.UtcNow, (string?)st?["id"], (string?)st?["leader"]));
                }));
                try { await Task.Delay(interval, _stop.Token); } catch (OperationCanceledException) { }
            }
        });

    public static LeaderWatch Start(IReadOnlyList<(string Name, NodeProcess Node)> masters, TimeSpan interval) => new(masters, interval);

    public IReadOnlyList<Sample> Samples { get { lock (_samples) return _samples.ToList(); } }

    /// <summary>
    /// Witnesses of two singletons alive at once: a master answering with an epoch after another epoch that first appeared later
    /// had already been answered (the request started after that answer ended). A legitimate move of leadership stops the old
    /// singleton before the new one starts, so that never happens.
    /// </summary>
    public List<string> TwoEpochsAtOnce()
    {
        var answered = Samples.Where(s => s.Epoch is not null).OrderBy(s => s.End).ToList();
        var firstSeen = answered.GroupBy(s => s.Epoch!).ToDictionary(g => g.Key, g => g.Min(s => s.End));
        var order = firstSeen.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToList();
        var found = new List<string>();
        foreach (var s in answered)
        {
            var rank = order.IndexOf(s.Epoch!);
            foreach (var newer in order.Skip(rank + 1))
                if (firstSeen[newer] < s.Start)
                    found.Add($"{s.Node} answered epoch {s.Epoch} at {s.Start:HH:mm:ss.fff}–{s.End:HH:mm:ss.fff}, after epoch {newer} had been answered at {firstSeen[newer]:HH:mm:ss.fff}");
        }
        return found;
    }

    /// <summary>Epoch changes per master, for the test output.</summary>
    public string Timeline() => string.Join("\n", Samples.GroupBy(s => s.Node).Select(g =>
    {
        var changes = new List<string>();
        string? last = "?";
        foreach (var s in g.OrderBy(s => s.Start))
        {
            var now = s.Epoch is null ? "-" : $"{s.Epoch} (leader {s.Leader})";
            if (now != last) changes.Add($"{s.Start:HH:mm:ss.f} {now}");
            last = now;
        }
        return $"{g.Key}: {string.Join(" → ", changes)}";
    }));

    private static readonly Regex OfferLine = new(
        @"^\[INFO\]\[(?<ts>\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d+)Z\].*Sending \d+ offers to framework \S+ \((?<first>\S+)\.\.",
        RegexOptions.Multiline);

    /// <summary>Every offer round each master logged, with its epoch (Akka's UTC timestamps; one clock, one machine).</summary>
    public static List<OfferRound> OfferRounds(IEnumerable<(string Name, NodeProcess Node)> masters) =>
        masters.SelectMany(m => OfferLine.Matches(m.Node.Output).Select(x => new OfferRound(m.Name,
            DateTime.ParseExact(x.Groups["ts"].Value, "MM/dd/yyyy HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
            OfferWatch.EpochOf(x.Groups["first"].Value)))).OrderBy(r => r.At).ToList();

    /// <summary>Pairs of epochs whose offer rounds interleave in time: two masters offering at the same time.</summary>
    public static List<string> OverlappingOffers(IReadOnlyList<OfferRound> rounds)
    {
        var spans = rounds.GroupBy(r => r.Epoch).Select(g => (Epoch: g.Key, Nodes: string.Join("/", g.Select(r => r.Node).Distinct()),
            First: g.Min(r => r.At), Last: g.Max(r => r.At), Count: g.Count())).OrderBy(s => s.First).ToList();
        var found = new List<string>();
        for (var i = 0; i < spans.Count; i++)
            for (var j = i + 1; j < spans.Count; j++)
                if (spans[j].First <= spans[i].Last)
                    found.Add($"epoch {spans[i].Epoch} ({spans[i].Nodes}) offered until {spans[i].Last:HH:mm:ss.fff}, epoch {spans[j].Epoch} ({spans[j].Nodes}) from {spans[j].First:HH:mm:ss.fff}");
        return found;
    }

    public static string OfferSpans(IReadOnlyList<OfferRound> rounds) => string.Join("\n", rounds.GroupBy(r => r.Epoch)
        .Select(g => $"epoch {g.Key} on {string.Join("/", g.Select(r => r.Node).Distinct())}: {g.Count()} offer rounds {g.Min(r => r.At):HH:mm:ss.fff}–{g.Max(r => r.At):HH:mm:ss.fff}"));

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop; } catch (Exception) { /* stopping */ }
    }
}
