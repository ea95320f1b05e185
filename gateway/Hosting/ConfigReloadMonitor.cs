using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Says what became of each change to the configuration file, with the same checks as startup: a
/// change YARP took is logged with its routes and clusters; a refused one (the previous configuration
/// keeps serving) is logged with every error, sets <c>gateway_config_reload_refused</c> and shows in
/// <c>/readyz</c>. A file that is not JSON is refused too: the configuration keeps its last good routes
/// (YARP never sees the broken file), where it used to say nothing at all.
/// </summary>
internal sealed partial class ConfigReloadMonitor
{
    private ILogger? _logger;
    private Metrics.GatewayMetrics? _metrics;
    private IServiceProvider? _services;
    private TimeProvider _time = TimeProvider.System;

    /// <summary>Why the last change was refused (null when it was taken, or none was made).</summary>
    public string? Refused { get; private set; }

    /// <summary>Called by the JSON file source when the file cannot be read; before start, startup reports it as before.</summary>
    public void OnLoadException(FileLoadExceptionContext context)
    {
        if (_logger is null)
        {
            return;
        }

        // Not ignored: the source then keeps its last data from YARP's view (no change is signalled).
        Refuse([$"{context.Provider.Source.Path}: {GatewayConfiguration.LoadError(context.Exception)}"]);
    }

    public void Start(WebApplication app)
    {
        _services = app.Services;
        _time = app.Services.GetRequiredService<TimeProvider>();
        _metrics = app.Services.GetRequiredService<Metrics.GatewayMetrics>();
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Configuration");
        _metrics.ConfigReload(refused: false);
        ChangeToken.OnChange(((IConfiguration)app.Configuration).GetReloadToken, () => _ = CheckAsync());
    }

    private async Task CheckAsync()
    {
        try
        {
            // YARP reads the change on the same signal: give it the moment it takes to bind the new routes.
            await Task.Delay(TimeSpan.FromMilliseconds(300), _time);
            // The validators YARP itself ran on the change: what they refuse, YARP refused.
            var provider = _services!.GetRequiredService<IProxyConfigProvider>();
            var errors = await ProxyConfigPrevalidator.ValidateAsync(provider, _services!.GetRequiredService<IConfigValidator>());
            if (errors.Count > 0)
            {
                Refuse(errors);
                return;
            }

            var config = provider.GetConfig();
            Refused = null;
            _metrics!.ConfigReload(refused: false);
            Log.Reloaded(_logger!, config.Routes.Count, config.Clusters.Count, string.Join(", ", config.Routes.Select(r => r.RouteId)));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The host is stopping.
        }
    }

    private void Refuse(IReadOnlyList<string> errors)
    {
        Refused = $"the configuration change at {_time.GetUtcNow():O} was refused ({errors.Count} error{(errors.Count == 1 ? "" : "s")}); the previous configuration keeps serving";
        _metrics?.ConfigReload(refused: true);
        Log.ReloadRefused(_logger!, errors.Count, string.Join(" | ", errors));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.ConfigReloaded, EventName = "ConfigReloaded", Level = LogLevel.Information,
            Message = "Configuration reloaded: {Routes} routes, {Clusters} clusters ({RouteIds}).")]
        public static partial void Reloaded(ILogger logger, int routes, int clusters, string routeIds);

        [LoggerMessage(EventId = Diagnostics.EventIds.ConfigReloadRefused, EventName = "ConfigReloadRefused", Level = LogLevel.Error,
            Message = "Configuration change refused, the previous configuration keeps serving. {Count} error(s): {Errors}")]
        public static partial void ReloadRefused(ILogger logger, int count, string errors);
    }
}
