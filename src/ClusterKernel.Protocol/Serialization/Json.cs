using System.Text.Json;
using System.Text.Json.Serialization;
using ClusterKernel.Resources;

namespace ClusterKernel.Protocol.Serialization;

/// <summary>The JSON options every ClusterKernel message uses (cluster wire, journal, HTTP snapshots).</summary>
public static class Json
{
    public static JsonSerializerOptions CreateOptions(params JsonConverter[] extra)
    {
        var o = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        o.Converters.Add(new JsonStringEnumConverter());
        o.Converters.Add(new ResourcesConverter());
        foreach (var c in extra) o.Converters.Add(c);
        return o;
    }

    /// <summary>Resources travel as a list of Resource records; the class itself has no public constructor.</summary>
    private sealed class ResourcesConverter : JsonConverter<Resources.Resources>
    {
        public override Resources.Resources Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Resources.Resources.From(JsonSerializer.Deserialize<List<Resource>>(ref reader, options) ?? new List<Resource>());

        public override void Write(Utf8JsonWriter writer, Resources.Resources value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.ToList(), options);
    }
}
