using Akka.Actor;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ClusterKernel.Api;

/// <summary>
/// Only the leading master (the node hosting the master singleton) serves the v1 APIs, as in Mesos: on another master node,
/// POST /api/v1/scheduler and POST /api/v1 answer 307 Temporary Redirect to the leader ("//host:port/path", Mesos' form; the
/// client repeats the request there), and 503 {"message"} when no leader answers. <c>/redirect</c> and <c>/master/redirect</c>
/// answer 307 to the leader ("//host:port"). The leader is learnt from <see cref="LeaderLookup"/> (the singleton, asked at most
/// once a second per node).
/// </summary>
public static class LeaderRedirect
{
    public static void UseLeaderRedirect(this WebApplication app, ActorSystem system, LeaderLookup leaders)
    {
        // An ActorSystem without cluster (tests with a stand-in master) is its own leader.
        var self = ((ExtendedActorSystem)system).Provider is Akka.Cluster.ClusterActorRefProvider
            ? Akka.Cluster.Cluster.Get(system).SelfAddress.ToString() : null;
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value ?? "";
            var api = HttpMethods.IsPost(ctx.Request.Method) && path is SchedulerApi.Path or OperatorApi.Path;
            var redirect = HttpMethods.IsGet(ctx.Request.Method) && path is "/redirect" or "/master/redirect";
            if (!api && !redirect) { await next(ctx); return; }

            if (self is null)
            {
                if (api) await next(ctx);
                else Redirect(ctx, "//" + ctx.Request.Host);
                return;
            }
            LeaderInfo leader;
            try { leader = await leaders.GetAsync(); }
            catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
            {
                await OperatorApi.Error(503, "No leading master is known (the master singleton does not answer)").ExecuteAsync(ctx);
                return;
            }
            if (leader.NodeAddress == self)
            {
                if (api) await next(ctx);
                else Redirect(ctx, "//" + ctx.Request.Host);
                return;
            }
            if (leader.HttpUrl is null || !Uri.TryCreate(leader.HttpUrl, UriKind.Absolute, out var url))
            {
                await OperatorApi.Error(503, $"The leading master ({leader.NodeAddress}) serves no HTTP API").ExecuteAsync(ctx);
                return;
            }
            Redirect(ctx, "//" + url.Authority + (api ? path + ctx.Request.QueryString : ""));
        });
    }

    private static void Redirect(HttpContext ctx, string location)
    {
        ctx.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
        ctx.Response.Headers.Location = location;
    }
}
