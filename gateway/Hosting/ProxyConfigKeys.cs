using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// The ReverseProxy section's keys, checked by name: YARP's binder ignores what it does not know, so a
/// cluster with <c>"Destinatons"</c> started with no destination and answered every request 503 with an
/// empty body. Every unknown key of a route, its match, a cluster or a destination is an error naming
/// its path and the keys that are known; so is a cluster without destinations.
/// </summary>
internal static class ProxyConfigKeys
{
    private static readonly string[] RouteKeys = ["ClusterId", "Match", "Order", "Metadata", "Transforms", "AuthorizationPolicy", "RateLimiterPolicy",
        "OutputCachePolicy", "TimeoutPolicy", "Timeout", "CorsPolicy", "MaxRequestBodySize"];

    private static readonly string[] MatchKeys = ["Path", "Hosts", "Methods", "Headers", "QueryParameters"];

    private static readonly string[] ClusterKeys = ["Destinations", "LoadBalancingPolicy", "SessionAffinity", "HealthCheck", "HttpClient", "HttpRequest", "Metadata"];

    private static readonly string[] DestinationKeys = ["Address", "Health", "Host", "Metadata"];

    /// <summary>The section's own keys (a misspelled <c>Routes</c> or <c>Clusters</c>).</summary>
    public static void ValidateSection(IConfiguration proxy, List<string> errors) => Known(proxy, "ReverseProxy", ["Routes", "Clusters"], errors);

    public static void ValidateRoute(IConfiguration proxy, string routeId, List<string> errors)
    {
        var route = proxy.GetSection("Routes").GetSection(routeId);
        var path = $"ReverseProxy:Routes:{routeId}";
        Known(route, path, RouteKeys, errors);
        Known(route.GetSection("Match"), path + ":Match", MatchKeys, errors);
    }

    public static void ValidateCluster(IConfiguration proxy, string clusterId, List<string> errors)
    {
        var cluster = proxy.GetSection("Clusters").GetSection(clusterId);
        var path = $"ReverseProxy:Clusters:{clusterId}";
        Known(cluster, path, ClusterKeys, errors);
        var destinations = cluster.GetSection("Destinations").GetChildren().ToList();
        if (destinations.Count == 0)
        {
            errors.Add($"{path} has no Destinations: add one, e.g. \"Destinations\": {{ \"d1\": {{ \"Address\": \"https://api.example\" }} }}.");
        }

        foreach (var destination in destinations)
        {
            Known(destination, $"{path}:Destinations:{destination.Key}", DestinationKeys, errors);
        }
    }

    private static void Known(IConfiguration section, string path, string[] known, List<string> errors)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{path}:{child.Key} is not a known setting there. Known: {string.Join(", ", known)}.");
            }
        }
    }
}
