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
/// What YARP's own validation lets through but startup refuses, checked on every load (startup and
/// reload): misspelled keys (<c>Destinatons</c>) and a route naming a cluster that does not exist (it
/// would answer every caller 503 with an empty body). Failing here fails YARP's load: a reload with
/// either keeps the last good configuration serving. Each route and cluster checks its own keys; the
/// clusters check the section's too (a misspelled <c>Routes</c> leaves no route to check it).
/// </summary>
internal sealed class RouteShapeValidator(Microsoft.Extensions.Configuration.IConfiguration configuration) : IRouteValidator
{
    public ValueTask ValidateAsync(RouteConfig routeConfig, IList<Exception> errors)
    {
        var messages = new List<string>();
        var proxy = configuration.GetSection("ReverseProxy");
        Hosting.ProxyConfigKeys.ValidateRoute(proxy, routeConfig.RouteId, messages);
        if (routeConfig.ClusterId is { } cluster && !proxy.GetSection("Clusters").GetSection(cluster).Exists())
        {
            messages.Add($"Route '{routeConfig.RouteId}' names cluster '{cluster}', which is not defined under ReverseProxy:Clusters.");
        }

        return Report(messages, errors);
    }

    internal static ValueTask Report(List<string> messages, IList<Exception> errors)
    {
        foreach (var message in messages)
        {
            errors.Add(new InvalidOperationException(message));
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The cluster half of <see cref="RouteShapeValidator"/>.</summary>
internal sealed class ClusterShapeValidator(Microsoft.Extensions.Configuration.IConfiguration configuration) : IClusterValidator
{
    public ValueTask ValidateAsync(ClusterConfig clusterConfig, IList<Exception> errors)
    {
        var messages = new List<string>();
        var proxy = configuration.GetSection("ReverseProxy");
        Hosting.ProxyConfigKeys.ValidateSection(proxy, messages);
        Hosting.ProxyConfigKeys.ValidateCluster(proxy, clusterConfig.ClusterId, messages);
        return RouteShapeValidator.Report(messages, errors);
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
