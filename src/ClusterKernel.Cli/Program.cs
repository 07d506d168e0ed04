using System.CommandLine;
using ClusterKernel.Cli.Commands;

// Throwaway wiring for the client commands only; the lead's Program.cs (with master/agent/up) replaces it.
var root = new RootCommand("ClusterKernel: a Mesos-like cluster resource manager") { RunCommand.Create(), StateCommand.Create() };
var parse = root.Parse(args);
// Usage errors are one line and exit 2, like every other argument error of ck.
if (parse.Errors.Count > 0)
{
    Console.Error.WriteLine("ck: " + parse.Errors[0].Message);
    return 2;
}
return await parse.InvokeAsync();
