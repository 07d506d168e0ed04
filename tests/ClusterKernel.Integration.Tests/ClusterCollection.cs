using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>Cluster tests share one collection: they run one at a time (2 cores, real ports and processes).</summary>
[CollectionDefinition("cluster", DisableParallelization = true)]
public sealed class ClusterCollection;
