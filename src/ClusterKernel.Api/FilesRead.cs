using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Protocol;

namespace ClusterKernel.Api;

/// <summary>
/// Mesos' <c>/files/read</c> answer byte for byte, and the raw bytes of a sandbox file behind it and READ_FILE. Mesos puts the
/// file's bytes into a JSON string (apache/mesos src/files/files.cpp: <c>object.values["data"] = ...</c>) and stout's writer
/// (3rdparty/stout/include/stout/jsonify.hpp, <c>StringWriter::append</c>) escapes <c>"</c> <c>\</c> <c>/</c> \b \f \n \r \t,
/// writes the other bytes below 0x20 and 0x7f as \u00xx, and every other byte as it is: bytes of 0x80 and up go out raw, so a
/// non-UTF-8 file comes back exact (and the body is then not UTF-8). Keys in stout's order (a std::map): data, offset; then
/// "size", the file's size — a ClusterKernel extension that `ck run` pages with.
/// </summary>
public static class FilesRead
{
    /// <summary>At most this much per read (1 MiB; Mesos caps /files/read at 16 memory pages).</summary>
    public const long MaxLength = 1 << 20;

    public static byte[] Encode(ReadOnlySpan<byte> data, long offset, long size)
    {
        var body = new MemoryStream(data.Length + 64);
        Ascii(body, "{\"data\":\"");
        foreach (var b in data)
        {
            switch (b)
            {
                case (byte)'"': Ascii(body, "\\\""); break;
                case (byte)'\\': Ascii(body, "\\\\"); break;
                case (byte)'/': Ascii(body, "\\/"); break;
                case (byte)'\b': Ascii(body, "\\b"); break;
                case (byte)'\f': Ascii(body, "\\f"); break;
                case (byte)'\n': Ascii(body, "\\n"); break;
                case (byte)'\r': Ascii(body, "\\r"); break;
                case (byte)'\t': Ascii(body, "\\t"); break;
                default:
                    if (b < 0x20 || b == 0x7f) Ascii(body, "\\u" + b.ToString("x4", CultureInfo.InvariantCulture));
                    else body.WriteByte(b);
                    break;
            }
        }
        Ascii(body, FormattableString.Invariant($"\",\"offset\":{offset},\"size\":{size}}}"));
        return body.ToArray();

        static void Ascii(Stream s, string text) => s.Write(Encoding.ASCII.GetBytes(text));
    }

    /// <summary>Reads such a body back: as Latin-1 every byte is one char, so raw bytes and \u00xx escapes both map back to the
    /// byte they stand for (a \u escape above 0xff, which stout never writes, would not).</summary>
    public static (byte[] Data, long Offset, long? Size) Decode(byte[] body)
    {
        var o = JsonNode.Parse(Encoding.Latin1.GetString(body))!.AsObject();
        return (Encoding.Latin1.GetBytes((string?)o["data"] ?? ""), (long?)o["offset"] ?? 0, (long?)o["size"]);
    }

    /// <summary>
    /// The raw bytes of a sandbox file from <paramref name="offset"/>, at most <paramref name="length"/> (0: none, only the size),
    /// in <see cref="DownloadSandboxFile"/> chunks (one remoting frame each) — not ReadSandboxFile, whose data is UTF-8 text.
    /// </summary>
    public static async Task<(byte[] Data, long Size, string? Error)> ReadAsync(Func<DownloadSandboxFile, Task<SandboxFileChunk>> ask,
        FrameworkId fw, TaskId task, string file, long offset, long length)
    {
        var bytes = new MemoryStream();
        long size;
        while (true)
        {
            var chunk = await ask(new DownloadSandboxFile(fw, task, file, offset + bytes.Length));
            if (chunk.Error is { } error) return (Array.Empty<byte>(), 0, error);
            size = chunk.Size;
            bytes.Write(chunk.Data, 0, (int)Math.Min(chunk.Data.Length, length - bytes.Length));
            if (chunk.Data.Length == 0 || bytes.Length >= length) break;
        }
        return (bytes.ToArray(), size, null);
    }
}
