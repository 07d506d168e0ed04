namespace ClusterKernel;

/// <summary>
/// Random (version 4) UUIDs from the process's shared pseudo-random generator, for ids that must be unique but need not be
/// secret (status-update uuids, container ids; Mesos' <c>UUID::random()</c> is not cryptographic either).
/// <see cref="Guid.NewGuid"/> reads the OS's secure random source — a system call per id on Linux, ~2 % of a scale run's
/// CPU at three ids per task.
/// </summary>
public static class RandomUuid
{
    public static Guid Next()
    {
        Span<byte> b = stackalloc byte[16];
        Random.Shared.NextBytes(b);
        b[7] = (byte)((b[7] & 0x0F) | 0x40); // version 4 (high nibble of the little-endian third group)
        b[8] = (byte)((b[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(b);
    }
}
