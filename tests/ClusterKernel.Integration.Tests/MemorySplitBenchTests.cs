using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary><c>ck bench --memory-split</c>, small: three processes (master, simulated agents, the bench's frameworks) and a
/// heap reading of the master at every stage. Correctness only: every task runs, every stage is reported; no figures asserted.</summary>
[Collection("cluster")]
public sealed class MemorySplitBenchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Memory_split_runs_master_and_agents_in_their_own_processes_and_reports_every_stage()
    {
        var dir = TestCluster.TempDir("memsplit");
        var psi = Ck.StartInfo("bench", "--memory-split", "--agents", "20", "--tasks", "200", "--frameworks", "2", "--command", "sleep 600",
            "--allocation-interval", "200ms", "--timeout", "120", "--data-dir", dir);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5)); }
        catch (TimeoutException) { process.Kill(entireProcessTree: true); throw; }
        var text = await stdout;
        output.WriteLine(text + "\n" + await stderr);

        Assert.Equal(0, process.ExitCode);
        foreach (var stage in new[] { "empty master", "+ 2 frameworks", "+ 20 agents", "+ 200 tasks running", "+ views after GET /state" })
            Assert.Contains(stage, text);
        Assert.Contains("200/200 tasks RUNNING", text);
        Assert.Contains("per task:", text);
        // The master and the agents were child processes of the bench and are gone with it.
        Assert.True(File.Exists(Path.Combine(dir, "master.log")) && File.Exists(Path.Combine(dir, "agents.log")));
    }
}
