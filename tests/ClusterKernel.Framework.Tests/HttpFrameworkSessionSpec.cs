using System.Text.Json.Nodes;
using System.Threading.Channels;
using Akka.Actor;
using ClusterKernel.Api;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Framework.Tests;

public sealed class HttpFrameworkSessionSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private static readonly FrameworkId Fw = new("fw-1");

    private (Akka.TestKit.TestProbe master, Channel<string> records, SchedulerSessions sessions, IActorRef session) Start(TimeSpan? heartbeat = null)
    {
        var master = CreateTestProbe();
        var records = Channel.CreateUnbounded<string>();
        var sessions = new SchedulerSessions();
        var session = Sys.ActorOf(HttpFrameworkSession.Props(new FrameworkInfo { Name = "http" }, new[] { "ads" }, master.Ref, records.Writer,
            sessions, "stream-1", heartbeat));
        return (master, records, sessions, session);
    }

    private static async Task<JsonNode> NextRecord(Channel<string> records)
    {
        using var cts = new CancellationTokenSource(Wait);
        return JsonNode.Parse(await records.Reader.ReadAsync(cts.Token))!;
    }

    [Fact]
    public async Task It_subscribes_registers_its_stream_and_turns_master_events_into_records()
    {
        var (master, records, sessions, session) = Start();
        var subscribe = master.ExpectMsg<SubscribeFramework>(Wait);
        Assert.Same(session, subscribe.Framework);
        Assert.Equal(new[] { "ads" }, subscribe.SuppressedRoles);
        Assert.False(sessions.TryGet(Fw, out _));

        session.Tell(new FrameworkSubscribed(Fw, master.Ref, 15, false), master.Ref);
        var subscribed = await NextRecord(records);
        Assert.Equal("SUBSCRIBED", (string?)subscribed["type"]);
        Assert.Equal(15, (double)subscribed["subscribed"]!["heartbeat_interval_seconds"]!);
        Assert.True(sessions.TryGet(Fw, out var entry));
        Assert.Equal(("stream-1", session), (entry.StreamId, entry.Session));

        session.Tell(new OfferRescinded(new OfferId("o1")));
        Assert.Equal("RESCIND", (string?)(await NextRecord(records))["type"]);

        // Calls go to the master with the session as sender, so answers come back through the stream.
        session.Tell(new HttpFrameworkSession.Forward(new ReviveOffers(Fw, null)));
        master.ExpectMsg<ReviveOffers>(Wait);
        Assert.Same(session, master.LastSender);
    }

    [Fact]
    public async Task Heartbeats_follow_the_configured_interval()
    {
        var (master, records, _, session) = Start(TimeSpan.FromMilliseconds(100));
        master.ExpectMsg<SubscribeFramework>(Wait);
        session.Tell(new FrameworkSubscribed(Fw, master.Ref, 15, false));
        Assert.Equal(0.1, (double)(await NextRecord(records))["subscribed"]!["heartbeat_interval_seconds"]!);
        Assert.Equal("HEARTBEAT", (string?)(await NextRecord(records))["type"]);
        Assert.Equal("HEARTBEAT", (string?)(await NextRecord(records))["type"]);
    }

    [Fact]
    public async Task An_ERROR_closes_the_stream_stops_the_session_and_unregisters_it()
    {
        var (master, records, sessions, session) = Start();
        master.ExpectMsg<SubscribeFramework>(Wait);
        session.Tell(new FrameworkSubscribed(Fw, master.Ref, 15, false));
        await NextRecord(records);
        Watch(session);

        session.Tell(new FrameworkError("replaced"));
        Assert.Equal("replaced", (string?)(await NextRecord(records))["error"]!["message"]);
        ExpectTerminated(session, Wait);
        await records.Reader.Completion.WaitAsync(Wait);
        Assert.False(sessions.TryGet(Fw, out _));
    }

    [Fact]
    public async Task A_newer_subscription_keeps_its_registration_when_the_older_session_stops()
    {
        var (master, records, sessions, session) = Start();
        master.ExpectMsg<SubscribeFramework>(Wait);
        session.Tell(new FrameworkSubscribed(Fw, master.Ref, 15, false));
        await NextRecord(records);
        var newer = new SchedulerSessions.Entry("stream-2", CreateTestProbe().Ref);
        sessions.Register(Fw, newer);

        Watch(session);
        session.Tell(HttpFrameworkSession.ClientGone.Instance);
        ExpectTerminated(session, Wait);
        Assert.True(sessions.TryGet(Fw, out var entry));
        Assert.Equal(newer, entry);
    }

    [Fact]
    public async Task ResubscribeRequired_makes_it_subscribe_again_with_its_id_and_announce_a_new_SUBSCRIBED()
    {
        var (master, records, _, session) = Start();
        master.ExpectMsg<SubscribeFramework>(Wait);
        session.Tell(new FrameworkSubscribed(Fw, master.Ref, 15, false));
        await NextRecord(records);

        session.Tell(new ResubscribeRequired("new master"));
        var again = master.ExpectMsg<SubscribeFramework>(Wait);
        Assert.Equal(Fw, again.Info.Id);
        session.Tell(new FrameworkSubscribed(Fw, master.Ref, 15, true));
        Assert.Equal("SUBSCRIBED", (string?)(await NextRecord(records))["type"]);
    }
}
