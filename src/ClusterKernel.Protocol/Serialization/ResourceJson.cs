using System.Text.Json;
using ClusterKernel.Resources;
using ValueType = ClusterKernel.Resources.ValueType;

namespace ClusterKernel.Protocol.Serialization;

/// <summary>
/// Hand-written reader for the JSON form of a resource list in its plain shapes (what agents, tasks and offers carry): name, type,
/// scalar, ranges, set, role, revocable, an empty reservation stack and no disk info. Returns null — the caller then uses the
/// serializer from the original position — for anything else (reservations, disk, null values, numeric enums, unknown fields),
/// so the accepted documents and their meaning are exactly the serializer's. Names and roles come back as shared strings.
/// </summary>
public static class ResourceJson
{
    public static Resources.Resources? TryRead(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return null;
        var items = new List<Resource>(4);
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType != JsonTokenType.StartObject || TryReadOne(ref reader) is not { } r) return null;
            items.Add(r);
        }
        return Resources.Resources.From(items);
    }

    private static Resource? TryReadOne(ref Utf8JsonReader reader)
    {
        string? name = null;
        var role = Resource.Unreserved;
        var type = ValueType.Scalar;
        double scalar = 0;
        var revocable = false;
        IReadOnlyList<ValueRange> ranges = Array.Empty<ValueRange>();
        IReadOnlyList<string> set = Array.Empty<string>();
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndObject) break;
            if (reader.TokenType != JsonTokenType.PropertyName) return null;
            if (reader.ValueTextEquals("name"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String) return null;
                name = Shared(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String) return null;
                if (reader.ValueTextEquals("Scalar"u8)) type = ValueType.Scalar;
                else if (reader.ValueTextEquals("Ranges"u8)) type = ValueType.Ranges;
                else if (reader.ValueTextEquals("Set"u8)) type = ValueType.Set;
                else return null;
            }
            else if (reader.ValueTextEquals("scalar"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number) return null;
                scalar = reader.GetDouble();
            }
            else if (reader.ValueTextEquals("role"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String) return null;
                role = Shared(ref reader);
            }
            else if (reader.ValueTextEquals("revocable"u8))
            {
                if (!reader.Read()) return null;
                if (reader.TokenType == JsonTokenType.True) revocable = true;
                else if (reader.TokenType == JsonTokenType.False) revocable = false;
                else return null;
            }
            else if (reader.ValueTextEquals("ranges"u8))
            {
                if (!reader.Read() || TryReadRanges(ref reader) is not { } rs) return null;
                ranges = rs;
            }
            else if (reader.ValueTextEquals("set"u8))
            {
                if (!reader.Read() || TryReadSet(ref reader) is not { } ss) return null;
                set = ss;
            }
            else if (reader.ValueTextEquals("reservations"u8))
            {
                // Only the empty stack: a real one goes through the serializer.
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray || !reader.Read() || reader.TokenType != JsonTokenType.EndArray) return null;
            }
            else if (reader.ValueTextEquals("disk"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.Null) return null;
            }
            else if (reader.ValueTextEquals("is_reserved"u8) || reader.ValueTextEquals("is_empty"u8))
            {
                // Computed, written but never read back (the serializer skips them too).
                if (!reader.Read() || reader.TokenType is not (JsonTokenType.True or JsonTokenType.False)) return null;
            }
            else return null;
        }
        if (name is null) return null;
        return new Resource { Name = name, Type = type, Scalar = scalar, Ranges = ranges, Set = set, Role = role, Revocable = revocable };
    }

    private static IReadOnlyList<ValueRange>? TryReadRanges(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return null;
        List<ValueRange>? list = null;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType != JsonTokenType.StartObject) return null;
            long begin = 0, end = 0;
            while (true)
            {
                if (!reader.Read()) return null;
                if (reader.TokenType == JsonTokenType.EndObject) break;
                if (reader.TokenType != JsonTokenType.PropertyName) return null;
                var isBegin = reader.ValueTextEquals("begin"u8);
                // "count" is computed (End - Begin + 1): written, never read back.
                var isCount = !isBegin && reader.ValueTextEquals("count"u8);
                if (!isBegin && !isCount && !reader.ValueTextEquals("end"u8)) return null;
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v)) return null;
                if (isBegin) begin = v; else if (!isCount) end = v;
            }
            (list ??= new List<ValueRange>()).Add(new ValueRange(begin, end));
        }
        return list is null ? Array.Empty<ValueRange>() : list;
    }

    private static IReadOnlyList<string>? TryReadSet(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray) return null;
        List<string>? list = null;
        while (true)
        {
            if (!reader.Read()) return null;
            if (reader.TokenType == JsonTokenType.EndArray) break;
            if (reader.TokenType != JsonTokenType.String) return null;
            (list ??= new List<string>()).Add(reader.GetString()!);
        }
        return list is null ? Array.Empty<string>() : list;
    }

    /// <summary>The usual names and roles without allocating; others interned (a handful of distinct strings per cluster).</summary>
    private static string Shared(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            if (reader.ValueTextEquals("*"u8)) return Resource.Unreserved;
            if (reader.ValueTextEquals("cpus"u8)) return "cpus";
            if (reader.ValueTextEquals("mem"u8)) return "mem";
            if (reader.ValueTextEquals("disk"u8)) return "disk";
            if (reader.ValueTextEquals("ports"u8)) return "ports";
            if (reader.ValueTextEquals("gpus"u8)) return "gpus";
        }
        return string.Intern(reader.GetString()!);
    }
}
