using System.Text;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace ClusterKernel.Api;

/// <summary>
/// Mesos' scheduler HTTP API v1 (POST /api/v1/scheduler, JSON; application/x-protobuf is translated to JSON in front of it by
/// <see cref="Protobuf.ProtobufBridge"/>). SUBSCRIBE opens a long-lived chunked
/// response of RecordIO records ("&lt;length&gt;\n&lt;json&gt;") fed by an <see cref="HttpFrameworkSession"/>; every other call
/// names the stream in the Mesos-Stream-Id header, goes through that session to the master and is answered 202.
/// </summary>
public static class SchedulerApi
{
    public const string Path = "/api/v1/scheduler";
    public const string StreamIdHeader = "Mesos-Stream-Id";

    public static void MapSchedulerApi(this WebApplication app, ActorSystem system, IActorRef master, HttpApiOptions options)
    {
        var sessions = new SchedulerSessions();
        var stopping = app.Lifetime.ApplicationStopping;
        app.MapPost(Path, (HttpContext ctx) => Handle(ctx, system, master, options, sessions, stopping));
    }

    private static async Task Handle(HttpContext ctx, ActorSystem system, IActorRef master, HttpApiOptions options, SchedulerSessions sessions,
        CancellationToken stopping)
    {
        var request = ctx.Request;
        if (request.ContentType is not { Length: > 0 } contentType)
        {
            await Error(ctx, 400, "Expecting 'Content-Type' to be present (application/json)");
            return;
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || !media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await Error(ctx, 415, media?.MediaType.Equals("application/x-protobuf", StringComparison.OrdinalIgnoreCase) == true
                ? "Content-Type application/x-protobuf is not supported yet: send application/json"
                : $"Expecting 'Content-Type' of application/json, got '{contentType}'");
            return;
        }
        if (request.Headers.Accept.Count > 0 && !AcceptsJson(request.Headers.Accept.ToString()))
        {
            await Error(ctx, 406, "Only application/json responses are supported (Accept)");
            return;
        }

        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8)) body = await reader.ReadToEndAsync(ctx.RequestAborted);
        SchedulerCall call;
        try { call = SchedulerJson.ParseCall(body); }
        catch (SchedulerJsonException e)
        {
            await Error(ctx, 400, "Failed to validate scheduler::Call: " + e.Message);
            return;
        }

        var streamId = request.Headers[StreamIdHeader].ToString();
        if (call.Body is SubscribeCall subscribe)
        {
            if (streamId.Length > 0)
            {
                await Error(ctx, 400, $"Subscribe calls should not include the '{StreamIdHeader}' header");
                return;
            }
            await Subscribe(ctx, system, master, options, sessions, subscribe, stopping);
            return;
        }

        var frameworkId = call.FrameworkId!.Value;
        if (!sessions.TryGet(frameworkId, out var entry))
        {
            await Error(ctx, 403, $"Framework {frameworkId} is not subscribed");
            return;
        }
        if (streamId.Length == 0)
        {
            await Error(ctx, 400, $"All non-subscribe calls should include the '{StreamIdHeader}' header");
            return;
        }
        if (streamId != entry.StreamId)
        {
            await Error(ctx, 400, $"{StreamIdHeader} '{streamId}' does not match the stream of framework {frameworkId}");
            return;
        }
        if (call.Body is UpdateFramework update)
        {
            // As Mesos: UPDATE_FRAMEWORK is answered once the master applied it (200), or refused it (400).
            FrameworkUpdateResult result;
            try { result = await entry.Session.Ask<FrameworkUpdateResult>(new HttpFrameworkSession.ForwardUpdate(update), options.AskTimeout); }
            catch (AskTimeoutException) { await Error(ctx, 503, "master did not answer UPDATE_FRAMEWORK in time"); return; }
            if (!result.Ok) await Error(ctx, 400, result.Error ?? "UPDATE_FRAMEWORK refused");
            else ctx.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        if (call.Body is IClusterMessage message) entry.Session.Tell(new HttpFrameworkSession.Forward(message));
        else system.Log.Info("Scheduler call {0} of framework {1} accepted and ignored (not supported)", call.Type, frameworkId);
        ctx.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static async Task Subscribe(HttpContext ctx, ActorSystem system, IActorRef master, HttpApiOptions options,
        SchedulerSessions sessions, SubscribeCall subscribe, CancellationToken stopping)
    {
        var streamId = Guid.NewGuid().ToString();
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var session = system.ActorOf(HttpFrameworkSession.Props(subscribe.Info, subscribe.SuppressedRoles, master, channel.Writer, sessions,
            streamId, options.SchedulerHeartbeatInterval), "scheduler-session-" + streamId);
        // Streams end when the client goes away or the server stops (so shutdown does not wait for them).
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        var aborted = ended.Token;
        try
        {
            // Nothing is sent before the master answers (SUBSCRIBED, or ERROR for an invalid FrameworkInfo).
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted))
            {
                wait.CancelAfter(options.AskTimeout);
                bool answered;
                try { answered = await channel.Reader.WaitToReadAsync(wait.Token); }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested) { answered = false; }
                if (!answered)
                {
                    // The master is down because its registry failed (it restarts when the database answers): say that.
                    await Error(ctx, 503, ClusterKernel.Master.RegistryHealth.Get(system).Unavailable ?? "master not reachable");
                    return;
                }
            }

            var response = ctx.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.Headers[StreamIdHeader] = streamId;
            response.Headers.CacheControl = "no-cache";
            ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await response.StartAsync(aborted);
            await foreach (var record in channel.Reader.ReadAllAsync(aborted))
            {
                var bytes = Encoding.UTF8.GetBytes(record);
                await response.Body.WriteAsync(RecordIo.Header(bytes.Length), aborted);
                await response.Body.WriteAsync(bytes, aborted);
                await response.Body.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested) { /* client went away */ }
        catch (IOException) { /* client went away mid-write */ }
        finally
        {
            // The session's end is the framework's disconnect: the master's DeathWatch starts its failover timeout.
            session.Tell(HttpFrameworkSession.ClientGone.Instance);
        }
    }

    private static bool AcceptsJson(string accept) =>
        accept.Split(',').Select(a => a.Split(';')[0].Trim()).Any(a => a is "application/json" or "*/*" or "application/*" or "");

    private static Task Error(HttpContext ctx, int status, string message) =>
        Results.Json(new { message }, statusCode: status).ExecuteAsync(ctx);
}
