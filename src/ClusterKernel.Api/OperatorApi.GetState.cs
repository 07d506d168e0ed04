using System.Globalization;
using System.Text;
using System.Text.Json;
using ClusterKernel.Api.Protobuf;
using ClusterKernel.Master;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Http;

namespace ClusterKernel.Api;

public static partial class OperatorApi
{
    private sealed partial class Handlers
    {
        private MesosStateEndpoint? _getState;
        private ClusterStateBoard? _board;
        private readonly object _protobufGate = new();
        private GetStateProtobuf? _protobuf;

        /// <summary>
        /// GET_STATE as /state: rendered once per published snapshot (and maintenance view), incrementally, in the background
        /// while it is polled, gzip when asked, let go a minute after the last call (<see cref="MesosStateEndpoint"/> over
        /// <see cref="GetStateWriter.Cache"/>). At 100,000 tasks a rendering from scratch costs seconds of CPU.
        /// </summary>
        internal void UseGetStateCache(CancellationToken stopping)
        {
            var board = _board = ClusterStateBoard.For(Actors);
            var endpoint = _getState = new MesosStateEndpoint(board.Peek, () => board.ReadersActive(DateTimeOffset.UtcNow), cache: GetStateWriter.Cache());
            var trim = new Timer(_ =>
            {
                if (!endpoint.DropIfIdle(DateTime.UtcNow - ClusterStateBoard.ReaderWindow)) return;
                lock (_protobufGate) _protobuf = null;
            }, null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
            stopping.Register(() => { trim.Dispose(); endpoint.Dispose(); });
        }

        private MaintenanceView? _lastMaintenance;

        /// <summary>How long GET_STATE waits for the master's maintenance view before answering with the last one it got.</summary>
        private static readonly TimeSpan MaintenanceWait = TimeSpan.FromSeconds(1);

        /// <summary>An operator change through this API: the next GET_STATE waits for the master's maintenance view.</summary>
        internal void ForgetMaintenance() => Volatile.Write(ref _lastMaintenance, null);

        private async Task<IResult> GetState(HttpRequest request)
        {
            var maintenance = Maintenance();
            // The snapshot the master last published (as /state), without queueing behind scheduling in its mailbox.
            var published = _board!.TryRead(DateTimeOffset.UtcNow);
            var state = published ?? await State();
            var variant = GetStateWriter.Variant(await MaintenanceFor(maintenance, published is not null));
            var protobuf = request.HttpContext.Items.ContainsKey(ProtobufBridge.AnswersProtobuf);
            var gzip = !protobuf && HttpApi.AcceptsGzip(request);
            return new CachedGetState(this, _getState!.Pick(state, variant, gzip), gzip, protobuf);
        }

        /// <summary>
        /// The maintenance view for a GET_STATE: the master's answer, or — when the snapshot came from the board and the
        /// master (busy scheduling) has not answered within <see cref="MaintenanceWait"/> — the last view it gave, so that a
        /// poll does not time out behind a burst in the mailbox as an Ask would (a 503 after 5 s). Maintenance changes made
        /// through this API clear that fallback first (<see cref="ForgetMaintenance"/>).
        /// </summary>
        private async Task<MaintenanceView> MaintenanceFor(Task<MaintenanceView> ask, bool published)
        {
            if (published && Volatile.Read(ref _lastMaintenance) is { } last
                && await Task.WhenAny(ask, Task.Delay(MaintenanceWait)) != ask)
            {
                _ = ask.ContinueWith(t => { if (t.IsCompletedSuccessfully) Volatile.Write(ref _lastMaintenance, t.Result); }, TaskScheduler.Default);
                return last;
            }
            var m = await ask;
            Volatile.Write(ref _lastMaintenance, m);
            return m;
        }

        /// <summary>The v1 Response protobuf of a GET_STATE rendering, made once per rendering from the previous one's
        /// unchanged elements (<see cref="GetStateProtobuf"/>).</summary>
        private byte[] Protobuf(RenderedState rendered)
        {
            lock (_protobufGate)
            {
                if (_protobuf is { } p && ReferenceEquals(p.Source, rendered)) return p.Bytes;
                _protobuf = GetStateProtobuf.Build(rendered, _protobuf);
                return _protobuf.Bytes;
            }
        }

        /// <summary>SUBSCRIBED (RecordIO-framed) with GET_STATE's cached rendering of <paramref name="state"/> as its get_state:
        /// the same bytes as <see cref="OperatorEvents.Subscribed"/> serialized.</summary>
        internal byte[] SubscribedRecord(ClusterState state, MaintenanceView? maintenance, double heartbeatSeconds)
        {
            using var lease = _getState!.Cache.Rent(state, GetStateWriter.Variant(maintenance));
            var r = lease.State;
            var json = new MemoryStream(r.Payload.Length + 128);
            using (var w = new Utf8JsonWriter(json))
            {
                w.WriteStartObject();
                w.WriteString("type", "SUBSCRIBED");
                w.WriteStartObject("subscribed");
                w.WritePropertyName("get_state");
                w.WriteRawValue(r.Body.AsSpan(r.Payload.Offset, r.Payload.Length), skipInputValidation: true);
                w.WriteNumber("heartbeat_interval_seconds", heartbeatSeconds);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            var header = RecordIo.Header(json.Length);
            var record = new byte[header.Length + json.Length];
            header.CopyTo(record, 0);
            json.GetBuffer().AsSpan(0, (int)json.Length).CopyTo(record.AsSpan(header.Length));
            return record;
        }

        /// <summary>Sends a leased GET_STATE rendering (JSON, gzip JSON, or protobuf), then returns the lease.</summary>
        private sealed class CachedGetState(Handlers h, MesosStateCache.Lease lease, bool gzip, bool protobuf) : IResult
        {
            public async Task ExecuteAsync(HttpContext ctx)
            {
                using var held = lease;
                if (!protobuf)
                {
                    await h._getState!.WriteAsync(ctx.Response, held, gzip, ctx.RequestAborted);
                    return;
                }
                var bytes = h.Protobuf(held.State);
                // Already protobuf: the bridge passes a non-JSON body through as it is.
                ctx.Response.ContentType = ProtobufBridge.MediaType;
                ctx.Response.Headers[MesosStateEndpoint.SnapshotTimeHeader] = held.State.State.Timestamp.ToString("F3", CultureInfo.InvariantCulture);
                ctx.Response.ContentLength = bytes.Length;
                await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
            }
        }
    }
}
