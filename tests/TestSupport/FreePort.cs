using System.Net;
using System.Net.Sockets;

namespace Vlm.Tests.TestSupport;

/// <summary>A TCP port no one listens on now (the system's pick), for a rendezvous a test starts.</summary>
internal static class FreePort
{
    public static int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
