using System.Net;
using System.Net.Sockets;
using ClusterKernel.Hosting;
using Xunit;

namespace ClusterKernel.Integration.Tests;

/// <summary>The confirmed-dead probe: only a port that refuses every connection counts as a dead process.</summary>
public sealed class ConfirmedDeadProbeTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(400), Interval = TimeSpan.FromMilliseconds(100), Connect = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_port_nobody_listens_on_is_refused_on_every_attempt()
    {
        // Other tests start nodes on port 0 meanwhile: a free port may be taken during the probe. Only a port that nobody
        // listens on afterwards either proves the probe wrong; a taken one is tried again with another port.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = Ck.FreePort();
            var (allRefused, probes) = await ConfirmedDeadDowning.ProbeAsync("127.0.0.1", port, Window, Interval, Connect);
            if (allRefused) { Assert.True(probes >= 2); return; }
            Assert.False(CanListenOn(port), $"port {port} was free, yet a probe connected");
        }
        Assert.Fail("every free port was taken by another listener during its probe");
    }

    private static bool CanListenOn(int port)
    {
        try { using var l = new TcpListener(IPAddress.Loopback, port); l.Start(); l.Stop(); return true; }
        catch (SocketException) { return false; }
    }

    [Fact]
    public async Task A_listening_port_is_not_dead_even_if_nobody_accepts()
    {
        // Like a frozen process: the kernel completes the handshake into the backlog although the process never calls accept.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (allRefused, probes) = await ConfirmedDeadDowning.ProbeAsync("127.0.0.1", port, Window, Interval, Connect);
        Assert.False(allRefused);
        Assert.Equal(1, probes);
    }
}
