using System.Buffers.Binary;
using System.Text;

namespace ClusterKernel.Protocol.Serialization;

/// <summary>
/// Appends the compact binary form used by <see cref="WireSerializer"/>: LEB128 varints, zigzag for signed numbers, raw
/// little-endian doubles and Guids, and strings through a per-message table (a repeated string, e.g. the framework id of 80
/// status updates or a resource name, is written once and then referenced by its index). One instance per thread, reused.
/// </summary>
internal sealed class WireWriter
{
    [ThreadStatic] private static WireWriter? _cached;
    private const int KeepBelow = 1 << 20;

    private byte[] _buffer = new byte[4096];
    private int _pos;
    private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);

    public static WireWriter Rent()
    {
        var w = _cached ?? new WireWriter();
        _cached = null; // a nested ToBinary on this thread (none today) gets its own writer
        return w;
    }

    public byte[] ToArrayAndReturn()
    {
        var bytes = _buffer.AsSpan(0, _pos).ToArray();
        _pos = 0;
        _strings.Clear();
        if (_buffer.Length > KeepBelow) _buffer = new byte[4096]; // do not pin one huge offer batch's buffer per thread
        _cached = this;
        return bytes;
    }

    private Span<byte> Grow(int n)
    {
        if (_pos + n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _pos + n));
        var span = _buffer.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    public void Byte(byte b) => Grow(1)[0] = b;
    public void Bool(bool b) => Byte(b ? (byte)1 : (byte)0);

    public void UInt(ulong v)
    {
        if (_pos + 10 > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _pos + 10));
        while (v >= 0x80) { _buffer[_pos++] = (byte)(v | 0x80); v >>= 7; }
        _buffer[_pos++] = (byte)v;
    }

    public void Int(long v) => UInt((ulong)((v << 1) ^ (v >> 63)));
    public void Double(double d) => BinaryPrimitives.WriteDoubleLittleEndian(Grow(8), d);
    public void Guid(Guid g) => g.TryWriteBytes(Grow(16));

    /// <summary>0 = null, 1 = a new string (length, UTF-8 bytes) that joins the table, k ≥ 2 = table entry k − 2.</summary>
    public void String(string? s)
    {
        if (s is null) { UInt(0); return; }
        if (_strings.TryGetValue(s, out var index)) { UInt((ulong)index + 2); return; }
        _strings.Add(s, _strings.Count);
        UInt(1);
        var n = Encoding.UTF8.GetByteCount(s);
        UInt((ulong)n);
        Encoding.UTF8.GetBytes(s, Grow(n));
    }

    /// <summary>Count + 1, or 0 for a null list.</summary>
    public void Count(int? count) => UInt(count is { } c ? (ulong)c + 1 : 0);
}

/// <summary>Reads what <see cref="WireWriter"/> wrote. Strings referenced again come back as the same instance.</summary>
internal sealed class WireReader(byte[] bytes)
{
    private int _pos;
    private readonly List<string> _strings = new();

    public bool AtEnd => _pos == bytes.Length;

    public byte Byte() => _pos < bytes.Length ? bytes[_pos++] : throw Truncated();
    public bool Bool() => Byte() != 0;

    public ulong UInt()
    {
        ulong v = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = Byte();
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw new SerializationException("Malformed varint");
    }

    public long Int() { var u = UInt(); return (long)(u >> 1) ^ -(long)(u & 1); }
    public int Int32() => checked((int)Int());

    public double Double() { var d = BinaryPrimitives.ReadDoubleLittleEndian(Take(8)); return d; }
    public Guid Guid() => new(Take(16));

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos + n > bytes.Length) throw Truncated();
        var span = bytes.AsSpan(_pos, n);
        _pos += n;
        return span;
    }

    /// <param name="intern">For the few names every resource repeats (cpus, mem, roles): one instance per process, as the JSON path does.</param>
    public string? String(bool intern = false)
    {
        var tag = UInt();
        if (tag == 0) return null;
        if (tag == 1)
        {
            var n = checked((int)UInt());
            var s = Encoding.UTF8.GetString(Take(n));
            if (intern) s = string.Intern(s);
            _strings.Add(s);
            return s;
        }
        var i = tag - 2;
        return i < (ulong)_strings.Count ? _strings[(int)i] : throw new SerializationException("Bad string reference");
    }

    public string NonNull(bool intern = false) => String(intern) ?? throw new SerializationException("Unexpected null string");

    /// <summary>Null for a null list, else its length (bounded by the bytes left, so a corrupt count cannot allocate gigabytes).</summary>
    public int? Count()
    {
        var c = UInt();
        if (c == 0) return null;
        return c - 1 <= (ulong)(bytes.Length - _pos) ? (int)(c - 1) : throw new SerializationException("Bad count");
    }

    private static SerializationException Truncated() => new("Truncated message");
}
