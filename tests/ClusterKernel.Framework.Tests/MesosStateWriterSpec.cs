using System.Text;
using System.Text.Json;
using ClusterKernel.Api;
using Xunit;

namespace ClusterKernel.Framework.Tests;

/// <summary>/state is streamed by <see cref="MesosStateWriter"/>; it must be byte for byte what <see cref="MesosStateJson.Map"/> gives.</summary>
public sealed class MesosStateWriterSpec
{
    [Theory]
    [InlineData("master@127.0.0.1:5050")]
    [InlineData(null)]
    public async Task Streams_the_same_json_as_the_mapped_tree(string? leader)
    {
        var state = MesosStateJsonSpec.SampleState();
        using var body = new MemoryStream();
        await MesosStateWriter.WriteAsync(body, state, leader);
        var expected = JsonSerializer.Serialize(MesosStateJson.Map(state, leader));
        Assert.Equal(expected, Encoding.UTF8.GetString(body.ToArray()));
    }
}
