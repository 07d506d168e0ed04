using Akka.Actor;
using Akka.TestKit;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

public sealed class CommandFrameworkSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    /// <summary>A subscribed command framework with an idle queue (it has suppressed offers).</summary>
    private (TestProbe master, IActorRef framework) StartSubscribed()
    {
        var master = CreateTestProbe();
        var framework = Sys.ActorOf(CommandFramework.Props(master.Ref));
        var subscribe = master.ExpectMsg<SubscribeFramework>(Wait);
        Assert.Equal(CommandFramework.FrameworkName, subscribe.Info.Name);
        Assert.True(subscribe.Info.Checkpoint);
        framework.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, false), master.Ref);
        master.FishForMessage<SuppressOffers>(_ => true, Wait);
        return (master, framework);
    }

    private static async Task<TaskId> Run(IActorRef framework, CommandRequest request) =>
        (await framework.Ask<CommandAccepted>(new RunCommand(request), Wait)).TaskId;

    [Fact]
    public async Task A_command_arriving_while_suppressed_revives_offers()
    {
        var (master, framework) = StartSubscribed();
        await Run(framework, Samples.Command());
        master.FishForMessage<ReviveOffers>(_ => true, Wait);
    }

    [Fact]
    public async Task A_pending_command_is_launched_on_a_fitting_offer()
    {
        var (master, framework) = StartSubscribed();
        var id = await Run(framework, Samples.Command("echo hi", cpus: 0.5, mem: 64, image: "alpine:3"));
        var offer = Samples.Offer("o1", "cpus:2;mem:1024;disk:100;ports:[31000-32000]");

        framework.Tell(new ResourceOffers(new[] { offer }), master.Ref);

        var accept = master.FishForMessage<AcceptOffers>(_ => true, Wait);
        Assert.Equal(new[] { offer.Id }, accept.OfferIds);
        var task = Assert.Single(Assert.IsType<LaunchOperation>(Assert.Single(accept.Operations)).TaskInfos);
        Assert.Equal(id, task.TaskId);
        Assert.StartsWith("ck-", task.TaskId.Value);
        Assert.Equal(offer.AgentId, task.AgentId);
        Assert.Equal(Res.Parse("cpus:0.5;mem:64"), task.Resources);
        Assert.Equal("echo hi", task.Command!.Value);
        Assert.True(task.Command.Shell);
        Assert.Equal("alpine:3", task.Container!.DockerImage);
        master.FishForMessage<SuppressOffers>(_ => true, Wait); // queue empty again
    }

    [Fact]
    public async Task Several_commands_share_one_offer_and_the_one_that_does_not_fit_waits()
    {
        var (master, framework) = StartSubscribed();
        var a = await Run(framework, Samples.Command(cpus: 0.5, mem: 64));
        var b = await Run(framework, Samples.Command(cpus: 0.5, mem: 64));
        var c = await Run(framework, Samples.Command(cpus: 0.5, mem: 64));

        framework.Tell(new ResourceOffers(new[] { Samples.Offer("o1", "cpus:1;mem:1024") }), master.Ref);

        var accept = master.FishForMessage<AcceptOffers>(_ => true, Wait);
        var tasks = Assert.IsType<LaunchOperation>(Assert.Single(accept.Operations)).TaskInfos;
        Assert.Equal(new[] { a, b }, tasks.Select(t => t.TaskId));
        var view = (await framework.Ask<CommandView>(new GetCommand(c), Wait));
        Assert.Null(view.AgentId);
    }

    [Fact]
    public void Resources_reserved_for_the_offer_role_are_used_before_unreserved_ones()
    {
        var taken = OfferFit.TryTake(Res.Parse("cpus:1;cpus(ads):0.25;mem:128"), "ads", new Dictionary<string, double> { ["cpus"] = 0.5, ["mem"] = 64 });
        Assert.Equal(Res.Parse("cpus(ads):0.25;cpus:0.25;mem:64"), taken);
        Assert.Null(OfferFit.TryTake(Res.Parse("cpus(other):4;mem:128"), "ads", new Dictionary<string, double> { ["cpus"] = 0.5 }));
    }

    [Fact]
    public void A_dynamically_reserved_share_is_taken_with_its_reservation_and_volumes_are_left_alone()
    {
        var dynamic = Res.From(Res.Parse("cpus:1;disk:50").Select(r => r with
        {
            Role = "ads", Reservations = new[] { new ClusterKernel.Resources.ReservationInfo("DYNAMIC", "ads", "ops") },
        }));
        var volume = Res.From(dynamic.Where(r => r.Name == "disk").Select(r => r with { Disk = new ClusterKernel.Resources.DiskInfo("v1", null, "data") }));
        var offer = Res.From(dynamic.Where(r => r.Name == "cpus")) + volume + Res.Parse("mem:128;disk:10");
        var taken = OfferFit.TryTake(offer, "ads", new Dictionary<string, double> { ["cpus"] = 0.5, ["mem"] = 64, ["disk"] = 5 })!;
        Assert.True(offer.Contains(taken));
        Assert.Equal("ops", taken.Single(r => r.Name == "cpus").Reservations.Single().Principal);
        Assert.DoesNotContain(taken, r => r.IsPersistentVolume);
    }

    [Fact]
    public async Task A_too_small_offer_is_declined_with_a_short_filter()
    {
        var (master, framework) = StartSubscribed();
        await Run(framework, Samples.Command(cpus: 4, mem: 64));

        framework.Tell(new ResourceOffers(new[] { Samples.Offer("o1", "cpus:1;mem:1024") }), master.Ref);

        var decline = master.FishForMessage<DeclineOffers>(_ => true, Wait);
        Assert.Equal(new[] { new OfferId("o1") }, decline.OfferIds);
        Assert.Equal(1, decline.Filters!.RefuseSeconds);
    }

    [Fact]
    public async Task Get_command_answers_with_the_status_history()
    {
        var (master, framework) = StartSubscribed();
        var id = await Run(framework, Samples.Command());
        framework.Tell(new ResourceOffers(new[] { Samples.Offer("o1", "cpus:1;mem:1024") }), master.Ref);
        master.FishForMessage<AcceptOffers>(_ => true, Wait);

        framework.Tell(new TaskStatusUpdate(new TaskStatus { TaskId = id, State = TaskState.TASK_RUNNING, AgentId = Samples.AgentId, Uuid = Guid.NewGuid() }), master.Ref);
        framework.Tell(new TaskStatusUpdate(new TaskStatus { TaskId = id, State = TaskState.TASK_FINISHED, AgentId = Samples.AgentId, Uuid = Guid.NewGuid(), ExitCode = 0 }), master.Ref);

        var view = (await framework.Ask<CommandView>(new GetCommand(id), Wait));
        Assert.Equal(TaskState.TASK_FINISHED, view.State);
        Assert.Equal(new[] { TaskState.TASK_RUNNING, TaskState.TASK_FINISHED }, view.Statuses.Select(s => s.State));
        Assert.Equal(Samples.AgentId, view.AgentId);
        Assert.Equal(Samples.FrameworkId, view.FrameworkId);
        Assert.IsType<CommandNotFound>((await framework.Ask<object>(new GetCommand(new TaskId("nope")), Wait)));
    }

    [Fact]
    public async Task Killing_a_pending_command_ends_it_without_launching()
    {
        var (master, framework) = StartSubscribed();
        var id = await Run(framework, Samples.Command());

        Assert.IsType<CommandKillRequested>((await framework.Ask<object>(new KillCommand(id), Wait)));
        framework.Tell(new ResourceOffers(new[] { Samples.Offer("o1", "cpus:1;mem:1024") }), master.Ref);

        master.FishForMessage<DeclineOffers>(_ => true, Wait);
        Assert.Equal(TaskState.TASK_KILLED, (await framework.Ask<CommandView>(new GetCommand(id), Wait)).State);
    }

    [Fact]
    public async Task Killing_a_launched_command_asks_the_master_to_kill_it_on_its_agent()
    {
        var (master, framework) = StartSubscribed();
        var id = await Run(framework, Samples.Command());
        framework.Tell(new ResourceOffers(new[] { Samples.Offer("o1", "cpus:1;mem:1024") }), master.Ref);
        master.FishForMessage<AcceptOffers>(_ => true, Wait);

        framework.Tell(new KillCommand(id));

        var kill = master.FishForMessage<KillTask>(_ => true, Wait);
        Assert.Equal(id, kill.TaskId);
        Assert.Equal(Samples.AgentId, kill.AgentId);
    }

    [Fact]
    public async Task A_kill_not_yet_answered_is_sent_again_after_a_resubscription()
    {
        // A new leader drops calls from a framework that has not re-subscribed with it yet, as Mesos does.
        var (master, framework) = StartSubscribed();
        var id = await Run(framework, Samples.Command());
        framework.Tell(new ResourceOffers(new[] { Samples.Offer("o1", "cpus:1;mem:1024") }), master.Ref);
        master.FishForMessage<AcceptOffers>(_ => true, Wait);
        framework.Tell(new KillCommand(id));
        master.FishForMessage<KillTask>(_ => true, Wait);

        framework.Tell(new ResubscribeRequired("new leader"), master.Ref);
        master.FishForMessage<SubscribeFramework>(_ => true, Wait);
        framework.Tell(new FrameworkSubscribed(Samples.FrameworkId, master.Ref, 15, false), master.Ref);
        Assert.Equal(id, master.FishForMessage<KillTask>(_ => true, Wait).TaskId);
    }

    [Fact]
    public async Task An_invalid_command_is_rejected()
    {
        var (_, framework) = StartSubscribed();
        var answer = (await framework.Ask<object>(new RunCommand(Samples.Command(cpus: 0)), Wait));
        Assert.Contains("cpus", Assert.IsType<CommandRejected>(answer).Message);
    }
}
