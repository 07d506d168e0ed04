using Xunit;

namespace ClusterKernel.Core.Tests;

public sealed class RandomUuidTests
{
    [Fact]
    public void Ids_are_version_4_RFC_4122_and_distinct()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => RandomUuid.Next()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, g =>
        {
            var s = g.ToString("D");
            Assert.Equal('4', s[14]);
            Assert.Contains(s[19], "89ab");
        });
    }
}
