using Gateway.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hosting;

/// <summary>Kestrel's limits from <c>Gateway:Limits</c>: every one set on purpose, none left to a default.</summary>
internal static class KestrelLimits
{
    public static void Apply(KestrelServerLimits limits, LimitsOptions options)
    {
        limits.MaxRequestHeadersTotalSize = options.MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = options.MaxRequestHeaderCount;
        limits.MaxRequestLineSize = options.MaxRequestLineSize;
        limits.MaxRequestBodySize = options.MaxRequestBodySize;
        limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
        limits.KeepAliveTimeout = options.KeepAliveTimeout;
        limits.MaxConcurrentConnections = options.MaxConcurrentConnections;
        limits.MaxConcurrentUpgradedConnections = 0;
        // Slow clients (slowloris, a body one byte a second) are cut off after the grace period.
        limits.MinRequestBodyDataRate = new MinDataRate(options.MinRequestBodyDataRate, options.MinDataRateGracePeriod);
        limits.MinResponseDataRate = new MinDataRate(options.MinResponseDataRate, options.MinDataRateGracePeriod);

        // HTTP/2 (TLS listeners): streams per connection bound the work one connection can queue, the
        // HPACK table and field size bound decompression (HPACK bombs); the header list as a whole is
        // held to MaxRequestHeadersTotalSize as on HTTP/1.1. Kestrel itself closes connections that
        // reset streams faster than it can retire them (CVE-2023-44487, "rapid reset").
        limits.Http2.MaxStreamsPerConnection = options.Http2MaxStreamsPerConnection;
        limits.Http2.HeaderTableSize = options.Http2HeaderTableSize;
        limits.Http2.MaxRequestHeaderFieldSize = options.Http2MaxRequestHeaderFieldSize;
    }
}
