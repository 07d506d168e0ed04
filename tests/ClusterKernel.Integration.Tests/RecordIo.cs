using System.Text;

namespace ClusterKernel.Integration.Tests;

/// <summary>Reads the records of a Mesos RecordIO stream ("&lt;decimal length&gt;\n&lt;that many bytes&gt;"), as both SUBSCRIBE streams send them.</summary>
internal sealed class RecordIo(Stream stream)
{
    private readonly byte[] _one = new byte[1];

    /// <summary>The next record, or null when the stream ended between records.</summary>
    public async Task<byte[]?> NextOrEnd(CancellationToken ct)
    {
        var length = new StringBuilder();
        while (true)
        {
            if (await stream.ReadAsync(_one, ct) == 0) return null;
            if (_one[0] == (byte)'\n') break;
            length.Append((char)_one[0]);
        }
        var record = new byte[int.Parse(length.ToString())];
        await stream.ReadExactlyAsync(record, ct);
        return record;
    }

    public async Task<byte[]> Next(CancellationToken ct) => await NextOrEnd(ct) ?? throw new EndOfStreamException("stream ended");
}
