using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace ClusterKernel.Protocol.Serialization;

/// <summary>
/// Serialises every <see cref="IClusterMessage"/> (and persisted registry events) as System.Text.Json, with the type's
/// short name as a stable manifest. Chosen over Akka's default Newtonsoft serializer because that one writes CLR type
/// names into every payload and is several times slower; JSON keeps journals readable.
/// Manifests are type names: never rename a type that is shipped.
/// </summary>
public sealed class ClusterMessageSerializer : SerializerWithStringManifest
{
    public const int Id = 4711;
    private static readonly ConcurrentDictionary<string, Type> Types = new();
    private readonly JsonSerializerOptions _options;

    public ClusterMessageSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = Json.CreateOptions(new ActorRefConverter(system));
    }

    public override int Identifier => Id;

    public override string Manifest(object o) => o.GetType().Name;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        JsonSerializer.Deserialize(bytes, Resolve(manifest), _options)
        ?? throw new SerializationException($"Null payload for manifest '{manifest}'");

    private static Type Resolve(string manifest)
    {
        if (Types.TryGetValue(manifest, out var t)) return t;
        foreach (var asm in AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name?.StartsWith("ClusterKernel", StringComparison.Ordinal) == true))
        {
            Type[] types;
            try { types = asm.GetTypes(); } catch (System.Reflection.ReflectionTypeLoadException e) { types = e.Types.OfType<Type>().ToArray(); }
            foreach (var type in types.Where(x => typeof(IClusterMessage).IsAssignableFrom(x) && !x.IsAbstract && !x.IsInterface))
                Types.TryAdd(type.Name, type);
        }
        return Types.TryGetValue(manifest, out t) ? t : throw new SerializationException($"Unknown message manifest '{manifest}'");
    }

    /// <summary>Writes an actor reference as its full path (with address) and resolves it on the receiving node.</summary>
    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

        public override IActorRef? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var path = reader.GetString();
            return string.IsNullOrEmpty(path) ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
        }

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}

public sealed class SerializationException(string message) : Exception(message);
