using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Actor;
using ClusterKernel.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ClusterKernel.Api;

/// <summary>
/// Mesos' /files/browse and /files/download for task sandboxes, next to /files/read (HttpApi): the master forwards the
/// question to the task's agent, which answers the asker. A sandbox is named by <c>framework_id</c> and <c>task_id</c> query
/// parameters with <c>path</c> relative to it, or by a Mesos-style <c>path</c> alone (".../frameworks/FW/executors/TASK/runs/latest/DIR"
/// or "FW/TASK/DIR"). Paths with ".." are refused (400); the agent refuses anything outside the sandbox as well.
/// </summary>
public static class SandboxApi
{
    public static void MapSandboxApi(this WebApplication app, IActorRef master, TimeSpan timeout)
    {
        app.MapGet("/files/browse", async (HttpRequest r) =>
        {
            if (Locate(r, out var fw, out var task, out var dir, out var shown) is { } bad) return bad;
            var listing = await master.Ask<SandboxListing>(new BrowseSandbox(fw, task, dir), timeout);
            if (listing.Error is { } error) return OperatorApi.Error(404, error);
            // Mesos' JSON: the path as the client named it plus the entry, mode as `ls -l` prints it, mtime in seconds.
            return OperatorApi.Json(new JsonArray(listing.Entries.Select(e => (JsonNode)new JsonObject
            {
                ["path"] = Join(shown, Path.GetFileName(e.Path)),
                ["nlink"] = e.Nlink,
                ["size"] = e.Size,
                ["mtime"] = e.Mtime,
                ["mode"] = ModeString(e.Mode),
                ["uid"] = e.Uid,
                ["gid"] = e.Gid,
            }).ToArray()));
        });

        // Mesos' /files/read (src/files/files.cpp): offset -1 or absent asks for the size only ({"data":"","offset":SIZE});
        // length -1 or absent reads to the end, up to FilesRead.MaxLength. The body is FilesRead.Encode's, byte-exact.
        app.MapGet("/files/read", async (HttpRequest r) =>
        {
            var q = r.Query;
            FrameworkId fw;
            TaskId task;
            string file;
            if (string.IsNullOrEmpty(q["path"]) && !string.IsNullOrEmpty(q["framework_id"]) && !string.IsNullOrEmpty(q["task_id"]))
                (fw, task, file) = (new FrameworkId(q["framework_id"]!), new TaskId(q["task_id"]!), "stdout"); // ClusterKernel's default
            else if (Locate(r, out fw, out task, out file, out _) is { } bad) return bad;
            if (file.Length == 0) return OperatorApi.Error(400, "path names a sandbox, not a file");
            if (Number(q["offset"], "offset", out var offset) is { } badOffset) return badOffset;
            if (Number(q["length"], "length", out var length) is { } badLength) return badLength;
            var sizeOnly = offset == -1;
            var (data, size, error) = await FilesRead.ReadAsync(d => master.Ask<SandboxFileChunk>(d, timeout), fw, task, file,
                sizeOnly ? 0 : offset, sizeOnly ? 0 : length == -1 ? FilesRead.MaxLength : Math.Min(length, FilesRead.MaxLength));
            if (error is not null) return OperatorApi.Error(404, error);
            return Results.Bytes(FilesRead.Encode(data, sizeOnly ? size : offset, size), "application/json");
        });

        app.MapGet("/files/download", async (HttpContext ctx) =>
        {
            if (Locate(ctx.Request, out var fw, out var task, out var file, out _) is { } bad)
            {
                await bad.ExecuteAsync(ctx);
                return;
            }
            var chunk = await master.Ask<SandboxFileChunk>(new DownloadSandboxFile(fw, task, file, 0), timeout);
            if (chunk.Error is { } error || file.Length == 0)
            {
                await OperatorApi.Error(404, chunk.Error ?? "path names a directory, not a file").ExecuteAsync(ctx);
                return;
            }
            ctx.Response.ContentType = "application/octet-stream";
            ctx.Response.ContentLength = chunk.Size;
            ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{Path.GetFileName(file).Replace("\"", "")}\"";
            var offset = 0L;
            // Chunk by chunk (each fits one remoting frame) until the size the first answer reported.
            while (true)
            {
                await ctx.Response.Body.WriteAsync(chunk.Data, ctx.RequestAborted);
                offset += chunk.Data.Length;
                if (offset >= chunk.Size || chunk.Data.Length == 0) break;
                chunk = await master.Ask<SandboxFileChunk>(new DownloadSandboxFile(fw, task, file, offset), timeout);
                if (chunk.Error is not null) throw new IOException("sandbox file went away during download: " + chunk.Error);
            }
        });
    }

