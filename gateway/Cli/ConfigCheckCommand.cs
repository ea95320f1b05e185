using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway config check [--config PATH]</c>: the checks startup makes (the Gateway section, the
/// ReverseProxy section's keys, routes, clusters and their metadata, GraphQL rules and schemas), without
/// opening the store or listening. Exit 0 with a summary, or 1 with every error listed: the same list a
/// start or a reload of that file would refuse it with.
/// </summary>
internal static class ConfigCheckCommand
{
    public static bool Matches(string[] args) => args.Length >= 2 && args[0] == "config" && args[1] == "check";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var rest = args[2..];
        if (rest.Any(a => a is "-h" or "--help"))
        {
            output.WriteLine("usage: gateway config check [--config PATH] [--Section:Key=value ...]");
            output.WriteLine("Checks a configuration as startup and reload do, without opening the store or listening.");
            return 0;
        }

        try
        {
            // Listeners are never bound (nothing is started); port 0 keeps a check beside a running gateway quiet.
            using var app = GatewayApp.Build([.. rest], checkOnly: true);
            var config = app.Services.GetRequiredService<IProxyConfigProvider>().GetConfig();
            output.WriteLine($"The configuration is valid: {config.Routes.Count} routes ({string.Join(", ", config.Routes.Select(r => r.RouteId))}), {config.Clusters.Count} clusters.");
            return 0;
        }
        catch (GatewayStartupException ex)
        {
            error.WriteLine($"The configuration has {ex.Errors.Count} error{(ex.Errors.Count == 1 ? "" : "s")}:");
            foreach (var problem in ex.Errors)
            {
                error.WriteLine("  - " + problem);
            }

            return 1;
        }
    }
}
