using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Configuration.ClusterValidators;
using Yarp.ReverseProxy.Configuration.RouteValidators;

namespace Gateway.Routing;

/// <summary>
/// Plugs the gateway's metadata rules into YARP's own validation: an invalid route or cluster fails
/// the load (at startup every error is listed; on reload the last good configuration keeps serving).
/// </summary>
internal sealed class RouteScopeValidator : IRouteValidator
{
    public ValueTask ValidateAsync(RouteConfig routeConfig, IList<Exception> errors)
    {
        var messages = new List<string>();
        RouteScopeParser.Parse(routeConfig, messages);
        foreach (var message in messages)
        {
            errors.Add(new InvalidOperationException(message));
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// What YARP's own validation lets through on a reload but startup refuses: misspelled keys anywhere in
/// the ReverseProxy section (<c>Destinatons</c>) and a route naming a cluster that does not exist (it
/// would answer every caller 503 with an empty body). Failing here fails YARP's load: a reload with
/// either keeps the last good configuration serving.
/// </summary>
internal sealed class ConfigurationShapeValidator(Microsoft.Extensions.Configuration.IConfiguration configuration) : IRouteValidator
{
    public ValueTask ValidateAsync(RouteConfig routeConfig, IList<Exception> errors)
    {
        var messages = new List<string>();
        var proxy = configuration.GetSection("ReverseProxy");
        Hosting.ProxyConfigKeys.Validate(proxy, messages);
        var clusters = proxy.GetSection("Clusters").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (routeConfig.ClusterId is { } cluster && !clusters.Contains(cluster))
        {
            messages.Add(Hosting.ProxyConfigPrevalidator.MissingCluster(routeConfig.RouteId, cluster));
        }

        foreach (var message in messages)
        {
            errors.Add(new InvalidOperationException(message));
        }

        return ValueTask.CompletedTask;
    }
}

internal sealed class UpstreamCredentialValidator : IClusterValidator
{
    public ValueTask ValidateAsync(ClusterConfig clusterConfig, IList<Exception> errors)
    {
        var messages = new List<string>();
        UpstreamCredential.Parse(clusterConfig, messages);
        if (UpstreamTrust.Check(clusterConfig) is { } trust)
        {
            messages.Add(trust);
        }
        foreach (var message in messages)
        {
            errors.Add(new InvalidOperationException(message));
        }

        return ValueTask.CompletedTask;
    }
}
