using System.Net;
using System.Net.Sockets;

namespace Gateway.Federation;

/// <summary>
/// Where the gateway may connect when it fetches an issuer's discovery document and keys. Issuers are
/// registered by org admins, so a fetch is a request the gateway makes on an org admin's behalf: to a
/// loopback, link-local (cloud metadata), private, shared (CGNAT), multicast or unspecified address it
/// would be a way to probe the gateway's own network. The check runs on the addresses DNS returns, in
/// the connection callback, and the connection is made to the very address checked (no second lookup
/// that DNS rebinding could answer differently); redirects are never followed.
/// <c>Gateway:Federation:AllowPrivateIssuerAddresses</c> lifts it for an issuer inside the network.
/// </summary>
internal static class OutboundAddressPolicy
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127
                || (b[0] == 100 && b[1] >= 64 && b[1] < 128)     // shared address space (CGNAT)
                || (b[0] == 169 && b[1] == 254)                 // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) // IETF protocol assignments, TEST-NET-1
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)   // TEST-NET-2
                || (b[0] == 203 && b[1] == 0 && b[2] == 113)    // TEST-NET-3
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))  // benchmarking
                || b[0] >= 224);                                // multicast and reserved
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> b = stackalloc byte[16];
            address.TryWriteBytes(b, out _);
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal
                || (b[0] & 0xfe) == 0xfc                                      // unique local fc00::/7
                || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)                    // link-local fe80::/10
                || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) // NAT64 64:ff9b::/96 (embeds IPv4)
                || (b[0] == 0x20 && b[1] == 0x02)                             // 6to4 2002::/16 (embeds IPv4)
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00) // Teredo 2001::/32 (embeds IPv4)
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) // documentation 2001:db8::/32
                || b[..12].IndexOfAnyExcept((byte)0) < 0);                    // IPv4-compatible ::a.b.c.d (and ::, ::1)
        }

        return false;
    }

    /// <summary>A connection callback that resolves, refuses non-public addresses, and connects to the first allowed one.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(bool allowPrivate)
        => async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = allowPrivate ? addresses : addresses.Where(IsPublic).ToArray();
            if (allowed.Length == 0)
            {
                throw new HttpRequestException(
                    $"'{host}' resolves only to loopback, private, link-local or other non-public addresses; issuers inside the network need Gateway:Federation:AllowPrivateIssuerAddresses.");
            }

            Exception? last = null;
            foreach (var address in allowed)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException ex)
                {
                    socket.Dispose();
                    last = ex;
                }
            }

            throw new HttpRequestException($"Could not connect to '{host}'.", last);
        };
}
