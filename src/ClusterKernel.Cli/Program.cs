using System.CommandLine;
using ClusterKernel.Cli.Commands;

// Thread-pool starvation on 2 cores stalls Akka's remoting and the HTTP server; start with enough threads.
ThreadPool.GetMinThreads(out var worker, out var io);
ThreadPool.SetMinThreads(Math.Max(worker, 32), Math.Max(io, 32));

var root = new RootCommand("ck — ClusterKernel, a cluster resource manager in the line of Apache Mesos.")
{
    ServerCommands.Master(), ServerCommands.Agent(), ServerCommands.Up(), RunCommand.Create(), StateCommand.Create(),
    BenchCommands.Agents(),
    BenchCommands.Bench(),
    ChaosCommand.Create(),
};
var parse = root.Parse(args);
// Usage errors are one line and exit 2, like every other argument error of ck.
if (parse.Errors.Count > 0)
{
    Console.Error.WriteLine("ck: " + parse.Errors[0].Message);
    return 2;
}
// System.CommandLine 2.0.0 ships with ProcessTerminationTimeout = null (dotnet/command-line-api#2739): Ctrl+C and SIGTERM
// would never cancel the action's token, so `ck up` could not leave gracefully (ASP.NET's console lifetime swallows both
// signals) and `ck run` could not kill its task. The timeout bounds how long a graceful stop may take before exit 130/143.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
