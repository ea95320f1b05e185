using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace Gateway.Hosting;

/// <summary>
/// The client's address behind the proxies an operator trusts (<c>Gateway:Proxy:TrustedProxies</c>,
/// <c>Gateway:Admin:TrustedProxies</c>), with ASP.NET Core's forwarded-headers middleware: only when the
/// connection comes from a trusted proxy is <c>X-Forwarded-For</c> read, from the right, past every
/// trusted hop, to the first address that is not one; that becomes the connection's remote address, so
/// the failed-authentication limits, the audit and the upstream's <c>X-Forwarded-For</c> all see the
/// client. Nothing is trusted by default: the middleware's own default (loopback) is cleared, and with
/// no entry the middleware is not in the pipeline at all (no cost on the hot path).
/// </summary>
internal static class TrustedProxies
{
    public static void Validate(IReadOnlyList<string> entries, string path, List<string> errors)
    {
        for (var i = 0; i < entries.Count; i++)
        {
            if (!TryParse(entries[i], out _))
            {
                errors.Add($"{path}:{i} '{entries[i]}' is not an IP address or a CIDR network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8).");
            }
        }
    }

    /// <summary>Puts the middleware in front of each listener that trusts a proxy, for that listener's connections only.</summary>
    public static void UseTrustedProxies(this WebApplication app, Configuration.GatewayOptions options, GatewayListeners listeners)
    {
        if (OptionsFor(options.Proxy.TrustedProxies) is { } proxy)
        {
            app.UseWhen(context => listeners.KindOf(context) == ListenerKind.Proxy, branch => branch.UseForwardedHeaders(proxy));
        }

        if (OptionsFor(options.Admin.TrustedProxies) is { } admin)
        {
            app.UseWhen(context => listeners.KindOf(context) == ListenerKind.Admin, branch => branch.UseForwardedHeaders(admin));
        }
    }

    private static ForwardedHeadersOptions? OptionsFor(IReadOnlyList<string> entries)
    {
        if (entries.Count == 0)
        {
            return null;
        }

        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor,
            // Walk past every trusted hop (a CDN in front of the load balancer), not only the last one.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in entries)
        {
            TryParse(entry, out var network);
            options.KnownIPNetworks.Add(network);
        }

        return options;
    }

    internal static bool TryParse(string? entry, out System.Net.IPNetwork network)
    {
        network = default;
        var text = entry?.Trim() ?? "";
        if (!text.Contains('/') && IPAddress.TryParse(text, out var address))
        {
            network = new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return System.Net.IPNetwork.TryParse(text, out network);
    }
}
