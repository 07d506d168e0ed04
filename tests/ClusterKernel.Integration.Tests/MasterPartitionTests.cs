using System.Net.Http.Json;
using ClusterKernel.Protocol;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// A 1/2 split from the leader's view, with real processes: the leading `ck master` is frozen with SIGSTOP. The other two
/// masters (the majority) down it and one of them takes over; when the old leader resumes it finds it was quarantined, downs
/// itself, stops its master singleton and rejoins as a new incarnation. An HTTP framework watches the offers on both sides:
/// the old leader sends none once frozen, the new one offers under its own epoch (no two masters offering at the same time).
/// </summary>
[Collection("cluster")]
public sealed class MasterPartitionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [PostgresFact]
    public async Task A_frozen_leader_is_replaced_by_the_majority_and_rejoins_as_a_follower_when_it_resumes()
    {
        var postgres = await PostgresFactAttribute.CreateDatabase();
        // INFO: every offer round ("Sending N offers", with its epoch) and the leader lease's decisions are read from the logs.
        await using var cluster = await ProcessCluster.Start(output, "partition", postgres, Timeout, "akka.loglevel = INFO");
        var (m1, m2, m3, agentId) = (cluster.M1, cluster.M2, cluster.M3, cluster.AgentId);
        var epoch = (string)(await m2.AwaitState(s => (string?)s["id"] == (string?)cluster.FirstState["id"], Timeout, "m2 serving m1's state"))["id"]!;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var taskId = await ProcessTasks.SubmitSleep(http, m2);
        await m2.AwaitState(s => (string?)ProcessTasks.Tasks(s, taskId).FirstOrDefault()?["state"] == "TASK_RUNNING", Timeout, "the task running");
        // A command that never fits, on the leader's own command framework: the old leader wants to offer every cycle, so if it
        // offered after SIGCONT its log would show it (the HTTP framework below sees only what reaches its stream).
        var hungry = await http.PostAsJsonAsync(m1.HttpUrl + "/api/ck/v1/commands",
            new { name = "hungry", command = "true", arguments = Array.Empty<string>(), shell = true, cpus = 0.1, mem_mb = 4096, disk_mb = 0 });
        Assert.True(hungry.IsSuccessStatusCode, await hungry.Content.ReadAsStringAsync());
        var named = new[] { ("m1", m1), ("m2", m2), ("m3", m3) };

        // An HTTP framework on the old leader's stream (a follower redirects it there). It declines every offer with a 1 s
        // filter, so the old leader keeps wanting to offer the agent's resources again: if its singleton ran an allocation after
        // SIGCONT, before it downs itself, this stream would carry it.
        var info = new FrameworkInfo { Name = "partition-offers", User = "root", FailoverTimeout = 300 };
        var oldStream = await SchedulerHttpClient.Subscribe(m2.HttpUrl!, info);
        await using var oldStreamDisposal = oldStream;
        using var declining = new CancellationTokenSource();
        var decliner = Task.Run(async () =>
        {
            while (!declining.IsCancellationRequested)
            {
                ResourceOffers offers;
                try { offers = await oldStream.Next<ResourceOffers>(timeout: TimeSpan.FromSeconds(1)); }
                catch (TimeoutException) { continue; }
                catch (InvalidOperationException) { return; } // stream closed
                try { await oldStream.Call(new DeclineOffers(oldStream.FrameworkId, offers.Offers.Select(o => o.Id).ToList(), new Filters { RefuseSeconds = 1 })); }
                catch (Exception) { /* the frozen or downed master does not answer: nothing to decline there */ }
            }
        });
        var offered = DateTime.UtcNow + Timeout;
        while (!OfferWatch.Offers(oldStream.Snapshot()).Any(o => o.AgentId == agentId) && DateTime.UtcNow < offered) await Task.Delay(100);
        Assert.Contains(OfferWatch.Offers(oldStream.Snapshot()), o => o.AgentId == agentId && o.Epoch == epoch);

        m1.Freeze();
        var frozenUtc = DateTime.UtcNow;
        var frozenAt = oldStream.Snapshot().Count;
        string newEpoch;
        SchedulerHttpClient newStream;
        int oldStreamAtNewOffers;
        try
        {
            var after = await m2.AwaitState(s => (string?)s["id"] != epoch
                    && s["slaves"]!.AsArray().Any(a => (string?)a?["id"] == agentId && (bool?)a?["active"] == true)
                    && (string?)ProcessTasks.Tasks(s, taskId).FirstOrDefault()?["state"] == "TASK_RUNNING",
                Timeout, "the majority electing a new master with the agent and the task");
            newEpoch = (string)after["id"]!;
            Assert.Single(ProcessTasks.Tasks(after, taskId));

            // The framework fails over to the new leader (through a follower's redirect) with its id; its old stream stays open.
            newStream = await SchedulerHttpClient.Subscribe(m3.HttpUrl!, info with { Id = oldStream.FrameworkId });
            await newStream.Next<ResourceOffers>(o => o.Offers.Any(x => x.AgentId.Value == agentId), Timeout);
            oldStreamAtNewOffers = oldStream.Snapshot().Count;
        }
        finally { m1.Resume(); }
        var resumedUtc = DateTime.UtcNow;
        await using var newStreamDisposal = newStream;

        // The resumed old leader learns it was quarantined, downs itself (stopping its singleton) and starts a new incarnation.
        var deadline = DateTime.UtcNow + Timeout;
        while (!m1.Output.Contains("restarting its ActorSystem") && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Contains("restarting its ActorSystem", m1.Output);
        Assert.Contains("has quarantined this node", m1.Output);
        // Its HTTP server went with the old incarnation, so the old stream ends: everything it will ever carry has been read.
        await oldStream.Closed.WaitAsync(Timeout);
        declining.Cancel();
        await decliner.WaitAsync(Timeout);

        // No two masters offered at the same time: the frozen leader sent nothing once the majority's leader was offering (it was
        // frozen, then downed itself before any allocation), and every offer the new stream got is the new master's.
        var oldOffers = OfferWatch.Offers(oldStream.Snapshot());
        var newOffers = OfferWatch.Offers(newStream.Snapshot());
        output.WriteLine($"old stream: {oldOffers.Count} offers, events {frozenAt} at the freeze, {oldStreamAtNewOffers} at the new leader's first offer, " +
            $"{oldStream.Snapshot().Count} at its end; new stream: {newOffers.Count} offers");
        // (Counted from the new leader's first offer, ≥ 10 s after SIGSTOP: bytes in flight at the freeze were read long before.)
        output.WriteLine("old leader after SIGCONT: " + string.Join(" | ", m1.Output.Split('\n').Where(l => l.Contains("holding offers back") || l.Contains("quarantined this node") || l.Contains("Leader lease")).Select(l => l.Trim())));
        output.WriteLine("new leader: " + string.Join(" | ", (m2.Output + m3.Output).Split('\n').Where(l => l.Contains("Leader lease taken") || l.Contains("leader lease (")).Select(l => l.Trim())));
        // The logs (Akka's UTC timestamps, one machine's clock): no offer round of the old epoch after the new epoch's first.
        var rounds = LeaderWatch.OfferRounds(named);
        output.WriteLine($"SIGSTOP {frozenUtc:HH:mm:ss.fff}, SIGCONT {resumedUtc:HH:mm:ss.fff}; offer rounds per epoch:\n" + LeaderWatch.OfferSpans(rounds));
        Assert.Contains(rounds, r => r.Epoch == epoch);
        Assert.Contains(rounds, r => r.Epoch == newEpoch);
        Assert.Empty(LeaderWatch.OverlappingOffers(rounds));
        Assert.Empty(oldOffers.Where(o => o.Index >= oldStreamAtNewOffers));
        Assert.All(oldOffers, o => Assert.Equal(epoch, o.Epoch));
        Assert.NotEmpty(newOffers);
        Assert.All(newOffers, o => Assert.Equal(newEpoch, o.Epoch));

        // Healed: the old leader rejoined and serves the new leader's state; the task ran once, on the same agent, all along.
        var healed = await m1.AwaitState(s => (string?)s["id"] == newEpoch, Timeout, "the old leader following the new master");
        Assert.Single(ProcessTasks.Tasks(healed, taskId));
        Assert.Equal(agentId, (string?)ProcessTasks.Tasks(healed, taskId).Single()["slave_id"]);
        Assert.Equal("TASK_RUNNING", (string?)ProcessTasks.Tasks(healed, taskId).Single()["state"]);
    }
}
