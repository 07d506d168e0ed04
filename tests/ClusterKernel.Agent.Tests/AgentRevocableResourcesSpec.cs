using Akka.TestKit.Xunit2;
using ClusterKernel.Agent.Containerizers;
using ClusterKernel.Protocol;
using Xunit;
using Xunit.Abstractions;
using ResourceBag = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Agent.Tests;

/// <summary>Oversubscribed resources (clusterkernel.agent.revocable-resources): read from config, reported as revocable at registration.</summary>
public sealed class AgentRevocableResourcesSpec(ITestOutputHelper output) : TestKit("akka.loglevel = WARNING", output: output)
{
    private static AgentSettings Read(string hocon) => AgentSettings.Create(Akka.Configuration.ConfigurationFactory.ParseString(
        "clusterkernel.agent { resources = \"cpus:2;mem:1024;disk:100;ports:[31000-31001]\"\n" + hocon + " }"));

    [Fact]
    public void The_setting_is_parsed_marked_revocable_and_empty_by_default()
    {
        Assert.True(Read("").RevocableResources.IsEmpty);
        var rev = Read("revocable-resources = \"cpus:4;mem:512\"").RevocableResources;
        Assert.Equal(2, rev.Count);
        Assert.All(rev, r => Assert.True(r.Revocable));
        Assert.Equal(4, rev.Scalar("cpus"));
    }

    [Fact]
    public void Reserved_or_malformed_revocable_resources_are_refused()
    {
        Assert.Contains("unreserved", Assert.Throws<FormatException>(() => AgentSettings.ParseRevocable("cpus(ads):2")).Message);
        Assert.Throws<FormatException>(() => Read("revocable-resources = \"cpus:x\""));
    }

    [Fact]
    public void The_agent_registers_its_revocable_resources_beside_the_others()
    {
        using var work = new TempDir();
        var master = CreateTestProbe();
        var settings = new AgentSettings
        {
            WorkDir = work.Path, Resources = ResourceBag.Parse("cpus:2;mem:1024"), Hostname = "test-host",
            RevocableResources = AgentSettings.ParseRevocable("cpus:4;mem:512"),
            RegistrationRetryInterval = TimeSpan.FromMilliseconds(300),
        };
        Sys.ActorOf(Agent.Props(settings, master.Ref, new IContainerizer[] { new ProcessContainerizer(Path.Combine(work.Path, "meta", "process")) }), "agent");
        var info = master.FishForMessage<RegisterAgent>(_ => true, TestSupport.Seconds(15)).Info;
        Assert.Equal(4, info.Resources.Revocable().Scalar("cpus"));
        Assert.Equal(512, info.Resources.Revocable().Scalar("mem"));
        Assert.Equal(2, info.Resources.NonRevocable().Scalar("cpus"));
    }
}
