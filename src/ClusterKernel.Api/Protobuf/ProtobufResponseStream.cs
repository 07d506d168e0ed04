using System.Globalization;
using System.Text;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClusterKernel.Api.Protobuf;

/// <summary>
/// Stands in for the response body while a handler writes JSON, and writes protobuf to the real body. A synchronous answer is
/// buffered and converted whole when the handler is done; a stream (<paramref name="stream"/>) is RecordIO and each complete
/// record is converted as it arrives. Only a 2xx JSON answer is converted: errors pass through as the handler wrote them.
/// </summary>
internal sealed class ProtobufResponseStream(HttpResponse response, Stream inner, MessageDescriptor? descriptor, bool stream, ILogger log) : Stream
{
    private readonly MemoryStream _pending = new();
    private bool? _convert;

    /// <summary>Decided once, just before the first byte goes out (the status and content type are final by then).</summary>
    private bool Convert()
    {
        if (_convert is { } decided) return decided;
        _convert = descriptor is not null && response.StatusCode is >= 200 and < 300
            && response.ContentType is { } ct && ct.StartsWith("application/json", StringComparison.OrdinalIgnoreCase);
        if (_convert == true)
        {
            response.ContentType = ProtobufBridge.MediaType;
            response.ContentLength = null;
        }
        return _convert.Value;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _pending.Write(buffer.Span);
        if (stream) await Pump(flush: false, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous writes only buffer; the async paths (flush, completion) send.
    public override void Write(byte[] buffer, int offset, int count) => _pending.Write(buffer, offset, count);

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (stream) await Pump(flush: true, cancellationToken);
    }

    public override void Flush() { }

    /// <summary>The handler is done: convert and send a synchronous answer, or what is left of a stream.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        if (stream)
        {
            await Pump(flush: true, ct);
            return;
        }
        var body = _pending.ToArray();
        _pending.SetLength(0);
        if (body.Length > 0 && Convert())
        {
            try { body = ProtobufBridge.Encode(descriptor!, Encoding.UTF8.GetString(body)); }
            catch (Exception e) when (e is Google.Protobuf.InvalidJsonException or Google.Protobuf.InvalidProtocolBufferException or FormatException or InvalidOperationException)
            {
                log.LogError(e, "Cannot encode a {Message} as protobuf", descriptor!.FullName);
                response.StatusCode = StatusCodes.Status500InternalServerError;
                response.ContentType = "application/json";
                body = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { message = $"Cannot encode the answer as {descriptor.FullName}: {e.Message}" }));
            }
        }
        if (body.Length > 0)
        {
            response.ContentLength = body.Length;
            await inner.WriteAsync(body, ct);
        }
    }

    /// <summary>Sends every complete RecordIO record ("&lt;length&gt;\n&lt;bytes&gt;") converted; keeps a partial one for later.</summary>
    private async Task Pump(bool flush, CancellationToken ct)
    {
        if (!Convert())
        {
            if (_pending.Length > 0)
            {
                await inner.WriteAsync(_pending.GetBuffer().AsMemory(0, (int)_pending.Length), ct);
                _pending.SetLength(0);
            }
            if (flush) await inner.FlushAsync(ct);
            return;
        }
        var data = _pending.GetBuffer().AsMemory(0, (int)_pending.Length);
        var consumed = 0;
        while (true)
        {
            var rest = data[consumed..].Span;
            var newline = rest.IndexOf((byte)'\n');
            if (newline < 0) break;
            var length = int.Parse(Encoding.ASCII.GetString(rest[..newline]), CultureInfo.InvariantCulture);
            if (rest.Length < newline + 1 + length) break;
            var json = Encoding.UTF8.GetString(rest.Slice(newline + 1, length));
            byte[] record;
            try { record = ProtobufBridge.Encode(descriptor!, json); }
            catch (Exception e) when (e is Google.Protobuf.InvalidJsonException or Google.Protobuf.InvalidProtocolBufferException or FormatException or InvalidOperationException)
            {
                // Dropping an event silently would break the stream's contract; ending the stream makes the client resubscribe.
                log.LogError(e, "Cannot encode a {Message} as protobuf: {Json}", descriptor!.FullName, json);
                throw new IOException($"Cannot encode an event as {descriptor.FullName}", e);
            }
            await inner.WriteAsync(RecordIo.Header(record.Length), ct);
            await inner.WriteAsync(record, ct);
            consumed += newline + 1 + length;
        }
        if (consumed > 0)
        {
            var left = data[consumed..].ToArray();
            _pending.SetLength(0);
            _pending.Write(left);
        }
        if (flush) await inner.FlushAsync(ct);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
