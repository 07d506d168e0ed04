using System.Text.Json.Nodes;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// The OFFERS events an HTTP framework's stream received, read from its raw events. Offer ids are "&lt;master epoch&gt;-O&lt;n&gt;"
/// (MasterState), so each offer names the master incarnation that made it.
/// </summary>
public static class OfferWatch
{
    public sealed record Seen(int Index, string OfferId, string Epoch, string AgentId);

    /// <summary>Every offer in <paramref name="raw"/> (the stream's events in order), with the index of its event.</summary>
    public static List<Seen> Offers(IReadOnlyList<string> raw)
    {
        var seen = new List<Seen>();
        for (var i = 0; i < raw.Count; i++)
        {
            var e = JsonNode.Parse(raw[i])!;
            if ((string?)e["type"] != "OFFERS") continue;
            foreach (var o in e["offers"]!["offers"]!.AsArray())
            {
                var id = (string)o!["id"]!["value"]!;
                seen.Add(new Seen(i, id, EpochOf(id), (string)o["agent_id"]!["value"]!));
            }
        }
        return seen;
    }

    public static string EpochOf(string offerId) => offerId[..offerId.LastIndexOf("-O", StringComparison.Ordinal)];
}
