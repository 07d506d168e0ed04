using System.Diagnostics;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>
/// A fact that needs network namespaces: root and iproute2's <c>ip</c> (and curl, to reach HTTP APIs inside them). Skipped
/// with the reason otherwise, unless CK_REQUIRE_NETNS=1 (tests/run.sh in CI runs as root), in which case it runs and fails.
/// </summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CK_REQUIRE_NETNS") == "1") return;
        if (NetworkNamespaces.Unavailable is { } reason) Skip = reason + " (set CK_REQUIRE_NETNS=1 to fail instead of skipping)";
    }
}

/// <summary>
/// Hosts on a private network the test builds: one namespace per host, each with a veth pair whose other end is a port of a
/// bridge in a further namespace. Addresses exist only inside those namespaces (10.213.0.0/24 by default); the test's own
/// namespace gets nothing. A link is cut and restored on the bridge side. Disposing deletes every namespace (with its veths).
/// </summary>
public sealed class NetworkNamespaces : IAsyncDisposable
{
    private readonly string _bridge;
    private readonly List<string> _hosts = new();
    public string Subnet { get; }

    public static string? Unavailable =>
        Environment.UserName != "root" ? "needs root to create network namespaces"
        : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") ? "needs iproute2's ip"
        : !File.Exists("/usr/bin/curl") ? "needs curl (to reach HTTP APIs inside the namespaces)"
        : null;

    private NetworkNamespaces(string prefix, string subnet) { _bridge = prefix + "br"; Subnet = subnet; }

    /// <summary>Namespace name of host <paramref name="i"/> (1-based).</summary>
    public string Host(int i) => _hosts[i - 1];
    /// <summary>Address of host <paramref name="i"/>.</summary>
    public string Address(int i) => $"{Subnet}.{i}";

    /// <param name="subnet">The first three octets, e.g. "10.213.0".</param>
    public static async Task<NetworkNamespaces> Create(int hosts, string subnet = "10.213.0")
    {
        var prefix = "ck" + Guid.NewGuid().ToString("N")[..6] + "-";
        var net = new NetworkNamespaces(prefix, subnet);
        try
        {
            await Ip("netns", "add", net._bridge);
            await Ip("-n", net._bridge, "link", "set", "lo", "up");
            await Ip("-n", net._bridge, "link", "add", "br0", "type", "bridge");
            await Ip("-n", net._bridge, "link", "set", "br0", "up");
            for (var i = 1; i <= hosts; i++)
            {
                var ns = prefix + "h" + i;
                await Ip("netns", "add", ns);
                net._hosts.Add(ns);
                await Ip("-n", ns, "link", "set", "lo", "up");
                // Both ends are created directly in their namespaces: nothing appears in ours.
                await Ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", "p" + i, "netns", net._bridge);
                await Ip("-n", ns, "addr", "add", $"{net.Address(i)}/24", "dev", "eth0");
                await Ip("-n", ns, "link", "set", "eth0", "up");
                await Ip("-n", net._bridge, "link", "set", "p" + i, "master", "br0");
                await Ip("-n", net._bridge, "link", "set", "p" + i, "up");
            }
            return net;
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cuts host <paramref name="i"/> off the network (its bridge port goes down: packets are dropped, no resets).</summary>
    public Task Cut(int i) => Ip("-n", _bridge, "link", "set", "p" + i, "down");

    public Task Restore(int i) => Ip("-n", _bridge, "link", "set", "p" + i, "up");

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in _hosts.Append(_bridge))
            try { await Ip("netns", "delete", ns); } catch (InvalidOperationException) { /* already gone */ }
    }

    /// <summary>GET <paramref name="url"/> from inside <paramref name="netns"/>; the body, or null if it failed or was not 2xx.</summary>
    public static async Task<string?> Get(string netns, string url)
    {
        var (code, stdout, _) = await Run("ip", "netns", "exec", netns, "curl", "-sf", "--max-time", "5", url);
        return code == 0 ? stdout : null;
    }

    /// <summary>POST a JSON body from inside <paramref name="netns"/>; answers (status code, body).</summary>
    public static async Task<(int Status, string Body)> PostJson(string netns, string url, string json)
    {
        var (code, stdout, stderr) = await Run("ip", "netns", "exec", netns, "curl", "-s", "--max-time", "10", "-X", "POST",
            "-H", "Content-Type: application/json", "--data-binary", json, "-w", "\n%{http_code}", url);
        if (code != 0) throw new InvalidOperationException($"curl {url} failed ({code}): {stderr}");
        var cut = stdout.LastIndexOf('\n');
        return (int.Parse(stdout[(cut + 1)..].Trim()), stdout[..cut]);
    }

    private static async Task Ip(params string[] args)
    {
        var (code, _, stderr) = await Run("ip", args);
        if (code != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: exit {code}: {stderr.Trim()}");
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try { await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)); }
        catch (TimeoutException) { p.Kill(true); throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not exit within 30 s"); }
        return (p.ExitCode, await stdout, await stderr);
    }
}
