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
    }
}
