using System.Diagnostics;
using Docker.DotNet.Models;

namespace ClusterKernel.Agent.Containerizers;

/// <summary>A command to run in a task's container (a COMMAND health check), with the task's environment.</summary>
/// <param name="Shell">true: <c>/bin/sh -c Command</c>; false: exec Command with Arguments (mesos.proto CommandInfo.shell).</param>
public sealed record ContainerExec(string Command, IReadOnlyList<string> Arguments, bool Shell,
    IReadOnlyDictionary<string, string> Environment, string SandboxDirectory);

public sealed partial class ProcessContainerizer
{
    /// <summary>Process tasks share the host: the command runs as a child of the agent, in the sandbox, with the task's environment.</summary>
    public async Task<int> ExecAsync(string containerId, ContainerExec exec, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            FileName = exec.Shell ? "/bin/sh" : exec.Command, WorkingDirectory = Path.GetFullPath(exec.SandboxDirectory), UseShellExecute = false,
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (exec.Shell) { psi.ArgumentList.Add("-c"); psi.ArgumentList.Add(exec.Command); }
        else foreach (var a in exec.Arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in exec.Environment) psi.Environment[k] = v;
        psi.Environment["MESOS_SANDBOX"] = psi.WorkingDirectory;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("Starting the health check command returned nothing");
        process.StandardInput.Close();
        // Output is not kept (Mesos sends it to the executor's stderr); it is drained so the command cannot block on a full pipe.
        var drain = Task.WhenAll(process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None),
            process.StandardError.BaseStream.CopyToAsync(Stream.Null, CancellationToken.None));
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* already gone */ }
            throw;
        }
        await drain.ConfigureAwait(false);
        return process.ExitCode;
    }
}

public sealed partial class DockerContainerizer
{
    /// <summary><c>docker exec</c> in the task's container (Mesos' docker executor runs command checks in the task's namespaces too).</summary>
    public async Task<int> ExecAsync(string containerId, ContainerExec exec, CancellationToken ct)
    {
        var cmd = exec.Shell ? new List<string> { "/bin/sh", "-c", exec.Command } : new List<string> { exec.Command }.Concat(exec.Arguments).ToList();
        var env = exec.Environment.Select(kv => $"{kv.Key}={kv.Value}").Append($"MESOS_SANDBOX={SandboxMountPoint}").ToList();
        var created = await Cancellable(_client.Exec.ExecCreateContainerAsync(DockerName(containerId), new ContainerExecCreateParameters
        {
            Cmd = cmd, Env = env, WorkingDir = SandboxMountPoint, AttachStdout = true, AttachStderr = true,
        }, ct), ct).ConfigureAwait(false);
        using (var stream = await Cancellable(_client.Exec.StartAndAttachContainerExecAsync(created.ID, false, ct), ct).ConfigureAwait(false))
            await Cancellable(stream.ReadOutputToEndAsync(ct), ct).ConfigureAwait(false);
        var inspect = await Cancellable(_client.Exec.InspectContainerExecAsync(created.ID, ct), ct).ConfigureAwait(false);
        return (int)inspect.ExitCode;
    }
}

public sealed partial class SimulatedContainerizer
{
    /// <summary>Nothing runs here, so every command "succeeds": simulated tasks are always healthy.</summary>
    public Task<int> ExecAsync(string containerId, ContainerExec exec, CancellationToken ct) => Task.FromResult(0);
}
