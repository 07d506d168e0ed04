using System.Globalization;
using System.Text;

namespace ClusterKernel.Api;

/// <summary>Mesos' RecordIO framing of streamed events: each record is its length in bytes, in decimal ASCII, a newline, then the record.</summary>
internal static class RecordIo
{
    public static byte[] Header(long length) => Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture) + "\n");
}
