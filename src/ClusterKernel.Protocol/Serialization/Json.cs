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
        o.Converters.Add(new StringMapConverter());
        foreach (var c in extra) o.Converters.Add(c);
        return o;
    }

    /// <summary>Labels, attributes and environments: an empty one is read as one shared empty instance (most tasks have none,
    /// and at 100,000 tasks a fresh empty dictionary per field and hop adds up). The wire form is the plain JSON object.</summary>
    private sealed class StringMapConverter : JsonConverter<IReadOnlyDictionary<string, string>>
    {
        private static readonly IReadOnlyDictionary<string, string> Empty = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

        public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return null;
            if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("Expected a JSON object of strings");
            Dictionary<string, string>? map = null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var key = reader.GetString()!;
                reader.Read();
                (map ??= new Dictionary<string, string>())[key] = reader.GetString()!;
            }
            return map ?? Empty;
        }

        public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (k, v) in value) writer.WriteString(k, v);
            writer.WriteEndObject();
        }
    }

    /// <summary>Resources travel as a list of Resource records; the class itself has no public constructor.</summary>
    private sealed class ResourcesConverter : JsonConverter<Resources.Resources>
    {
        public override Resources.Resources Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            // Fast path for the plain shapes (scalars, ranges, sets; no reservation stack or disk info), read by hand on a copy of
            // the reader: the general path cost ~80 % of reading a 10,000-agent registry snapshot when a new leader recovers.
            // Anything else starts again from the original reader position with the serializer.
            var copy = reader;
            if (ResourceJson.TryRead(ref copy) is { } fast) { reader = copy; return fast; }
            return Resources.Resources.From((JsonSerializer.Deserialize<List<Resource>>(ref reader, options) ?? new List<Resource>()).ConvertAll(Compact));
        }

        /// <summary>Names and roles are a handful of strings, and most resources have no ranges or set: share them instead of
        /// keeping a copy per deserialized resource (every task's resources, on every node it crosses).</summary>
        private static Resource Compact(Resource r) => r with
        {
            Name = r.Name is null ? r.Name! : string.Intern(r.Name), Role = r.Role is null ? r.Role! : string.Intern(r.Role),
            Ranges = r.Ranges is { Count: 0 } ? Array.Empty<ValueRange>() : r.Ranges, Set = r.Set is { Count: 0 } ? Array.Empty<string>() : r.Set,
        };

        public override void Write(Utf8JsonWriter writer, Resources.Resources value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.ToList(), options);
    }
}
