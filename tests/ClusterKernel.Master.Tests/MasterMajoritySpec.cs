using Akka.Actor;
using ClusterKernel.Master;
using Xunit;

namespace ClusterKernel.Master.Tests;

/// <summary>The majority fence's rule: offers only while a strict majority of masters is reachable (keep-majority's tie-break).</summary>
public sealed class MasterMajoritySpec
{
    private static Address At(int i) => new("akka.tcp", "clusterkernel", "10.213.0." + i, 2551);

    [Theory]
    [InlineData(new[] { true, true, true }, false)]
    [InlineData(new[] { true, true, false }, false)]   // one of three lost: the majority keeps offering
    [InlineData(new[] { true, false, false }, true)]   // the cut-off leader: 1 of 3
    [InlineData(new[] { true }, false)]                // a single master
    [InlineData(new[] { true, false }, false)]         // a tie, with the lowest address: kept
    [InlineData(new[] { false, true }, true)]          // a tie without it: fenced
    [InlineData(new bool[0], false)]                   // not Up yet in its own view: nothing to count
    public void Lost_only_without_a_majority(bool[] reachable, bool lost)
    {
        var view = MasterMajority.Of(reachable.Select((r, i) => (At(i + 1), r)));
        Assert.Equal(lost, view.Lost);
        Assert.Equal(reachable.Count(r => r), view.Reachable);
    }
}
