using System.Net;

namespace Gateway.Configuration;

/// <summary>One parsed listener URL.</summary>
internal sealed record ListenerAddress(string Url, IPAddress? Address, bool Localhost, int Port, bool Https = false)
{
    public static bool TryParse(string url, out ListenerAddress? address, out string? error)
    {
        address = null;
        error = null;
        var text = url.Trim();
        var https = text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!https && !text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{url}' must start with http:// or https://";
            return false;
        }

        var hostPort = text[(https ? "https://" : "http://").Length..].TrimEnd('/');
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            error = $"'{url}' must name a port: http(s)://host:port";
            return false;
        }

        var host = hostPort[..colon].Trim('[', ']');
        if (host is "*" or "+")
        {
            address = new ListenerAddress(text, IPAddress.IPv6Any, false, port, https);
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = new ListenerAddress(text, null, true, port, https);
        }
        else if (IPAddress.TryParse(host, out var ip))
        {
            address = new ListenerAddress(text, ip, false, port, https);
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
