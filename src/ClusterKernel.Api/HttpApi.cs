using System.Text.Json;
using Akka.Actor;
using ClusterKernel.Api.Protobuf;
using ClusterKernel.Framework;
using ClusterKernel.Protocol;
using ClusterKernel.Protocol.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClusterKernel.Api;

/// <summary>
/// The master's HTTP face: Mesos-shaped /state and /files/read, plus ClusterKernel's command endpoints. Handlers only
/// Ask actors; every failure becomes a 4xx/5xx with {"message": ...} (an Ask timeout is 503 "master not reachable", or the registry's failure when that is why the master is down).
/// </summary>
public static class HttpApi
{
    public const string CommandsPath = "/api/ck/v1/commands";

    public static WebApplication Build(HttpApiOptions options, ActorSystem system, IActorRef master, IActorRef commandFramework)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Url);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var json = Json.CreateOptions();
        var timeout = options.AskTimeout;

        // Last line of defence: whatever a handler throws becomes JSON, never an HTML page or a dropped connection.
        app.UseExceptionHandler(errors => errors.Run(ctx =>
        {
            var e = ctx.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, message) = e switch
            {
                ClusterKernel.Master.RegistryUnavailableException r => (StatusCodes.Status503ServiceUnavailable, r.Message),
                // The master is down because its registry failed (it restarts when the database answers): say that, not "master".
                AskTimeoutException or TaskCanceledException when ClusterKernel.Master.RegistryHealth.Get(system).Unavailable is { } why =>
                    (StatusCodes.Status503ServiceUnavailable, why),
                AskTimeoutException or TaskCanceledException => (StatusCodes.Status503ServiceUnavailable, "master not reachable"),
                _ => (StatusCodes.Status500InternalServerError, e?.Message ?? "internal error"),
            };
            return Error(status, message).ExecuteAsync(ctx);
        }));
        // Empty-bodied errors (unknown route, wrong method) get a JSON message too.
        app.UseStatusCodePages(ctx => Error(ctx.HttpContext.Response.StatusCode,
            $"{ctx.HttpContext.Request.Method} {ctx.HttpContext.Request.Path}: {ReasonPhrase(ctx.HttpContext.Response.StatusCode)}").ExecuteAsync(ctx.HttpContext));
        // Only the leading master serves the v1 APIs; the others redirect (before any body is read).
        var leaders = new LeaderLookup(master, timeout);
        app.UseLeaderRedirect(system, leaders);
        // application/x-protobuf on the v1 APIs, translated to and from the JSON the handlers speak.
        app.UseProtobufBridge();

        // Unhealthy (503, with why) once the master failed to recover its registry several times in a row (RegistryHealth).
        app.MapGet("/health", () => ClusterKernel.Master.RegistryHealth.Get(system).Unhealthy is { } why
            ? Results.Json(new { healthy = false, message = why }, json, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { healthy = true }, json));

        var stateBoard = ClusterKernel.Master.ClusterStateBoard.For(system);
        // Rendered once per snapshot, incrementally, and in the background while /state is read (MesosStateEndpoint): at
        // 100,000 tasks a full rendering costs a second of CPU.
        var stateEndpoint = new MesosStateEndpoint(stateBoard.Peek, () => stateBoard.ReadersActive(DateTimeOffset.UtcNow));
        // The rendered /state is kept while it is polled and let go a minute after the last read (as the master's snapshot board).
        var stateCacheTrim = new Timer(_ => stateEndpoint.DropIfIdle(DateTime.UtcNow - ClusterKernel.Master.ClusterStateBoard.ReaderWindow), null,
            TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        app.Lifetime.ApplicationStopping.Register(() => { stateCacheTrim.Dispose(); stateEndpoint.Dispose(); });
        // Takes HttpRequest, not HttpContext: a Task<IResult>(HttpContext) method binds to RequestDelegate and its result is dropped.
        async Task<IResult> State(HttpRequest request)
        {
            // The snapshot the master of this process last published, without queueing behind scheduling traffic in its mailbox;
            // an Ask when there is none (master elsewhere, or no reader lately).
            var state = stateBoard.TryRead(DateTimeOffset.UtcNow) ?? await master.Ask<ClusterState>(GetClusterState.Instance, timeout);
            var leader = await LeaderName(request);
            // gzip when asked, as Mesos' libprocess does for large bodies: 46 MB of JSON at 100,000 tasks is a few MB compressed.
            var gzip = AcceptsGzip(request);
            using var lease = stateEndpoint.Pick(state, leader, gzip);
            // Written here, not by a returned result: the lease must outlive the write.
            await stateEndpoint.WriteAsync(request.HttpContext.Response, lease, gzip, request.HttpContext.RequestAborted);
            return Results.Empty;
        }
        // Mesos' "leader": the master whose singleton answered (not this node unless it leads), so that every master names the same one.
        async Task<string?> LeaderName(HttpRequest request)
        {
            if (((ExtendedActorSystem)system).Provider is not Akka.Cluster.ClusterActorRefProvider) return "master@" + request.Host;
            try
            {
                var info = await leaders.GetAsync();
                return info.HttpUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var u) ? "master@" + u.Authority : "master@" + info.NodeAddress;
            }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException) { return null; }
        }
        app.MapGet("/state", State);
        // Mesos' metric names; allocator/mesos/allocation_run_ms and per-framework offer counters included.
        app.MapGet("/metrics/snapshot", async () =>
            Results.Json((await master.Ask<MetricsSnapshot>(GetMetrics.Instance, timeout)).Values, json));
        app.MapGet("/master/state", State);

        app.MapPost(CommandsPath, async (HttpContext ctx) =>
        {
            CommandRequest? request;
            try { request = await JsonSerializer.DeserializeAsync<CommandRequest>(ctx.Request.Body, json, ctx.RequestAborted); }
            catch (JsonException e) { return Error(400, "invalid command JSON: " + e.Message); }
            if (request is null) return Error(400, "missing command JSON body");
            if (request.Validate() is { } invalid) return Error(400, invalid);
            return await commandFramework.Ask<object>(new RunCommand(request), timeout) switch
            {
                CommandAccepted a => Results.Json(new { task_id = a.TaskId.Value }, json, statusCode: 201),
                CommandRejected r => Error(400, r.Message),
                var other => Error(500, $"unexpected answer {other.GetType().Name}"),
            };
        });

        app.MapGet(CommandsPath + "/{taskId}", async (string taskId) =>
            await commandFramework.Ask<object>(new GetCommand(new TaskId(taskId)), timeout) switch
            {
                CommandView v => Results.Json(v, json),
                CommandNotFound => Error(404, $"no command {taskId}"),
                var other => Error(500, $"unexpected answer {other.GetType().Name}"),
            });

        app.MapPost(CommandsPath + "/{taskId}/kill", async (string taskId) =>
            await commandFramework.Ask<object>(new KillCommand(new TaskId(taskId)), timeout) switch
            {
                CommandKillRequested => Results.Json(new { task_id = taskId }, json, statusCode: 202),
                CommandNotFound => Error(404, $"no command {taskId}"),
                var other => Error(500, $"unexpected answer {other.GetType().Name}"),
            });

        app.MapSchedulerApi(system, master, options);
        app.MapSandboxApi(master, timeout);
        app.MapOperatorApi(master, system, timeout);
        return app;
    }

    private static IResult Error(int status, string message) => Results.Json(new { message }, statusCode: status);

    private static bool TryLong(string? text, long fallback, out long value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text) || long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : "error";

    internal static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
            foreach (var coding in (value ?? "").Split(','))
            {
                var parts = coding.Split(';');
                if (!parts[0].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase)) continue;
                // "gzip;q=0" refuses it.
                return !parts.Skip(1).Any(p => p.Replace(" ", "") is "q=0" or "q=0.0" or "q=0.00" or "q=0.000");
            }
        return false;
    }
}
