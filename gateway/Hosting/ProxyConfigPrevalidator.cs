using Yarp.ReverseProxy.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Validates the whole ReverseProxy section before the gateway listens — YARP's own rules and the
/// gateway's route and cluster metadata — and reports every error at once.
/// </summary>
internal static class ProxyConfigPrevalidator
{
    public static async Task<IReadOnlyList<string>> ValidateAsync(IProxyConfigProvider provider, IConfigValidator validator)
    {
        var errors = new List<string>();
        IProxyConfig config;
        try
        {
            config = provider.GetConfig();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            return [$"ReverseProxy: {ex.Message}"];
        }

        foreach (var route in config.Routes)
        {
            foreach (var error in await validator.ValidateRouteAsync(route))
            {
                errors.Add(error.Message);
            }
        }

        foreach (var cluster in config.Clusters)
        {
            foreach (var error in await validator.ValidateClusterAsync(cluster))
            {
                errors.Add(error.Message);
            }
        }

        return errors.Distinct().ToList();
    }

}
