using System.Net;
using System.Net.Sockets;

namespace TenantAspire.TestSupport;

/// <summary>A loopback TCP port nothing listens on right now, for a server a test or benchmark starts itself.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
