using System.Net;

namespace Gateway.Configuration;

/// <summary>
/// One parsed listener URL: <c>http://</c> (HTTP/1.1), <c>https://</c> (TLS; HTTP/1.1 and HTTP/2 by
/// ALPN) or <c>h2c://</c> (plain HTTP/2 with prior knowledge only, for a load balancer or mesh that
/// speaks h2c to its backends; HTTP/1.1 clients cannot use such a listener).
/// </summary>
internal sealed record ListenerAddress(string Url, IPAddress? Address, bool Localhost, int Port, bool Https = false, bool H2c = false)
{
    public static bool TryParse(string url, out ListenerAddress? address, out string? error)
    {
        address = null;
        error = null;
        var text = url.Trim();
        var https = text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var h2c = text.StartsWith("h2c://", StringComparison.OrdinalIgnoreCase);
        if (!https && !h2c && !text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{url}' must start with http://, https:// or h2c://";
            return false;
        }

        var hostPort = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            error = $"'{url}' must name a port: http(s)://host:port or h2c://host:port";
            return false;
        }

        var host = hostPort[..colon].Trim('[', ']');
        if (host is "*" or "+")
        {
            address = new ListenerAddress(text, IPAddress.IPv6Any, false, port, https, h2c);
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new ListenerAddress(text, null, true, port, https, h2c);
        }
        else if (IPAddress.TryParse(host, out var ip))
        {
            address = new ListenerAddress(text, ip, false, port, https, h2c);
        }
        else
        {
            error = $"'{url}': host '{host}' must be an IP address, localhost, * or +";
            return false;
        }

        return true;
    }

    public static IReadOnlyList<string> Split(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
