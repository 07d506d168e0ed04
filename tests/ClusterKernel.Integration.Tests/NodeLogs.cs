using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>Keeps the nodes' captured output when a process test fails: disposing a node deletes its data dir, and the test
/// output only shows what the failed assertion printed.</summary>
public static class NodeLogs
{
    /// <summary>Writes each node's output to <c>/tmp/ck-tests/&lt;name&gt;-logs-&lt;time&gt;-*/&lt;file&gt;.log</c> and prints the directory.</summary>
    public static async Task<string> Keep(ITestOutputHelper output, string name, IEnumerable<(string File, NodeProcess Node)> nodes)
    {
        var dir = TestCluster.TempDir($"{name}-logs-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        foreach (var (file, node) in nodes) await File.WriteAllTextAsync(Path.Combine(dir, file + ".log"), node.Output);
        output.WriteLine($"node logs: {dir}");
        return dir;
    }
}
