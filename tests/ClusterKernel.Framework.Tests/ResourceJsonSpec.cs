using System.Text.Json;
using ClusterKernel.Protocol.Serialization;
using ClusterKernel.Resources;
using Xunit;
using Res = ClusterKernel.Resources.Resources;

namespace ClusterKernel.Framework.Tests;

/// <summary>
/// The hand-written reader of resource lists (plain shapes) must read exactly what the serializer reads, and leave anything else
/// (reservation stacks, disk info, numeric enums) to it, with the reader positioned right after the list either way.
/// </summary>
public sealed class ResourceJsonSpec
{
    private sealed record Holder(Res R, int After);

    private static readonly JsonSerializerOptions Options = Json.CreateOptions();

    /// <summary>True when the fast path read the list by itself (a field added to Resource must be taught to it, or it falls back).</summary>
    private static bool ReadFast(Res resources)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(resources, Options);
        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        return ResourceJson.TryRead(ref reader) is { } r && r.Equals(resources) && reader.TokenType == JsonTokenType.EndArray && !reader.Read();
    }

    private static void RoundTrips(Res resources)
    {
        var json = JsonSerializer.Serialize(new Holder(resources, 7), Options);
        var back = JsonSerializer.Deserialize<Holder>(json, Options)!;
        Assert.Equal(7, back.After);
        Assert.Equal(resources.Count, back.R.Count);
        for (var i = 0; i < resources.Count; i++)
        {
            Assert.Equal(resources[i], back.R[i]);
            Assert.Equal(resources[i].Reservations, back.R[i].Reservations);
            Assert.Equal(resources[i].Disk, back.R[i].Disk);
            Assert.Equal(resources[i].ToString(), back.R[i].ToString());
        }
    }

    [Fact]
    public void Plain_scalars_ranges_sets_roles_and_revocable_read_back_equal()
    {
        RoundTrips(Res.Parse("cpus:4;mem:8192;disk:10000;ports:[31000-31999,33000-33010];gpus:1"));
        RoundTrips(Res.Parse("cpus(ads):2.5;mem(ads):100;cpus:1"));
        RoundTrips(Res.Of(Resource.OfSet("zones", new[] { "b", "a" }), Resource.OfScalar("cpus", 0.001) with { Revocable = true }));
        RoundTrips(Res.Of());
        Assert.True(ReadFast(Res.Parse("cpus:4;mem(ads):8192;ports:[31000-31999]")));
        Assert.True(ReadFast(Res.Of(Resource.OfSet("zones", new[] { "a" }) with { Revocable = true })));
    }

    [Fact]
    public void Reservation_stacks_and_disk_info_go_through_the_serializer_and_read_back_equal()
    {
        var volume = Resource.OfScalar("disk", 64, "ads") with
        {
            Reservations = new[] { new ReservationInfo(ReservationInfo.Dynamic, "ads", "ops") },
            Disk = new DiskInfo("vol-1", "ops", "data"),
        };
        RoundTrips(Res.Of(Resource.OfScalar("cpus", 1), volume, Resource.OfScalar("mem", 10)));
        Assert.False(ReadFast(Res.Of(volume)));
    }

    [Fact]
    public void Other_spellings_the_serializer_accepts_still_read()
    {
        // A numeric enum and a field order of its own: not the fast path's, read by the serializer from the start of the list.
        var back = JsonSerializer.Deserialize<Holder>("""{"r":[{"scalar":2,"type":0,"name":"cpus"},{"name":"mem","scalar":5}],"after":3}""", Options)!;
        Assert.Equal(Res.Parse("cpus:2;mem:5"), back.R);
        Assert.Equal(3, back.After);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Holder>("""{"r":[{"scalar":2}],"after":3}""", Options));
    }
}
