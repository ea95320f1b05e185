using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Policy.Model;
using Microsoft.Extensions.Logging;

namespace Gateway.Federation;

/// <summary>
/// One <see cref="IssuerKeys"/> per registered issuer, keyed by its exact URL. A changed or
/// re-registered issuer gets a fresh manager (its keys are never carried over from the old
/// definition); a deleted one is dropped on the next background pass.
/// </summary>
internal sealed class IssuerKeyRegistry(IssuerDocumentClient client, FederationOptions options, TimeProvider time, Metrics.GatewayMetrics metrics, ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, IssuerKeys> _byUrl = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger("Gateway.Federation.IssuerKeys");

    public IssuerKeys For(TrustedIssuer issuer)
    {
        if (_byUrl.TryGetValue(issuer.Url, out var keys) && ReferenceEquals(keys.Issuer, issuer))
        {
            return keys;
        }

        // Creating fetches nothing, so a lost race costs only an object.
        return _byUrl.AddOrUpdate(issuer.Url,
            _ => new IssuerKeys(issuer, client, options, time, _logger, metrics),
            (_, existing) => ReferenceEquals(existing.Issuer, issuer) ? existing : new IssuerKeys(issuer, client, options, time, _logger, metrics));
    }

    public bool TryGet(string url, out IssuerKeys? keys) => _byUrl.TryGetValue(url, out keys);

    /// <summary>Refreshes every registered issuer whose keys are due; forgets issuers no longer registered.</summary>
    public Task RefreshDueAsync(IReadOnlyDictionary<string, TrustedIssuer> registered)
    {
        foreach (var url in _byUrl.Keys)
        {
            if (!registered.ContainsKey(url))
            {
                _byUrl.TryRemove(url, out _);
            }
        }

        return Task.WhenAll(registered.Values.Select(i => For(i).RefreshIfDueAsync()));
    }
}