    /// <summary>An offset or length as Mesos takes them: absent is -1; below -1 or not a number is 400.</summary>
    private static IResult? Number(string? text, string name, out long value)
    {
        value = -1;
        if (string.IsNullOrEmpty(text)) return null;
        if (!long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value))
            return OperatorApi.Error(400, $"Failed to parse {name}: '{text}' is not an integer");
        return value < -1 ? OperatorApi.Error(400, $"Negative {name} provided: {value}") : null;
    }

    /// <summary>Sandbox and path inside it from the query; an error result when they are missing or leave the sandbox.</summary>
    private static IResult? Locate(HttpRequest r, out FrameworkId fw, out TaskId task, out string relative, out string shown)
    {
        var q = r.Query;
        string? framework = q["framework_id"], taskId = q["task_id"], path = q["path"];
        shown = path ?? "";
        if (!string.IsNullOrEmpty(framework) && !string.IsNullOrEmpty(taskId))
        {
            (fw, task, relative) = (new FrameworkId(framework), new TaskId(taskId), (path ?? "").Trim('/'));
        }
        else if (!TryParse(path, out fw, out task, out relative))
        {
            (fw, task, relative) = (default, default, "");
            return OperatorApi.Error(400, "framework_id and task_id, or a sandbox path (FRAMEWORK_ID/TASK_ID[/PATH] or .../frameworks/FRAMEWORK_ID/executors/TASK_ID/runs/latest[/PATH]), are required");
        }
        return relative.Split('/').Contains("..") ? OperatorApi.Error(400, "path must not leave the sandbox ('..')") : null;
    }

    /// <summary>A Mesos-style sandbox path to (framework, task, path inside the sandbox); "FW/TASK" alone is the sandbox's root.</summary>
    public static bool TryParse(string? path, out FrameworkId fw, out TaskId task, out string relative)
    {
        relative = "";
        if (!OperatorJson.TryParseSandboxPath(path, out fw, out task, out var file)) return false;
        var shortForm = !path!.Contains("/frameworks/") && path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length == 2;
        relative = shortForm ? "" : file;
        return true;
    }

    /// <summary>Mesos' v1 FileInfo (LIST_FILES): mode as a number, mtime as TimeInfo.</summary>
    public static JsonObject FileInfo(SandboxEntry e, string shownDir) => new()
    {
        ["path"] = Join(shownDir, Path.GetFileName(e.Path)),
        ["nlink"] = e.Nlink,
        ["size"] = e.Size,
        ["mtime"] = new JsonObject { ["nanoseconds"] = (long)(e.Mtime * 1e9) },
        ["mode"] = e.Mode,
        ["uid"] = e.Uid,
        ["gid"] = e.Gid,
    };

    private static string Join(string dir, string name) => dir.Length == 0 ? name : dir.TrimEnd('/') + "/" + name;

    /// <summary>"drwxr-xr-x" / "-rw-r--r--" from st_mode.</summary>
    public static string ModeString(int mode)
    {
        var chars = new char[10];
        chars[0] = (mode & 0xF000) == 0x4000 ? 'd' : (mode & 0xF000) == 0xA000 ? 'l' : '-';
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++) chars[i + 1] = (mode & (1 << (8 - i))) != 0 ? rwx[i] : '-';
        return new string(chars);
    }
}
