using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace ClusterKernel.Api.Protobuf;

/// <summary>
/// <c>application/x-protobuf</c> for Mesos' v1 APIs (POST /api/v1/scheduler and POST /api/v1), at the edge: a protobuf call
/// is parsed into the v1 message and handed on as the protobuf JSON mapping with proto field names (the JSON the APIs already
/// read); when the client accepts protobuf (Accept, or no Accept and a protobuf body, as Mesos), the JSON answer is parsed back
/// into the v1 message and written as binary, and a SUBSCRIBE stream's RecordIO records are re-encoded one by one. Errors
/// (4xx/5xx) stay JSON {"message"}. The handlers behind it see only JSON.
/// </summary>
public static class ProtobufBridge
{
    public const string MediaType = "application/x-protobuf";

    /// <summary>HttpContext.Items key set when the answer goes out as protobuf.</summary>
    public const string AnswersProtobuf = "ck.protobuf-answer";

    /// <summary>The messages of one API: what is posted, the synchronous answer (none for the scheduler's 202s), the stream's events.</summary>
    public sealed record Api(string Name, MessageDescriptor Call, MessageDescriptor? Response, MessageDescriptor Event);

    public static readonly Api Scheduler = new("scheduler", Mesos.V1.Scheduler.Call.Descriptor, null, Mesos.V1.Scheduler.Event.Descriptor);
    public static readonly Api Operator = new("master", Mesos.V1.Master.Call.Descriptor, Mesos.V1.Master.Response.Descriptor, Mesos.V1.Master.Event.Descriptor);

    /// <summary>Proto field names ("framework_id"), enums as names, 64-bit integers as strings (the protobuf JSON mapping).</summary>
    public static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));

    /// <summary>Fields our JSON carries beyond the v1 protos (e.g. "akka_level") are dropped.</summary>
    public static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static void UseProtobufBridge(this WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProtobufBridge));
        app.Use(async (ctx, next) =>
        {
            var api = ctx.Request.Method == HttpMethods.Post
                ? ctx.Request.Path.Value switch { SchedulerApi.Path => Scheduler, OperatorApi.Path => Operator, _ => null }
                : null;
            if (api is null) { await next(ctx); return; }
            var protoIn = IsProtobuf(ctx.Request.ContentType);
            var accept = ctx.Request.Headers.Accept.ToString();
            var protoOut = accept.Length == 0 ? protoIn : AcceptsProtobuf(accept);
            if (!protoIn && !protoOut) { await next(ctx); return; }

            // Requests are small: buffer the body, to decode it or to learn the call's type.
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer, ctx.RequestAborted);
            string? type = null;
            if (protoIn)
            {
                IMessage call;
                try { call = api.Call.Parser.ParseFrom(buffer.ToArray()); }
                catch (InvalidProtocolBufferException e)
                {
                    await Error(ctx, 400, $"Failed to parse body into {api.Name} Call protobuf: {e.Message}");
                    return;
                }
                var json = Encoding.UTF8.GetBytes(Formatter.Format(call));
                ctx.Request.Body = new MemoryStream(json);
                ctx.Request.ContentLength = json.Length;
                ctx.Request.ContentType = "application/json";
                var typeField = api.Call.FindFieldByName("type");
                type = typeField.Accessor.HasValue(call)
                    ? typeField.EnumType.FindValueByNumber(Convert.ToInt32(typeField.Accessor.GetValue(call)))?.Name : null;
            }
            else
            {
                buffer.Position = 0;
                ctx.Request.Body = buffer;
                try { type = JsonDocument.Parse(buffer.ToArray()).RootElement.GetProperty("type").GetString(); }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { } // the API answers 400
            }
            if (!protoOut) { await next(ctx); return; }

            // The handlers answer JSON; this stream turns it into protobuf on the way out (a handler that answers protobuf
            // itself, seeing AnswersProtobuf, sets that content type and is passed through).
            ctx.Request.Headers.Accept = "application/json";
            ctx.Items[AnswersProtobuf] = true;
            var original = ctx.Response.Body;
            var subscribe = string.Equals(type, "SUBSCRIBE", StringComparison.OrdinalIgnoreCase);
            await using var encoder = new ProtobufResponseStream(ctx.Response, original, subscribe ? api.Event : api.Response, stream: subscribe, log);
            ctx.Response.Body = encoder;
            try
            {
                await next(ctx);
                await encoder.CompleteAsync(ctx.RequestAborted);
            }
            finally { ctx.Response.Body = original; }
        });
    }

    public static bool IsProtobuf(string? contentType) =>
        contentType is { Length: > 0 } && MediaTypeHeaderValue.TryParse(contentType, out var m)
        && m.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Protobuf when the client names it and does not prefer JSON (the first listed wins, as Mesos' acceptsMediaType order).</summary>
    public static bool AcceptsProtobuf(string accept)
    {
        foreach (var part in accept.Split(','))
        {
            var media = part.Split(';')[0].Trim();
            if (media.Equals(MediaType, StringComparison.OrdinalIgnoreCase)) return true;
            if (media.Equals("application/json", StringComparison.OrdinalIgnoreCase)) return false;
        }
        return false;
    }

    /// <summary>Our JSON (a response or an event) as the v1 message's binary encoding.</summary>
    public static byte[] Encode(MessageDescriptor descriptor, string json) => Parser.Parse(json, descriptor).ToByteArray();

    /// <summary>A v1 message's binary encoding as the JSON our handlers read.</summary>
    public static string Decode(MessageDescriptor descriptor, byte[] bytes) => Formatter.Format(descriptor.Parser.ParseFrom(bytes));

    internal static Task Error(HttpContext ctx, int status, string message) =>
        Results.Json(new { message }, statusCode: status).ExecuteAsync(ctx);
}
