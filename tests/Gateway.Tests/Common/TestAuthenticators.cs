using Gateway.Abuse;
using Gateway.Authentication;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Keys;
using Gateway.Store;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Common;

/// <summary>The real key authenticator over a given store, wired as the gateway wires it (prefix <c>gw</c>).</summary>
internal static class TestAuthenticators
{
    public static ApiKeyAuthenticator Keys(IGatewayStore store, ApiKeyCache cache, LimitsOptions limits, TimeProvider time)
        => new(new DirectoryService(store, cache), cache, new ApiKeyFormat("gw"), new AccessTokenFormat("gw"),
            new FailedAuthenticationLimiter(limits, time), new LastUsedTracker(store, TimeSpan.FromSeconds(10)),
            new Gateway.Metrics.GatewayMetrics(), time, NullLogger<ApiKeyAuthenticator>.Instance);
}
