using System.Net;
using System.Net.Sockets;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Distributed;

namespace Vlm.Tests.Trainers.Distributed;

/// <summary>The rendezvous protocol itself: strangers on the port do not stop a run, and a rank's settings come from the environment.</summary>
public class TcpRendezvousTests
{
    static DistributedWorld Rank(int rank, int size) => new(rank, size, rank, "torchrun", "127.0.0.1", 29500);

    [Fact]
    public async Task Connections_that_are_not_ranks_are_refused_and_the_ranks_still_meet()
    {
        var at = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        byte[] payload = [.. Enumerable.Range(0, 128).Select(i => (byte)i)];
        var timeout = TimeSpan.FromSeconds(60);
        var zero = Task.Run(() => TcpRendezvous.Exchange(Rank(0, 3), at, payload, "run", timeout));

        // A stranger speaking another protocol, and one that says nothing and goes away.
        void Stranger(byte[] says)
        {
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); ; Thread.Sleep(50))
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(at);
                    client.GetStream().Write(says);
                    if (says.Length > 0) client.GetStream().ReadByte(); // the refusal
                    return;
                }
                catch (SocketException) when (clock.Elapsed < timeout)
                {
                }
            }
        }
        Stranger(new byte[52]);
        Stranger([]);

        var one = Task.Run(() => TcpRendezvous.Exchange(Rank(1, 3), at, new byte[128], "run", timeout));
        var two = Task.Run(() => TcpRendezvous.Exchange(Rank(2, 3), at, new byte[128], "run", timeout));
        var met = await Task.WhenAll(zero, one, two).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.All(met, received => Assert.Equal(payload, received));
    }

    [Fact]
    public void The_port_is_master_port_plus_one_unless_named_and_bad_values_are_named()
    {
        Assert.Equal(29501, TcpRendezvous.EndPoint(Rank(1, 2), _ => null).Port);
        Assert.Equal(40000, TcpRendezvous.EndPoint(Rank(1, 2), name => name == "VLM_RENDEZVOUS_PORT" ? "40000" : null).Port);
        Assert.Contains("VLM_RENDEZVOUS_PORT=http is not a port",
            Assert.Throws<ArgumentException>(() => TcpRendezvous.EndPoint(Rank(1, 2), name => name == "VLM_RENDEZVOUS_PORT" ? "http" : null)).Message);
        Assert.Contains("MASTER_ADDR is not set", Assert.Throws<InvalidOperationException>(() => TcpRendezvous.EndPoint(Rank(1, 2) with { MasterAddress = null }, _ => null)).Message);
        Assert.Equal(TimeSpan.FromSeconds(2.5), TcpRendezvous.Timeout(name => name == "VLM_RENDEZVOUS_TIMEOUT" ? "2.5" : null));
        Assert.Equal(TimeSpan.FromSeconds(300), TcpRendezvous.Timeout(_ => null));
    }
}
