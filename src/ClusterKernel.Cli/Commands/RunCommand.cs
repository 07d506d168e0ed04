using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Framework;

namespace ClusterKernel.Cli.Commands;

/// <summary>
/// <c>ck run [options] -- CMD ARGS...</c>: runs a one-off command through the ck-command framework, follows its states
/// on stderr, then prints its stdout/stderr and exits with its exit code.
/// Exit codes: the task's own; 1 for a failure without one; 2 bad arguments or master unreachable; 3 never launched in time.
/// </summary>
public static class RunCommand
{
    public const int NeverLaunched = 3;
    private const int BadArguments = 2;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private const long ChunkBytes = 1 << 20;

    public static Command Create()
    {
        var image = new Option<string?>("--image") { Description = "Docker image to run in (none: a plain process on the agent)" };
        var cpus = new Option<string>("--cpus") { Description = "CPUs for the task", DefaultValueFactory = _ => "0.5" };
        var mem = new Option<string>("--mem") { Description = "Memory for the task, MB", DefaultValueFactory = _ => "64" };
        var disk = new Option<string>("--disk") { Description = "Disk for the task, MB", DefaultValueFactory = _ => "0" };
        var name = new Option<string?>("--name") { Description = "Task name (default: its id)" };
        var timeout = new Option<string>("--timeout") { Description = "How long to wait for an offer: 60s, 2m, 500ms or plain seconds", DefaultValueFactory = _ => "60s" };
        var master = new Option<string>("--master") { Description = "The master's HTTP address", DefaultValueFactory = _ => "http://127.0.0.1:5050" };
        var env = new Option<string[]>("--env") { Description = "Environment variable K=V (repeatable)" };
        var command = new Argument<string[]>("command") { Description = "The command and its arguments (after --)", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("run", "Run a one-off command in the cluster and wait for it") { image, cpus, mem, disk, name, timeout, master, env, command };

        cmd.SetAction((ParseResult r, CancellationToken ct) => MasterClient.Guard(async () =>
        {
            // Without "--", a mistyped option would silently become the command to run.
            var beforeDashes = r.Tokens.TakeWhile(t => t.Type != System.CommandLine.Parsing.TokenType.DoubleDash);
            if (beforeDashes.FirstOrDefault(t => t.Type == System.CommandLine.Parsing.TokenType.Argument && t.Value.StartsWith('-')) is { } stray)
                throw new CliException(BadArguments, $"unknown option '{stray.Value}' (put the command after --)");
            var request = new CommandRequest(
                r.GetValue(name), r.GetValue(image), ShellCommand(r.GetValue(command) ?? Array.Empty<string>()), Array.Empty<string>(), true,
                Positive("--cpus", r.GetValue(cpus)), Positive("--mem", r.GetValue(mem)), NonNegative("--disk", r.GetValue(disk)),
                Environment(r.GetValue(env) ?? Array.Empty<string>()));
            if (request.Validate() is { } invalid) throw new CliException(BadArguments, invalid);
            var wait = ParseTimeout(r.GetValue(timeout)!);
            using var client = new MasterClient(r.GetValue(master)!);
            return await Run(client, request, wait, ct);
        }));
        return cmd;
    }

    private static async Task<int> Run(MasterClient client, CommandRequest request, TimeSpan wait, CancellationToken ct)
    {
        var posted = await client.PostAsync(HttpApi.CommandsPath, request, ct);
        if (posted.StatusCode != HttpStatusCode.Created) throw new CliException(BadArguments, "the master refused the command: " + await MasterClient.ErrorMessage(posted, ct));
        var taskId = (string?)(await client.ReadAsync<JsonObject>(posted, ct))["task_id"] ?? throw new CliException(1, "the master answered without a task id");

        var deadline = DateTime.UtcNow + wait;
        var printed = 0;
        var launched = false;
        try
        {
            while (true)
            {
                var view = await GetView(client, taskId, ct);
                foreach (var status in view.Statuses.Skip(printed))
                {
                    var agent = status.AgentId ?? view.AgentId;
                    var message = string.IsNullOrEmpty(status.Message) ? "" : ": " + status.Message;
                    await Console.Error.WriteLineAsync($"ck: task {taskId} {status.State}{(agent is { } a ? " on agent " + a : "")}{message}");
                    launched |= status.State == TaskState.TASK_RUNNING || status.State.IsTerminal();
                }
                printed = view.Statuses.Count;
                if (view.State is { } state && state.IsTerminal())
                {
                    if (launched && view.FrameworkId is { } fw && view.Statuses.Any(s => s.State == TaskState.TASK_RUNNING))
                    {
                        await CopyFile(client, fw.Value, taskId, "stdout", Console.OpenStandardOutput(), ct);
                        await CopyFile(client, fw.Value, taskId, "stderr", Console.OpenStandardError(), ct);
                    }
                    return ExitCode(view);
                }
                if (!launched && DateTime.UtcNow >= deadline)
                {
                    await Kill(client, taskId);
                    throw new CliException(NeverLaunched, $"no offer fitting {Fit(request)} within {Format(wait)}");
                }
                await Task.Delay(PollInterval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C: do not leave the command running (or queued) behind the user's back.
            await Kill(client, taskId);
            await Console.Error.WriteLineAsync($"ck: interrupted; asked to kill task {taskId}");
            return 130;
        }
    }

    private static async Task<CommandView> GetView(MasterClient client, string taskId, CancellationToken ct)
    {
        var response = await client.GetAsync($"{HttpApi.CommandsPath}/{Uri.EscapeDataString(taskId)}", ct);
        if (!response.IsSuccessStatusCode) throw new CliException(1, $"task {taskId}: {await MasterClient.ErrorMessage(response, ct)}");
        return await client.ReadAsync<CommandView>(response, ct);
    }

    private static async Task Kill(MasterClient client, string taskId)
    {
        try { await client.PostAsync<object?>($"{HttpApi.CommandsPath}/{Uri.EscapeDataString(taskId)}/kill", null, CancellationToken.None); }
        catch (CliException) { } // best effort: the master may be gone
    }

    /// <summary>Pages through /files/read until the file's size is reached; a missing file is reported, not fatal.</summary>
    private static async Task CopyFile(MasterClient client, string frameworkId, string taskId, string path, Stream output, CancellationToken ct)
    {
        long offset = 0;
        while (true)
        {
            var url = $"/files/read?framework_id={Uri.EscapeDataString(frameworkId)}&task_id={Uri.EscapeDataString(taskId)}&path={path}&offset={offset}&length={ChunkBytes}";
            var response = await client.GetAsync(url, ct);
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"ck: cannot read {path} of task {taskId}: {await MasterClient.ErrorMessage(response, ct)}");
                return;
            }
            // The body is Mesos' byte-exact JSON (raw bytes, not necessarily UTF-8): FilesRead decodes it.
            var (bytes, _, size) = FilesRead.Decode(await response.Content.ReadAsByteArrayAsync(ct));
            await output.WriteAsync(bytes, ct);
            offset += bytes.Length;
            if (bytes.Length == 0 || offset >= (size ?? 0)) break;
        }
        await output.FlushAsync(ct);
    }

    /// <summary>The task's exit code; 0 for TASK_FINISHED without one; 1 for any other end without one.</summary>
    internal static int ExitCode(CommandView view)
    {
        var last = view.Statuses.LastOrDefault(s => s.State.IsTerminal());
        if (last?.ExitCode is { } code) return code;
        return view.State == TaskState.TASK_FINISHED ? 0 : 1;
    }

    /// <summary>One argument is a shell line as typed; several are quoted so the shell sees exactly those words.</summary>
    internal static string ShellCommand(IReadOnlyList<string> words) =>
        words.Count == 1 ? words[0] : string.Join(" ", words.Select(Quote));

    private static string Quote(string word) =>
        word.Length > 0 && word.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    internal static TimeSpan ParseTimeout(string text)
    {
        var t = text.Trim();
        var (number, unit) = t.EndsWith("ms") ? (t[..^2], 0.001) : t.EndsWith('s') ? (t[..^1], 1.0) : t.EndsWith('m') ? (t[..^1], 60.0) : t.EndsWith('h') ? (t[..^1], 3600.0) : (t, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || double.IsInfinity(value))
            throw new CliException(BadArguments, $"--timeout must be a positive duration like 60s, 2m or 60, got '{text}'");
        return TimeSpan.FromSeconds(value * unit);
    }

    private static double Positive(string option, string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && !double.IsInfinity(v)
            ? v : throw new CliException(BadArguments, $"{option} must be a positive number, got '{text}'");

    private static double NonNegative(string option, string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && !double.IsInfinity(v)
            ? v : throw new CliException(BadArguments, $"{option} must be a number >= 0, got '{text}'");

    private static IReadOnlyDictionary<string, string>? Environment(string[] pairs)
    {
        if (pairs.Length == 0) return null;
        var d = new Dictionary<string, string>();
        foreach (var p in pairs)
        {
            var eq = p.IndexOf('=');
            if (eq <= 0) throw new CliException(BadArguments, $"--env must be K=V, got '{p}'");
            d[p[..eq]] = p[(eq + 1)..];
        }
        return d;
    }

    private static string Fit(CommandRequest r) =>
        string.Create(CultureInfo.InvariantCulture, $"cpus:{r.Cpus} mem:{r.MemMb}") + (r.DiskMb > 0 ? string.Create(CultureInfo.InvariantCulture, $" disk:{r.DiskMb}") : "");

    private static string Format(TimeSpan t) => t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.###}s".Replace(',', '.') : $"{t.TotalMilliseconds:0}ms";
}
