using Gateway.Configuration;
using Gateway.Directory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Gateway.Federation;

/// <summary>
/// Issuers defined in gateway.json follow a configuration reload like routes do: added, changed and
/// removed ones take effect without a restart. A reload whose issuers are invalid (a bad URL, an
/// unknown organization, an issuer also registered through the admin API) is logged with every error
/// and the previous issuers keep serving. Only the issuer list follows reloads; the other
/// <c>Gateway:Federation</c> settings keep their startup values.
/// </summary>
internal sealed partial class ConfiguredIssuerReload(IConfiguration configuration, DirectoryService directory, IssuerKeyRegistry keys, ILogger<ConfiguredIssuerReload> logger) : IDisposable
{
    private IDisposable? _subscription;

    public void Start() => _subscription ??= ChangeToken.OnChange(configuration.GetReloadToken, Reload);

    public void Reload()
    {
        var options = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()?.Federation ?? new FederationOptions();
        var errors = new List<string>();
        var issuers = FederationOptionsValidator.Validate(options, errors);
        var snapshot = directory.Current;
        foreach (var issuer in issuers)
        {
            if (snapshot.Issuers.TryGetValue(issuer.Url, out var existing) && !existing.FromConfiguration)
            {
                errors.Add($"Gateway:Federation:Issuers: issuer '{issuer.Url}' is also registered through the admin API; delete it there or remove it from gateway.json.");
            }

            if (!snapshot.Organizations.ContainsKey(issuer.Org))
            {
                errors.Add($"Gateway:Federation:Issuers: issuer '{issuer.Url}' names organization '{issuer.Org}', which does not exist.");
            }
        }

        if (errors.Count > 0)
        {
            Log.Rejected(logger, string.Join(" ", errors));
            return;
        }

        var (added, changed, removed) = directory.ReplaceConfiguredIssuers(issuers);
        if (added + changed + removed == 0)
        {
            return;
        }

        Log.Reloaded(logger, added, changed, removed);
        foreach (var issuer in directory.Current.Issuers.Values.Where(i => i.FromConfiguration))
        {
            // New and changed issuers fetch their keys now, so the first exchange does not wait for them.
            _ = keys.For(issuer).RefreshIfDueAsync();
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.IssuersReloaded, EventName = "IssuersReloaded", Level = LogLevel.Information,
            Message = "Issuers from gateway.json reloaded: {Added} added, {Changed} changed, {Removed} removed.")]
        public static partial void Reloaded(ILogger logger, int added, int changed, int removed);

        [LoggerMessage(EventId = Diagnostics.EventIds.IssuerReloadRejected, EventName = "IssuerReloadRejected", Level = LogLevel.Error,
            Message = "The reloaded issuers of gateway.json are invalid; the previous ones keep serving. {Errors}")]
        public static partial void Rejected(ILogger logger, string errors);
    }
}
