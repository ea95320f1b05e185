using Gateway.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Federation;

/// <summary>
/// Deletes access tokens a day after they expired, hourly, so the exchange of every training job
/// does not grow the store forever. An expired token is refused long before it is purged.
/// </summary>
internal sealed partial class AccessTokenPurgeService(IGatewayStore store, TimeProvider time, ILogger<AccessTokenPurgeService> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // A blocking LiteDB transaction: off the request threads' pool for its duration.
                await Task.Factory.StartNew(Purge, stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal int Purge()
    {
        try
        {
            var purged = store.PurgeAccessTokens(time.GetUtcNow() - Retention);
            if (purged > 0)
            {
                Log.Purged(logger, purged);
            }

            return purged;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or ObjectDisposedException)
        {
            // Next hour again; nothing depends on the purge for correctness.
            return 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.AccessTokensPurged, EventName = "AccessTokensPurged", Level = LogLevel.Information,
            Message = "Purged {Count} access tokens that expired more than a day ago.")]
        public static partial void Purged(ILogger logger, int count);
    }
}
