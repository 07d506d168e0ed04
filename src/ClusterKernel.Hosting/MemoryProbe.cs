using System.Diagnostics;
using System.Runtime;
using Akka.Actor;
using ClusterKernel.Protocol;
using DotNetty.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ClusterKernel.Hosting;

/// <summary>
/// <c>GET /debug/memory</c> on a master's HTTP API, only when the process runs with <c>CK_DEBUG_MEMORY=1</c> (<c>ck bench
/// --memory-split</c> sets it on the master it starts): a full blocking, compacting collection and then the managed heap, the
/// part of it that is Akka remoting's pooled DotNetty buffers (constant chunks, kept after traffic peaks), and the process's
/// CPU time. Off by default: a forced full GC on request is a benchmark tool, not an operator call.
/// </summary>
public static class MemoryProbe
{
    public const string EnableVariable = "CK_DEBUG_MEMORY";

    public static bool Enabled => Environment.GetEnvironmentVariable(EnableVariable) == "1";

    public static void Map(WebApplication app, IActorRef master)
    {
        app.MapGet("/debug/memory", async () =>
        {
            // Through the master's mailbox first, so that the messages queued before this call have been handled.
            var metrics = await master.Ask<MetricsSnapshot>(GetMetrics.Instance, TimeSpan.FromSeconds(120));
            return Results.Json(Measure(metrics.Values));
        });
    }

    public static MemoryReading Measure(IReadOnlyDictionary<string, double>? metrics = null)
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heap = GC.GetTotalMemory(true);
        var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var (chunks, chunkBytes, usedBytes) = Pool();
        var p = Process.GetCurrentProcess();
        return new MemoryReading(heap, info.HeapSizeBytes, info.FragmentedBytes, info.TotalCommittedBytes,
            info.GenerationInfo.Length > 3 ? info.GenerationInfo[3].SizeAfterBytes : 0,
            chunks, chunkBytes, usedBytes, p.WorkingSet64, p.TotalProcessorTime.TotalSeconds,
            metrics?.GetValueOrDefault("master/slaves_connected") ?? 0, metrics?.GetValueOrDefault("master/tasks_running") ?? 0);
    }

    /// <summary>Akka's DotNetty transport allocates from <see cref="PooledByteBufferAllocator.Default"/>: its heap arenas' chunks.</summary>
    private static (int Chunks, long Bytes, long Used) Pool()
    {
        int chunks = 0;
        long bytes = 0, used = 0;
        foreach (var arena in PooledByteBufferAllocator.Default.Metric.HeapArenas())
            foreach (var list in arena.ChunkLists)
                foreach (var chunk in list)
                {
                    chunks++;
                    bytes += chunk.ChunkSize;
                    used += chunk.ChunkSize - chunk.FreeBytes;
                }
        return (chunks, bytes, used);
    }
}

/// <summary>What <c>GET /debug/memory</c> answers (bytes; CPU in seconds; the master's connected agents and running tasks).</summary>
public sealed record MemoryReading(
    long HeapBytes, long GcHeapSizeBytes, long FragmentedBytes, long CommittedBytes, long LohBytes,
    int PoolChunks, long PoolChunkBytes, long PoolUsedBytes, long WorkingSetBytes, double CpuSeconds,
    double AgentsConnected, double TasksRunning);
