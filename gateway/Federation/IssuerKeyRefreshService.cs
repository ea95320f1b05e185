using Gateway.Directory;
using Microsoft.Extensions.Hosting;

namespace Gateway.Federation;

/// <summary>
/// Keeps every registered issuer's keys fresh in the background: fetched at start, refreshed each
/// <c>KeyRefreshInterval</c> (well before the staleness limit), retried while an issuer is down
/// (at most once per refetch interval). Requests rarely wait for a fetch.
/// </summary>
internal sealed class IssuerKeyRefreshService(DirectoryService directory, IssuerKeyRegistry registry, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, time);
        do
        {
            // Each fetch has its own timeout; a slow issuer delays only its own refresh.
            _ = registry.RefreshDueAsync(directory.Current.Issuers);
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
