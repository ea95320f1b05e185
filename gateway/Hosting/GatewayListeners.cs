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
    private readonly List<ListenOptions> _authorizer = [];

    private readonly List<ListenerCertificate> _certificates = [];

    public void Bind(KestrelServerOptions kestrel, GatewayOptions options)
    {
        var proxyCertificate = CertificateFor(options.Proxy);
        foreach (var url in ListenerAddress.Split(options.Proxy.Urls))
        {
            Listen(kestrel, url, _proxy, proxyCertificate);
        }

        var adminCertificate = CertificateFor(options.Admin);
        foreach (var url in ListenerAddress.Split(options.Admin.Urls))
        {
            Listen(kestrel, url, _admin, adminCertificate);
        }

        var authorizerCertificate = CertificateFor(options.Authorizer);
        foreach (var url in ListenerAddress.Split(options.Authorizer.Urls))
        {
            Listen(kestrel, url, _authorizer, authorizerCertificate);
        }
    }

    private Microsoft.Extensions.Logging.ILogger? _logger;

    /// <summary>Where certificate reloads are logged (Kestrel binds, and so loads certificates, after the host is built).</summary>
    public void SetLogger(Microsoft.Extensions.Logging.ILogger logger)
    {
        _logger = logger;
        foreach (var certificate in _certificates)
        {
            certificate.Logger = logger;
        }
    }

    // Validated at startup (GatewayOptionsValidator): present exactly when the listener has https URLs.
    private ListenerCertificate? CertificateFor(ListenerOptions listener)
    {
        if (listener.Certificate is not { Path: { } path, KeyPath: { } keyPath })
        {
            return null;
        }

        var certificate = ListenerCertificate.Load(path, keyPath, TimeProvider.System);
        certificate.Logger = _logger;
        _certificates.Add(certificate);
        return certificate;
    }

    /// <summary>The ports actually bound (port 0 is resolved once Kestrel has bound it).</summary>
    public IReadOnlyList<int> AdminPorts => _admin.Select(PortOf).ToList();

    public IReadOnlyList<int> ProxyPorts => _proxy.Select(PortOf).ToList();

    public IReadOnlyList<int> AuthorizerPorts => _authorizer.Select(PortOf).ToList();

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

        foreach (var options in _authorizer)
        {
            if (PortOf(options) == port)
            {
                return ListenerKind.Authorizer;
            }
        }

        return ListenerKind.Proxy;
    }

    private static int PortOf(ListenOptions options) => options.EndPoint is IPEndPoint ip ? ip.Port : 0;

    private static void Listen(KestrelServerOptions kestrel, string url, List<ListenOptions> into, ListenerCertificate? certificate)
    {
        if (!ListenerAddress.TryParse(url, out var address, out var error))
        {
            throw new InvalidOperationException(error);
        }

        Action<ListenOptions> configure = into.Add;
        if (address!.H2c)
        {
            configure = listen =>
            {
                // Asked for by the h2c:// scheme: prior knowledge only (Kestrel has no HTTP/1.1 upgrade to h2c).
                listen.Protocols = HttpProtocols.Http2;
                into.Add(listen);
            };
        }
        else if (address.Https)
        {
            var tls = certificate ?? throw new InvalidOperationException($"'{url}' needs a certificate.");
            configure = listen =>
            {
                // HTTP/2 by ALPN on TLS listeners; http:// listeners stay HTTP/1.1.
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                {
                    SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
                    ServerCertificateSelector = (_, _) => tls.Current,
                });
                into.Add(listen);
            };
        }

        if (address.Localhost)
        {
            // Bind loopback explicitly (not ListenLocalhost) so the bound port can be read back.
            kestrel.Listen(IPAddress.Loopback, address.Port, configure);
        }
        else if (Equals(address.Address, IPAddress.IPv6Any))
        {
            kestrel.ListenAnyIP(address.Port, configure);
        }
        else
        {
            kestrel.Listen(address.Address!, address.Port, configure);
        }
    }
}
