using System.Net;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hosting;

/// <summary>
/// Binds the proxy and admin listeners and tells, per request, which one a connection arrived on —
/// from the socket's local port, never from the Host header a client chooses.
/// </summary>
internal sealed class GatewayListeners
{
    private readonly List<ListenOptions> _admin = [];
    private readonly List<ListenOptions> _proxy = [];

    public void Bind(KestrelServerOptions kestrel, GatewayOptions options)
    {
        foreach (var url in ListenerAddress.Split(options.Proxy.Urls))
        {
            Listen(kestrel, url, _proxy);
        }

        foreach (var url in ListenerAddress.Split(options.Admin.Urls))
        {
            Listen(kestrel, url, _admin);
        }
    }

    /// <summary>The ports actually bound (port 0 is resolved once Kestrel has bound it).</summary>
    public IReadOnlyList<int> AdminPorts => _admin.Select(PortOf).ToList();

    public IReadOnlyList<int> ProxyPorts => _proxy.Select(PortOf).ToList();

    public ListenerKind KindOf(HttpContext context)
    {
        var port = context.Connection.LocalPort;
        foreach (var options in _admin)
        {
            if (PortOf(options) == port)
            {
                return ListenerKind.Admin;
            }
        }

        return ListenerKind.Proxy;
    }

    private static int PortOf(ListenOptions options) => options.EndPoint is IPEndPoint ip ? ip.Port : 0;

    private static void Listen(KestrelServerOptions kestrel, string url, List<ListenOptions> into)
    {
        if (!ListenerAddress.TryParse(url, out var address, out var error))
        {
            throw new InvalidOperationException(error);
        }

        if (address!.Localhost)
        {
            // Bind loopback explicitly (not ListenLocalhost) so the bound port can be read back.
            kestrel.Listen(IPAddress.Loopback, address.Port, into.Add);
        }
        else if (Equals(address.Address, IPAddress.IPv6Any))
        {
            kestrel.ListenAnyIP(address.Port, into.Add);
        }
        else
        {
            kestrel.Listen(address.Address!, address.Port, into.Add);
        }
    }
}
