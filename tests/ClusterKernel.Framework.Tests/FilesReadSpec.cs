using System.Text;
using ClusterKernel.Api;
using Xunit;

namespace ClusterKernel.Framework.Tests;

/// <summary>/files/read's body as Mesos writes it (files.cpp + stout jsonify.hpp StringWriter): bytes of 0x80 and up raw,
/// controls and 0x7f as \u00xx (lowercase), / as \/ — and it reads back to the same bytes.</summary>
public sealed class FilesReadSpec
{
    public static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    /// <summary>The expected body, spelled out rule by rule from stout's StringWriter::append.</summary>
    public static byte[] MesosBody(byte[] data, long offset, long size)
    {
        var named = new Dictionary<byte, string> { [0x22] = "\\\"", [0x5c] = "\\\\", [0x2f] = "\\/", [0x08] = "\\b", [0x0c] = "\\f", [0x0a] = "\\n", [0x0d] = "\\r", [0x09] = "\\t" };
        var body = new List<byte>(Encoding.ASCII.GetBytes("{\"data\":\""));
        foreach (var b in data)
        {
            if (named.TryGetValue(b, out var e)) body.AddRange(Encoding.ASCII.GetBytes(e));
            else if (b < 0x20 || b == 0x7f) body.AddRange(Encoding.ASCII.GetBytes($"\\u{b:x4}"));
            else body.Add(b);
        }
        body.AddRange(Encoding.ASCII.GetBytes($"\",\"offset\":{offset},\"size\":{size}}}"));
        return body.ToArray();
    }

    [Fact]
    public void A_few_bytes_encode_exactly_as_stout_writes_them()
    {
        var body = FilesRead.Encode(new byte[] { 0x00, 0x22, 0x2f, 0x0a, 0x7f, 0x80, 0xff, 0x41 }, 3, 9);
        var expected = Encoding.ASCII.GetBytes("{\"data\":\"\\u0000\\\"\\/\\n\\u007f").Concat(new byte[] { 0x80, 0xff })
            .Concat(Encoding.ASCII.GetBytes("A\",\"offset\":3,\"size\":9}")).ToArray();
        Assert.Equal(expected, body);
    }

    [Fact]
    public void Every_byte_value_round_trips()
    {
        var body = FilesRead.Encode(AllBytes, 7, 300);
        Assert.Equal(MesosBody(AllBytes, 7, 300), body);
        var (data, offset, size) = FilesRead.Decode(body);
        Assert.Equal(AllBytes, data);
        Assert.Equal((7L, 300L), (offset, size!.Value));
    }

    [Fact]
    public void Utf8_text_stays_utf8()
    {
        var text = Encoding.UTF8.GetBytes("héllo ✓\n");
        var body = FilesRead.Encode(text, 0, text.Length);
        Assert.Equal("{\"data\":\"héllo ✓\\n\",\"offset\":0,\"size\":" + text.Length + "}", Encoding.UTF8.GetString(body));
        Assert.Equal(text, FilesRead.Decode(body).Data);
    }
}
