using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ClusterKernel.Api;
using ClusterKernel.Framework;
using Xunit;
using Xunit.Abstractions;

namespace ClusterKernel.Integration.Tests;

/// <summary>/files/browse, /files/download and LIST_FILES through the master; and non-leading master nodes redirecting to the leader.</summary>
[Collection("cluster")]
public sealed class SandboxAndLeaderTests(ITestOutputHelper output)
{
    private static HttpClient Client(string url) =>
        new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Sandboxes_are_browsed_and_downloaded_through_the_master_and_never_left()
    {
        var master = await TestCluster.StartMaster(TestCluster.TempDir("master"));
        await using var _m = master;
        var agent = await TestCluster.StartAgent(master, TestCluster.TempDir("agent"));
        await using var _a = agent;
        await TestCluster.AwaitAgents(master, 1);
        // 200000 bytes: several 48 KiB chunks through the cluster.
        var view = await TestCluster.RunToEnd(master, new CommandRequest("files", null,
            "mkdir -p out && echo data > out/f.txt && head -c 200000 /dev/zero | tr '\\000' x > big && echo done", Array.Empty<string>(), true, 0.1, 32, 0, null));
        Assert.Equal(TaskState.TASK_FINISHED, view.State);
        var (fw, task) = (view.FrameworkId!.Value.Value, view.TaskId.Value);
        using var http = Client(master.HttpUrl!);

        var root = JsonNode.Parse(await http.GetStringAsync($"/files/browse?framework_id={fw}&task_id={task}"))!.AsArray();
        output.WriteLine(root.ToJsonString());
        Assert.Contains(root, e => (string?)e!["path"] == "stdout" && (string?)e["mode"] is { } m && m.StartsWith('-'));
        Assert.Contains(root, e => (string?)e!["path"] == "out" && ((string?)e["mode"])!.StartsWith('d'));
        var sub = JsonNode.Parse(await http.GetStringAsync($"/files/browse?path={fw}/{task}/out"))!.AsArray();
        var f = Assert.Single(sub)!;
        Assert.Equal($"{fw}/{task}/out/f.txt", (string?)f["path"]);
        Assert.Equal(5, (long)f["size"]!);
        foreach (var key in new[] { "nlink", "mtime", "uid", "gid" }) Assert.NotNull(f[key]);

        using (var r = await http.GetAsync($"/files/download?framework_id={fw}&task_id={task}&path=out/f.txt"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("application/octet-stream", r.Content.Headers.ContentType?.MediaType);
            Assert.Contains("f.txt", r.Content.Headers.ContentDisposition?.ToString());
            Assert.Equal("data\n", await r.Content.ReadAsStringAsync());
        }
        var big = await http.GetByteArrayAsync($"/files/download?path={fw}/{task}/big");
        Assert.Equal(200000, big.Length);
        Assert.All(big, b => Assert.Equal((byte)'x', b));

        // Outside the sandbox: refused, never served.
        foreach (var bad in new[] { "../../../../../../etc", "out/../../x", "..%2F..%2F..%2Fetc%2Fpasswd" })
        {
            using var r = await http.GetAsync($"/files/browse?framework_id={fw}&task_id={task}&path={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            using var d = await http.GetAsync($"/files/download?framework_id={fw}&task_id={task}&path={bad}");
            Assert.Equal(HttpStatusCode.BadRequest, d.StatusCode);
        }
        using (var r = await http.GetAsync($"/files/download?framework_id={fw}&task_id={task}&path=%2Fetc%2Fpasswd"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode); // an absolute path is taken inside the sandbox
        using (var r = await http.GetAsync($"/files/download?framework_id={fw}&task_id=no-such-task&path=stdout"))
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);

        // LIST_FILES on the operator API lists the same directory.
        using (var r = await http.PostAsync(OperatorApi.Path, new StringContent(
                   "{\"type\":\"LIST_FILES\",\"list_files\":{\"path\":\"" + fw + "/" + task + "\"}}", Encoding.UTF8, "application/json")))
        {
            var body = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Contains(body["list_files"]!["file_infos"]!.AsArray(), e => (string?)e!["path"] == $"{fw}/{task}/big" && (long)e["size"]! == 200000);
        }
    }

    [Fact]
    public async Task A_master_node_that_does_not_lead_redirects_to_the_leader()
    {
        var leader = await TestCluster.StartMaster(TestCluster.TempDir("master-a"));
        await using var _l = leader;
        var other = await TestCluster.StartMaster(TestCluster.TempDir("master-b"), join: leader);
        await using var _o = other;
        using var toLeader = Client(leader.HttpUrl!);
        using var toOther = Client(other.HttpUrl!);
        var leaderAuthority = new Uri(leader.HttpUrl!).Authority;

        // The oldest master node hosts the singleton: the other one points there once it has joined.
        await TestCluster.AwaitTrue(async () =>
        {
            using var r = await toOther.GetAsync("/redirect");
            return r.StatusCode == HttpStatusCode.TemporaryRedirect && r.Headers.Location?.OriginalString == "//" + leaderAuthority;
        }, "the second master to redirect to the first");
        using (var r = await toOther.GetAsync("/master/redirect"))
            Assert.Equal("//" + leaderAuthority, r.Headers.Location?.OriginalString);

        var subscribe = """{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"redirected"}}}""";
        using (var r = await toOther.PostAsync(SchedulerApi.Path, new StringContent(subscribe, Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.TemporaryRedirect, r.StatusCode);
            Assert.Equal("//" + leaderAuthority + SchedulerApi.Path, r.Headers.Location?.OriginalString);
        }
        using (var r = await toOther.PostAsync(OperatorApi.Path, new StringContent("""{"type":"GET_HEALTH"}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.TemporaryRedirect, r.StatusCode);
            Assert.Equal("//" + leaderAuthority + OperatorApi.Path, r.Headers.Location?.OriginalString);
        }

        // The leader serves them, and /redirect names itself.
        using (var r = await toLeader.PostAsync(OperatorApi.Path, new StringContent("""{"type":"GET_HEALTH"}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await toLeader.GetAsync("/redirect"))
            Assert.Equal("//" + leaderAuthority, r.Headers.Location?.OriginalString);
    }
}
