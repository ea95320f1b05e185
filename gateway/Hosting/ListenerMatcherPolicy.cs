using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Gateway.Hosting;

/// <summary>
/// Keeps admin endpoints off the proxy listener and everything else off the admin listener, inside
/// routing itself: on the proxy listener <c>/admin/v1/...</c> is simply not an admin route.
/// </summary>
internal sealed class ListenerMatcherPolicy(GatewayListeners listeners) : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var kind = listeners.KindOf(httpContext);
        for (var i = 0; i < candidates.Count; i++)
        {
            var declared = candidates[i].Endpoint.Metadata.GetMetadata<ListenerMetadata>()?.Kind ?? ListenerKind.Proxy;
            if (declared != ListenerKind.Any && declared != kind)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
