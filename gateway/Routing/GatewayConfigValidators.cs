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
