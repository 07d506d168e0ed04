using ClusterKernel.Hosting.Chaos;
using Xunit;
using Xunit.Abstractions;
using S = ClusterKernel.TaskState;

namespace ClusterKernel.Integration.Tests;

/// <summary>The invariants of <c>ck chaos</c> (pure) and its argument handling. The soak itself is run by hand (docs/reliability.md).</summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> NoAgents = new();

    [Fact]
    public void Repeats_are_allowed_but_a_step_back_or_life_after_a_terminal_state_is_not()
    {
        Assert.Null(ChaosChecks.ProgressionError(new[] { S.TASK_STARTING, S.TASK_RUNNING, S.TASK_RUNNING, S.TASK_KILLED, S.TASK_KILLED }));
        Assert.Null(ChaosChecks.ProgressionError(new[] { S.TASK_RUNNING, S.TASK_UNREACHABLE, S.TASK_RUNNING, S.TASK_FINISHED }));
        Assert.NotNull(ChaosChecks.ProgressionError(new[] { S.TASK_RUNNING, S.TASK_STARTING }));
        Assert.NotNull(ChaosChecks.ProgressionError(new[] { S.TASK_RUNNING, S.TASK_LOST, S.TASK_RUNNING }));
        Assert.NotNull(ChaosChecks.ProgressionError(new[] { S.TASK_FINISHED, S.TASK_KILLED }));
    }

    [Fact]
    public void A_task_told_running_must_run_exactly_once_and_admitted_entries_must_still_be_known()
    {
        var tasks = new[]
        {
            new ChaosTaskRecord("ok", new[] { S.TASK_RUNNING }),
            new ChaosTaskRecord("missing", new[] { S.TASK_STARTING, S.TASK_RUNNING }),
            new ChaosTaskRecord("twice", new[] { S.TASK_RUNNING }),
            new ChaosTaskRecord("done", new[] { S.TASK_RUNNING, S.TASK_FINISHED }),
        };
        var running = new Dictionary<string, int> { ["ok"] = 1, ["twice"] = 2 };
        var v = ChaosChecks.Violations(tasks, running, new[] { "a1", "a2" }, new HashSet<string> { "a1" }, "fw", new HashSet<string>());
        Assert.Equal(4, v.Count);
        Assert.Contains(v, x => x.Contains("missing") && x.Contains("no container"));
        Assert.Contains(v, x => x.Contains("twice") && x.Contains("2 running copies"));
        Assert.Contains(v, x => x.Contains("agent a2"));
        Assert.Contains(v, x => x.Contains("framework fw"));
        Assert.Empty(ChaosChecks.Violations(tasks.Take(1).ToList(), running.Where(kv => kv.Key == "ok").ToDictionary(), NoAgents, NoAgents, null, NoAgents));
    }

    [Fact]
    public async Task Chaos_without_postgres_is_one_line_and_exit_2()
    {
        var r = await Ck.Run(output, "chaos", "--minutes", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--postgres", Assert.Single(Ck.Lines(r.Stderr)));
    }
}
