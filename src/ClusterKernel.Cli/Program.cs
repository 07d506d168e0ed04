using System.CommandLine;
using ClusterKernel.Cli.Commands;

// Thread-pool starvation on 2 cores stalls Akka's remoting and the HTTP server; start with enough threads.
ThreadPool.GetMinThreads(out var worker, out var io);
ThreadPool.SetMinThreads(Math.Max(worker, 32), Math.Max(io, 32));

var root = new RootCommand("ck — ClusterKernel, a cluster resource manager in the line of Apache Mesos.");
root.Subcommands.Add(ServerCommands.Master());
root.Subcommands.Add(ServerCommands.Agent());
root.Subcommands.Add(ServerCommands.Up());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(StateCommand.Create());
return await root.Parse(args).InvokeAsync();
