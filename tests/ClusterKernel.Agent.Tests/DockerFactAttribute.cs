using ClusterKernel.Agent.Containerizers;
using Docker.DotNet;
using Xunit;

namespace ClusterKernel.Agent.Tests;

/// <summary>
/// A fact that needs a Docker engine (DOCKER_HOST) and the test image (CK_TEST_IMAGE, default
/// clusterkernel/busybox:test; tests/run.sh provides both). Without them the test is skipped, unless
/// CK_REQUIRE_DOCKER=1 (CI), in which case it runs and fails.
/// </summary>
public sealed class DockerFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public DockerFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CK_REQUIRE_DOCKER") == "1") return;
        if (Unavailable.Value is { } reason) Skip = reason + " (set CK_REQUIRE_DOCKER=1 to fail instead of skipping; tests/run.sh provides an engine)";
    }

    public static string TestImage =>
        Environment.GetEnvironmentVariable("CK_TEST_IMAGE") is { Length: > 0 } image ? image : "clusterkernel/busybox:test";

    private static string? Probe()
    {
        var endpoint = DockerContainerizer.ResolveEndpoint();
        if (!DockerContainerizer.IsAvailableAsync(endpoint, TimeSpan.FromSeconds(3)).GetAwaiter().GetResult())
            return $"No Docker engine answers at {endpoint}";
        try
        {
            using var client = new DockerClientConfiguration(new Uri(endpoint)).CreateClient();
            client.Images.InspectImageAsync(TestImage).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
            return null;
        }
        catch (Exception e)
        {
            return $"Test image {TestImage} is not available at {endpoint}: {e.GetType().Name}";
        }
    }
}
